"""A small HTTP receiver on 127.0.0.1, served from a daemon thread (private to mlcheckup).

The data collector sink and the App Insights ingestion endpoint are both built on
:class:`LoopbackService`: it binds 127.0.0.1 only, on a free port by default (the real port is
read back after bind), answers from a thread per connection, and keeps the first error raised while
handling a request (and a count of the others, so memory stays bounded) so that
:meth:`LoopbackService.check` re-raises it in the caller's thread.

A request is checked in the order that costs least: its route first (404 before anything is
read), then its size (``Content-Length`` or chunked, at most :data:`MAX_BODY_BYTES`, else 413),
then its ``Content-Encoding`` (decompressed as a stream that stops at the same cap, so a small
gzip "bomb" gets 413 instead of the process's memory). A client's mistake raises
:class:`RequestRefused` and is answered 4xx; only errors of the server itself are kept for
``check()``, so a hostile body never marks a server as failed.
"""

from __future__ import annotations

import errno
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ._lifecycle import Managed
from .errors import DiskFullError, ServerError

HOST = "127.0.0.1"
#: How often a server thread checks whether it should stop (seconds): stop() waits at most this long.
_POLL_S = 0.02


def port_in_use_error(port: int, what: str) -> ServerError:
    """The error for a port that is taken, naming who holds it when psutil can tell."""
    holder = ""
    try:
        import psutil

        for conn in psutil.net_connections(kind="inet"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                holder = f" by pid {conn.pid} ({psutil.Process(conn.pid).name()})"
                break
    except Exception:  # psutil may be denied the table; the message is still useful without it
        pass
    return ServerError(
        f"cannot start {what}: port {port} on {HOST} is already in use{holder}; "
        "pass port=0 to pick a free port, or stop whatever holds it"
    )


def bind_error(error: OSError, port: int, what: str) -> ServerError:
    """Translate a failed bind on 127.0.0.1 into a :class:`ServerError` that says what to do."""
    if error.errno == errno.EADDRINUSE:
        return port_in_use_error(port, what)
    return ServerError(f"cannot start {what} on {HOST}:{port}: {error}")


class LoopbackAddress:
    """``host`` and ``url`` of a server that listens on 127.0.0.1 only (subclasses give ``port``)."""

    @property
    def host(self) -> str:
        """Always ``"127.0.0.1"``: local servers never listen beyond loopback."""
        return HOST

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"


#: Largest request body a loopback service accepts, before and after decompression (bytes).
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Content types that say "form data" (curl -d's default), not JSON.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RequestRefused(Exception):
    """A request the client got wrong: answered with ``status`` and ``message``, never kept for check()."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def decode_body(raw: bytes, encoding: str | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """Undo ``Content-Encoding: gzip``/``deflate``, as a stream that stops at ``limit`` bytes.

    Only what ``Content-Encoding`` names is decompressed (a body that merely starts with the gzip
    magic bytes is left as it is), and never more than ``limit`` bytes of output, so a small
    compressed "bomb" cannot take the process's memory.

    Raises
    ------
    RequestRefused
        413 past ``limit``; 400 for a damaged or truncated stream, or an unknown encoding.
    """
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise RequestRefused(415, f"Content-Encoding {encoding!r} is not supported; send gzip, deflate or none")
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    stream = zlib.decompressobj(wbits)
    try:
        data = stream.decompress(raw, limit + 1)
    except zlib.error as error:
        raise RequestRefused(400, f"the {encoding} body cannot be decompressed ({error}); "
                                  f"send it whole, or without Content-Encoding: {encoding}") from None
    if len(data) > limit:
        raise RequestRefused(413, f"the {encoding} body decompresses to more than {limit:,} bytes; "
                                  "send smaller batches")
    if not stream.eof:
        raise RequestRefused(400, f"the {encoding} body is truncated (the compressed stream does not end); "
                                  "send it whole")
    return data


def load_json(body: bytes, headers, what: str = "the body"):
    """``json.loads(body)``, with the client's mistakes as :class:`RequestRefused` (400).

    A body sent as form data (``curl -d``'s default content type) is named as such; a body
    nested too deep for the parser is refused, not a server error.
    """
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind in _FORM_TYPES:
            raise RequestRefused(400, f"{what} was sent as form data (Content-Type: {kind}, curl -d's default) and "
                                      "is not JSON; send JSON with Content-Type: application/json (curl -H "
                                      "'Content-Type: application/json' --data-binary @file.json)") from None
        if isinstance(error, RecursionError):
            raise RequestRefused(400, f"{what} is JSON nested too deep to read; send a flatter document") from None
        raise RequestRefused(400, f"{what} is not JSON ({error})") from None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a second server on a taken port must fail, not share it
    request_queue_size = 128


class LoopbackService(LoopbackAddress, Managed):
    """Base class of the loopback receivers: subclasses implement :meth:`handle`.

    Parameters
    ----------
    port : int, default 0
        TCP port on 127.0.0.1; 0 picks a free one (read it back from :attr:`port`).
    """

    label = "loopback service"

    def __init__(self, port: int = 0) -> None:
        self._requested_port = int(port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._first_error: BaseException | None = None
        self._error_count = 0
        self._errors_lock = threading.Lock()

    #: Largest body accepted, before and after decompression (bytes); larger ones get 413.
    max_body_bytes = MAX_BODY_BYTES

    # -- what subclasses provide ------------------------------------------------------------
    def route(self, method: str, path: str) -> tuple[int, dict] | None:
        """None if ``method path`` is served here, else the ``(status, json_body)`` that refuses it.

        Called before the body is read or decompressed.
        """
        return None

    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict | list | str]:
        """Answer one request: return ``(status, json_body)``; raise :class:`RequestRefused` for a bad one."""
        raise NotImplementedError

    def refusal(self, refused: RequestRefused) -> dict:
        """The JSON body that answers a refused request."""
        return {"error": refused.message}

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The TCP port actually bound (meaningful once started)."""
        return self._server.server_address[1] if self._server else self._requested_port

    def _start(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive for the exporters' sessions
            # One buffered write per response, no Nagle: unbuffered header and body writes on a
            # kept-alive connection stall 40 ms each on the client's delayed ACK.
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def _read_body(self) -> bytes:
                """The request body: Content-Length or chunked, at most ``service.max_body_bytes``."""
                limit = service.max_body_bytes
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    chunks, size = [], 0
                    while True:
                        line = self.rfile.readline(1024)
                        try:
                            length = int(line.split(b";")[0].strip() or b"x", 16)
                        except ValueError:
                            self.close_connection = True
                            raise RequestRefused(400, f"bad chunk size line {line[:40]!r} in a chunked body") from None
                        if length == 0:
                            while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        size += length
                        if size > limit:
                            self.close_connection = True
                            raise RequestRefused(413, f"the chunked body is larger than {limit:,} bytes; "
                                                      "send smaller batches")
                        chunks.append(self.rfile.read(length))
                        self.rfile.readline(1024)  # the CRLF after each chunk
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if length < 0:
                    self.close_connection = True
                    raise RequestRefused(400, f"Content-Length must be a whole number of bytes "
                                              f"(got {self.headers.get('Content-Length')!r})")
                if length > limit:
                    self.close_connection = True  # the body is not read: the connection cannot be reused
                    raise RequestRefused(413, f"the body is {length:,} bytes; at most {limit:,} are accepted, "
                                              "send smaller batches")
                return self.rfile.read(length) if length else b""

            def _answer(self, method: str) -> None:
                try:
                    refused = service.route(method, self.path)
                    if refused is not None:  # the route first: nothing is read or decompressed for a wrong one
                        self.close_connection = True
                        status, payload = refused
                    else:
                        raw = self._read_body()
                        body = decode_body(raw, self.headers.get("Content-Encoding"), service.max_body_bytes)
                        status, payload = service.handle(method, self.path, self.headers, body)
                except RequestRefused as refusal:  # the client's mistake: answered, not kept for check()
                    status, payload = refusal.status, service.refusal(refusal)
                except Exception as error:  # kept for check(); the client gets a 500
                    service._record(error)
                    status, payload = 500, {"error": f"{type(error).__name__}: {error}"}
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self._answer("POST")

            def do_GET(self):
                self._answer("GET")

            def log_message(self, *args):  # quiet: no per-request lines on stderr
                pass

        try:
            self._server = _Server((HOST, self._requested_port), Handler)
        except OSError as error:
            raise bind_error(error, self._requested_port, self.label) from None
        # serve_forever notices shutdown() only between polls: poll often, so that stop() is prompt
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": _POLL_S},
                                        name=self.label, daemon=True)
        self._thread.start()

    def _died(self) -> str | None:
        if self._thread is not None and not self._thread.is_alive():
            return "its server thread has ended"
        return None

    def _stop(self) -> None:
        if self._server is not None and self._thread is not None and self._thread.is_alive():
            self._server.shutdown()
        if self._server is not None:
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _record(self, error: BaseException) -> None:
        with self._errors_lock:
            self._error_count += 1
            if self._first_error is None:
                self._first_error = error

    def check(self) -> None:
        """Re-raise, as :class:`~mlcheckup.errors.ServerError`, the first error met while serving.

        A full disk is raised as :class:`~mlcheckup.errors.DiskFullError`, whose message starts
        with "disk full".

        Only the first error since the last check is kept, with a count of the others; once
        raised they are forgotten, so one failed request does not fail every later call.
        """
        with self._errors_lock:
            error, count = self._first_error, self._error_count
            self._first_error, self._error_count = None, 0
        if error is not None:
            more = f" (and {count - 1} more since the last check)" if count > 1 else ""
            if isinstance(error, DiskFullError):  # the cause, said first: "disk full: ..."
                raise DiskFullError(f"{error} [{self.label}]{more}") from error
            raise ServerError(
                f"{self.label} failed while handling a request: {type(error).__name__}: {error}{more}"
            ) from error
