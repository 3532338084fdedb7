"""Azure's front end before a local endpoint: request settings enforced, one traffic-log row per request.

In Azure, a client never talks to the inference server: the managed online endpoint's front end
takes each request, applies the deployment's ``request_settings``, passes it to the model's
container, and writes one row per request to ``AmlOnlineEndpointTrafficLog`` (once diagnostic
settings send it to Log Analytics). :class:`FrontEnd` does that on 127.0.0.1, before a
:class:`~mlcheckup.endpoint.LocalEndpoint`, with Azure's rules (Learn, *Troubleshoot online
endpoints*, HTTP status codes; *Online deployment YAML*, RequestSettings):

* **429 Too many pending requests** when ``2 * max_concurrent_requests_per_instance *
  instance_count`` requests are already being processed (the default setting, 1, admits two at
  once, not one); the refusal is immediate and costs the requests being served nothing;
* **408 Request timeout** when the model takes longer than ``request_timeout_ms`` (default 5000;
  at most 180,000 on a managed endpoint);
* **424 Model error** when the model's container answers anything but 200: the client gets 424,
  the model's own status goes to the ``ms-azureml-model-error-statuscode`` and
  ``ms-azureml-model-error-reason`` headers and to the log's ``ModelStatusCode``/``ModelStatusReason``;
  so ``ResponseCode`` (what the front end answered) and ``ModelStatusCode`` (what the model
  answered, empty when the request never reached it) differ exactly when something went wrong;
* **413** for a body over ``max_payload_bytes``; Learn's *quotas and limits* page lists no payload
  limit for managed online endpoints (it lists 5 MBps of bandwidth per endpoint), so the default
  here is a local safety cap (:data:`MAX_PAYLOAD_BYTES`), not Azure's number;
* **502** (a local choice: Azure's table has no row for it) when the inference server does not
  answer at all (its process died); the event log then says ``ReadinessProbeFailed``;
* ``x-request-id`` is replaced by a fresh GUID unless it is one (Azure "overrides this header to
  ensure it's a valid GUID"); ``x-ms-client-request-id`` keeps letters, digits, ``-`` and ``_``,
  40 characters at most.

Logs, as DataFrames with a ``TimeGenerated`` column (UTC), ready for :func:`mlcheckup.platform_metrics.compute`
or a KQL query:

* :meth:`FrontEnd.traffic_log` — ``AmlOnlineEndpointTrafficLog`` (columns: :data:`~mlcheckup.platform_metrics.TRAFFIC_COLUMNS`);
* :meth:`FrontEnd.console_log` — ``AmlOnlineEndpointConsoleLog``, the container's stdout;
* :meth:`FrontEnd.event_log` — ``AmlOnlineEndpointEventLog``, lifecycle events (Started, Killing,
  ReadinessProbeFailed...);
* :meth:`FrontEnd.metrics` — the platform metrics at a 1-minute grain, with the server processes'
  CPU and memory sampled while the front end runs.

``TimeGenerated`` is when the request arrived. Durations count from then, in whole milliseconds as
Azure stores them (a sub-millisecond step reads 0): ``RequestDurationMs`` until the request's last
byte arrived, ``ResponseDurationMs`` until the model's whole answer was back (Azure's first byte:
the same for these small answers), ``TotalDurationMs`` until the answer's last byte was sent.

Examples
--------
Deploy with request settings, send two requests, read the traffic log::

    deployment = entities.build_deployment("blue", "digits-endpoint", ...)
    deployment.request_settings = OnlineRequestSettings(  # from azure.ai.ml.entities
        max_concurrent_requests_per_instance=1, request_timeout_ms=2000)
    with FrontEnd.from_deployment(deployment) as endpoint:
        endpoint.invoke(digits_payload(2))
        endpoint.post(b"not json")                    # 424: the model answered 400
        log = endpoint.traffic_log()                  # 2 rows: ResponseCode 200, 424; ModelStatusCode 200, 400

Taught in lesson 03.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd

from . import _validate
from ._azureml_names import MAX_REQUEST_TIMEOUT_MS
from ._lifecycle import Managed
from ._loopback import HOST, LoopbackAddress, bind_error
from ._scoring import ScoringClient, session
from .endpoint import LocalEndpoint, State
from .errors import ValidationError
from .platform_metrics import TRAFFIC_COLUMNS, ProcessSampler, compute

__all__ = ["MAX_PAYLOAD_BYTES", "MAX_REQUEST_TIMEOUT_MS", "FrontEnd"]

#: Local cap on a request body (bytes): Learn documents no payload limit for managed online endpoints.
MAX_PAYLOAD_BYTES = 100 * 1024 * 1024
_CLIENT_ID = re.compile(r"[^A-Za-z0-9_-]")
_PASSED_HEADERS = ("Content-Type", "x-ms-run-fn-exec-ms", "x-ms-server-version")
_POLL_S = 0.02


def _request_id(value: str | None) -> str:
    """The client's ``x-request-id`` if it is a GUID, else a fresh one (Azure overrides it)."""
    try:
        return str(uuid.UUID(value)) if value else str(uuid.uuid4())
    except ValueError:
        return str(uuid.uuid4())


def _read_chunked(stream, limit: int) -> bytes | None:
    """A ``Transfer-Encoding: chunked`` body, whole; None past ``limit`` bytes."""
    parts, size = [], 0
    while True:
        line = stream.readline(1024)
        try:
            step = int(line.split(b";")[0].strip() or b"0", 16)
        except ValueError:
            step = 0
        if step == 0:
            while stream.readline(1024).strip():  # trailers, up to the empty line
                pass
            return b"".join(parts)
        size += step
        if size > limit:
            return None
        parts.append(stream.read(step))
        stream.readline(8)  # the CRLF after each chunk


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128

    def __init__(self, front: FrontEnd) -> None:
        self.front = front
        super().__init__((HOST, front._requested_port), _Handler, bind_and_activate=False)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive to clients, as Azure's front end
    disable_nagle_algorithm = True  # else a small answer waits ~40 ms for the client's delayed ACK
    server_version = "azureml-fe"
    sys_version = ""

    def log_message(self, format, *args) -> None:
        """Quiet: every request is in the traffic log."""

    def do_GET(self) -> None:
        self.server.front._serve(self)

    def do_POST(self) -> None:
        self.server.front._serve(self)


class FrontEnd(LoopbackAddress, Managed, ScoringClient):
    """Azure's front end on 127.0.0.1, before a :class:`~mlcheckup.endpoint.LocalEndpoint`.

    Parameters
    ----------
    endpoint : LocalEndpoint
        The inference server to pass requests to. If it is not running yet, the front end starts
        it and stops it when it stops; a running one is left running.
    max_concurrent_requests_per_instance : int, default 1
        The deployment's request setting: ``2 *`` this many requests are processed at once, the
        next one gets 429.
    request_timeout_ms : int, default 5000
        The deployment's request setting: a request the model has not answered in this many
        milliseconds gets 408. 1 to 180,000.
    max_payload_bytes : int, default :data:`MAX_PAYLOAD_BYTES`
        A larger body gets 413 (a local cap, see the module's notes).
    port : int, default 0
        Port on 127.0.0.1; 0 picks a free one.
    sample_interval : float, default 1.0
        Seconds between two samples of the server's CPU and memory (for :meth:`metrics`).

    Examples
    --------
    ::

        with LocalEndpoint(project.score_script, project.model_dir) as server, \\
                FrontEnd(server, max_concurrent_requests_per_instance=1) as endpoint:
            endpoint.invoke(digits_payload(1))
            endpoint.traffic_log()[["ResponseCode", "ModelStatusCode", "TotalDurationMs"]]

    Taught in lesson 03.
    """

    def __init__(self, endpoint: LocalEndpoint, *, max_concurrent_requests_per_instance: int = 1,
                 request_timeout_ms: int = 5000, max_payload_bytes: int = MAX_PAYLOAD_BYTES, port: int = 0,
                 sample_interval: float = 1.0) -> None:
        if not isinstance(endpoint, LocalEndpoint):
            raise ValidationError(f"endpoint must be a LocalEndpoint (got {type(endpoint).__name__}); "
                                  "create one with LocalEndpoint(score_script, model) or use FrontEnd.from_deployment")
        self.endpoint = endpoint
        self.max_concurrent_requests_per_instance = _validate.whole(
            "max_concurrent_requests_per_instance", max_concurrent_requests_per_instance, 1,
            words="of at least 1 (Azure's default is 1)")
        self.request_timeout_ms = _validate.whole("request_timeout_ms", request_timeout_ms, 1, MAX_REQUEST_TIMEOUT_MS,
                                                  words="from 1 to 180000 (Azure's default is 5000)")
        self.max_payload_bytes = _validate.whole("max_payload_bytes", max_payload_bytes, 1)
        self._requested_port = _validate.whole("port", port, 0, 65535)
        self.sample_interval = _validate.seconds("sample_interval", sample_interval)
        #: Requests processed at once before the next gets 429 (Azure: 2 x the setting x 1 instance here).
        self.admitted = 2 * self.max_concurrent_requests_per_instance
        self.label = f"front end of {endpoint.label}"
        self.request_timeout = self.request_timeout_ms / 1000 + 5.0  # the client waits for the front end's 408
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self._rows: list[tuple] = []
        self._answering = 0  # answers sent but not yet logged; traffic_log() waits for them
        self._rows_lock = threading.Condition()
        self._owns_endpoint = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sampler: ProcessSampler | None = None
        self._http = session()

    @classmethod
    def from_deployment(cls, deployment, *, app_insights=None, port: int = 0, sample_interval: float = 1.0,
                        **endpoint_options) -> FrontEnd:
        """A front end with ``deployment``'s ``request_settings``, before its own local endpoint.

        The endpoint is built with :meth:`LocalEndpoint.from_deployment` (``endpoint_options`` go
        there) and started and stopped with the front end. The front end, not the server, enforces
        ``request_timeout_ms`` here (the server's own ``SCORING_TIMEOUT_MS`` is left unset, so a
        slow request ends as Azure ends it, with 408 from the front end).
        """
        settings = getattr(deployment, "request_settings", None)
        concurrency = getattr(settings, "max_concurrent_requests_per_instance", None) or 1
        timeout = getattr(settings, "request_timeout_ms", None) or 5000
        # an explicit environment keeps LocalEndpoint.from_deployment from setting the server's SCORING_TIMEOUT_MS
        endpoint_options.setdefault("environment", dict(getattr(deployment, "environment_variables", None) or {}))
        endpoint = LocalEndpoint.from_deployment(deployment, app_insights=app_insights, **endpoint_options)
        return cls(endpoint, max_concurrent_requests_per_instance=concurrency, request_timeout_ms=timeout,
                   port=port, sample_interval=sample_interval)

    # -- addresses ------------------------------------------------------------------------------
    @property
    def port(self) -> int | None:
        """The front end's TCP port on 127.0.0.1 (once started)."""
        return self._server.server_address[1] if self._server else None

    @property
    def scoring_uri(self) -> str:
        """``http://127.0.0.1:<port>/score``, like ``endpoint.scoring_uri`` in Azure."""
        return f"{self.url}/score"

    @property
    def in_flight(self) -> int:
        """Requests being processed now (passed to the model, not answered yet); at most :attr:`admitted`."""
        return self._in_flight

    def __repr__(self) -> str:
        return f"<FrontEnd of {self.endpoint.name}/{self.endpoint.deployment}: {self.state.value}>"

    # -- lifecycle ------------------------------------------------------------------------------
    def _start(self) -> None:
        if self.endpoint.state is State.CREATED:
            self._owns_endpoint = True
            self.endpoint.start()
        self.endpoint._require_running("put a front end before it")
        self._server = _Server(self)
        try:
            self._server.server_bind()
            self._server.server_activate()
        except OSError as error:
            self._server.server_close()
            self._server = None
            raise bind_error(error, self._requested_port, self.label) from None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": _POLL_S},
                                        name=f"mlcheckup {self.label}", daemon=True)
        self._thread.start()
        self._sampler = ProcessSampler(self._server_pids, interval=self.sample_interval).__enter__()

    def _server_pids(self) -> list[int]:
        if self.endpoint.state is not State.RUNNING:
            return []
        return [self.endpoint.pid, *self.endpoint.worker_pids()]

    def _died(self) -> str | None:
        if self.endpoint.state is State.FAILED:
            return f"its endpoint failed: {self.endpoint.failure}"
        return None

    def _stop(self) -> None:
        if self._sampler is not None:
            self._sampler.__exit__(None, None, None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._http.close()
        if self._owns_endpoint:
            self.endpoint.stop()

    # -- serving (runs on the server's threads) ------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        began, wall = time.perf_counter(), time.time()
        headers = handler.headers
        request_id = _request_id(headers.get("x-request-id"))
        client_id = _CLIENT_ID.sub("", headers.get("x-ms-client-request-id", ""))[:40]
        length = int(headers.get("Content-Length") or 0)
        row = {"TimeGenerated": wall, "Method": handler.command, "Path": handler.path,
               "Protocol": handler.request_version, "UserAgent": headers.get("User-Agent", ""),
               "XRequestId": request_id, "XMSClientRequestId": client_id, "RequestPayloadSize": length,
               "ModelStatusCode": pd.NA, "ModelStatusReason": ""}
        if length > self.max_payload_bytes:
            handler.close_connection = True
            row["RequestDurationMs"] = _ms(time.perf_counter() - began)
            self._answer(handler, row, began, 413, {"message": f"the body is {length:,} bytes, over this endpoint's "
                                                               f"limit of {self.max_payload_bytes:,}; send smaller batches"})
            return
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            body = _read_chunked(handler.rfile, self.max_payload_bytes)
            if body is None:
                handler.close_connection = True
                row["RequestDurationMs"] = _ms(time.perf_counter() - began)
                self._answer(handler, row, began, 413, {"message": f"the chunked body is over this endpoint's limit "
                                                                   f"of {self.max_payload_bytes:,} bytes; send smaller batches"})
                return
            row["RequestPayloadSize"] = length = len(body)
        else:
            body = handler.rfile.read(length) if length else b""
        row["RequestDurationMs"] = _ms(time.perf_counter() - began)
        if not self._admit():
            self._answer(handler, row, began, 429, {
                "message": f"Too many pending requests: {self.admitted} are being processed "
                           f"(2 x max_concurrent_requests_per_instance={self.max_concurrent_requests_per_instance}"
                           " x 1 instance); retry with backoff, or raise the setting or the instances"})
            return
        try:
            status, reason, model_headers, answer = self._forward(handler, body, request_id, client_id)
        finally:
            with self._flight_lock:
                self._in_flight -= 1
        row["ResponseDurationMs"] = _ms(time.perf_counter() - began)
        if status is None:  # no answer from the model in time, or no answer at all
            code, message = reason
            self._answer(handler, row, began, code, {"message": message})
            return
        row["ModelStatusCode"], row["ModelStatusReason"] = status, reason
        if handler.path == "/score" and 200 <= status < 300:
            self.endpoint.expect_payloads(1)  # its collected() waits for this request's payloads
        extra = {name: value for name in _PASSED_HEADERS if (value := model_headers.get(name.lower()))}
        if status != 200:
            extra.update({"ms-azureml-model-error-statuscode": str(status), "ms-azureml-model-error-reason": reason})
            status = 424
        self._answer(handler, row, began, status, answer, extra)

    def _admit(self) -> bool:
        with self._flight_lock:
            if self._in_flight >= self.admitted:
                return False
            self._in_flight += 1
            return True

    def _forward(self, handler, body: bytes, request_id: str, client_id: str):
        """Pass the request to the inference server: (status, reason, headers, body), or (None, (code, message), ...).

        One write and reads until the server closes (its sync worker answers once per connection):
        plain sockets, as ``http.client`` would double the front end's cost per request.
        """
        deadline = time.monotonic() + self.request_timeout_ms / 1000
        lines = [f"{handler.command} {handler.path} HTTP/1.1", f"Host: {HOST}:{self.endpoint.port}",
                 "Connection: close", f"x-request-id: {request_id}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name in ("Content-Type", "User-Agent", "Content-Encoding")
                  if (value := handler.headers.get(name))]
        if client_id:
            lines.append(f"x-ms-client-request-id: {client_id}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        try:
            with socket.create_connection((HOST, self.endpoint.port), timeout=self.request_timeout_ms / 1000) as up:
                up.sendall(request)
                chunks = []
                while True:
                    up.settimeout(max(deadline - time.monotonic(), 1e-3))
                    chunk = up.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            head, _, answer = b"".join(chunks).partition(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            _, code, reason = [*status_line.split(" ", 2), ""][:3]
            model_headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                model_headers[name.strip().lower()] = value.strip()
            return int(code), reason, model_headers, answer
        except TimeoutError:
            return None, (408, f"the model did not answer within request_timeout_ms={self.request_timeout_ms}; "
                               "make run() faster, or raise request_timeout_ms (at most 180000)"), None, None
        except (OSError, ValueError) as error:
            self.endpoint.record_event("ReadinessProbeFailed", f"the front end could not reach the server: {error}")
            return None, (502, f"the model's server did not answer ({type(error).__name__}); "
                               "read endpoint.event_log() and endpoint.console_log()"), None, None

    def _answer(self, handler, row: dict, began: float, status: int, body, extra: dict | None = None) -> None:
        import json

        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._rows_lock:
            self._answering += 1
        try:
            with contextlib.suppress(OSError):  # a client that left is still logged
                self._send(handler, row, status, data, extra or {})
        finally:
            row.setdefault("ResponseDurationMs", _ms(time.perf_counter() - began))
            row.update(ResponseCode=status, ResponseCodeReason=handler.responses.get(status, ("",))[0],
                       ResponsePayloadSize=len(data), TotalDurationMs=_ms(time.perf_counter() - began))
            with self._rows_lock:
                self._rows.append(row)
                self._answering -= 1
                self._rows_lock.notify_all()

    def _send(self, handler, row: dict, status: int, data: bytes, extra: dict) -> None:
        handler.send_response(status)
        handler.send_header("x-request-id", row["XRequestId"])
        if row["XMSClientRequestId"]:
            handler.send_header("x-ms-client-request-id", row["XMSClientRequestId"])
        handler.send_header("azureml-model-deployment", self.endpoint.deployment)
        for name, value in extra.items():
            handler.send_header(name, value)
        if not extra.get("Content-Type"):
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()

    # -- logs -------------------------------------------------------------------------------------
    def traffic_log(self) -> pd.DataFrame:
        """``AmlOnlineEndpointTrafficLog``: one row per request so far, in arrival order.

        Columns: :data:`~mlcheckup.platform_metrics.TRAFFIC_COLUMNS` (``ResponseCode`` is what the
        client got, ``ModelStatusCode`` what the model answered, empty if it never saw the request).
        """
        with self._rows_lock:  # a client can read its answer before the row is appended
            self._rows_lock.wait_for(lambda: self._answering == 0, timeout=5.0)
            rows = list(self._rows)
        fixed = {"Location": "local", "OperationName": "", "AzureMLWorkspaceId": "", "AzureMLWorkspaceName": "local",
                 "EndpointName": self.endpoint.name, "DeploymentName": self.endpoint.deployment, "AuthType": "Key",
                 "IdentityData": "", "RequestThrottlingDelayMs": 0, "ResponseThrottlingDelayMs": 0}
        table = pd.DataFrame(rows, columns=list(TRAFFIC_COLUMNS)).assign(**fixed) if rows else \
            pd.DataFrame(columns=list(TRAFFIC_COLUMNS))
        table = table[list(TRAFFIC_COLUMNS)]
        table["TimeGenerated"] = pd.to_datetime(table["TimeGenerated"].astype(float), unit="s", utc=True)
        return table.astype(TRAFFIC_COLUMNS).sort_values("TimeGenerated", kind="stable", ignore_index=True)

    def console_log(self) -> pd.DataFrame:
        """``AmlOnlineEndpointConsoleLog`` of the endpoint (see :meth:`LocalEndpoint.console_log`)."""
        return self.endpoint.console_log()

    def event_log(self) -> pd.DataFrame:
        """``AmlOnlineEndpointEventLog`` of the endpoint (see :meth:`LocalEndpoint.event_log`)."""
        return self.endpoint.event_log()

    def cpu_samples(self) -> pd.DataFrame:
        """The server processes' CPU and memory, sampled every ``sample_interval`` seconds while running."""
        return self._sampler.samples() if self._sampler else ProcessSampler(list).samples()

    def metrics(self) -> pd.DataFrame:
        """The platform metrics of the traffic so far (see :func:`mlcheckup.platform_metrics.compute`).

        ``RequestsPerMinute``, ``RequestLatency_P50..P99``, ``CpuUtilizationPercentage``,
        ``CpuMemoryUtilizationPercentage``, ``DeploymentCapacity`` (1 instance) and, if the endpoint
        collects data, ``DataCollectionEventsPerMinute``.
        """
        events = self.endpoint.collection_events() if self.endpoint.sink is not None else None
        return compute(self.traffic_log(), cpu=self.cpu_samples(), capacity=1, data_collection=events)
