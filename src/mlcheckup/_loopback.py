"""A small HTTP receiver on 127.0.0.1, served from a daemon thread (private to mlcheckup).

The data collector sink and the App Insights ingestion endpoint are both built on
:class:`LoopbackService`: it binds 127.0.0.1 only, on a free port by default (the real port is
read back after bind), answers from a thread per connection, and keeps the first error raised while
handling a request (and a count of the others, so memory stays bounded) so that
:meth:`LoopbackService.check` re-raises it in the caller's thread.
"""

from __future__ import annotations

import errno
import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ._lifecycle import Managed
from .errors import ServerError

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


def decode_body(raw: bytes, encoding: str | None) -> bytes:
    """Undo ``Content-Encoding: gzip``/``deflate`` (also sniffing the gzip magic bytes)."""
    encoding = (encoding or "").lower()
    if encoding == "gzip" or raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw


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

    # -- what subclasses provide ------------------------------------------------------------
    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict | list | str]:
        """Answer one request: return ``(status, json_body)``."""
        raise NotImplementedError

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

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = decode_body(raw, self.headers.get("Content-Encoding"))
                    status, payload = service.handle(method, self.path, self.headers, body)
                except Exception as error:  # kept for check(); the client gets a 500
                    service._record(error)
                    status, payload = 500, {"error": f"{type(error).__name__}: {error}"}
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
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

    def _stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
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

        Only the first error since the last check is kept, with a count of the others; once
        raised they are forgotten, so one failed request does not fail every later call.
        """
        with self._errors_lock:
            error, count = self._first_error, self._error_count
            self._first_error, self._error_count = None, 0
        if error is not None:
            more = f" (and {count - 1} more since the last check)" if count > 1 else ""
            raise ServerError(
                f"{self.label} failed while handling a request: {type(error).__name__}: {error}{more}"
            ) from error
