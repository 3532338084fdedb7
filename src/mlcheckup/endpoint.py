"""A managed online endpoint on your laptop: the real Azure ML inference server, on 127.0.0.1.

:class:`LocalEndpoint` serves a ``score.py`` and a model with ``azureml-inference-server-http``
(the server inside Azure ML's inference images) and gives it the environment an Azure ML
deployment gets: ``AZUREML_MODEL_DIR`` in the ``<name>/<version>`` layout, ``AZUREML_ENTRY_SCRIPT``,
``AML_APP_ROOT``, the data collector config (``AZUREML_MDC_CONFIG_PATH``) and App Insights
variables. Differences from the ``azmlinfsrv`` command, on purpose:

* gunicorn runs directly on a socket this process binds to 127.0.0.1 (``azmlinfsrv`` binds
  0.0.0.0 and has no option to change it); port 0 picks a free port, read back after bind;
* each server has its own gunicorn control socket (gunicorn 27 otherwise shares
  ``~/.gunicorn/gunicorn.ctl`` between servers);
* each server runs in its own process group, dies with the notebook kernel, and is recorded in
  the run folder so that the next session reaps it if it survived (see :mod:`mlcheckup._process`);
* its sync workers do the front end's part that Azure puts before the server: a client that
  connects and idles, or stalls half-way through a request, does not block the endpoint
  (see :mod:`mlcheckup._worker`);
* a worker that dies (killed, out of memory) is restarted by gunicorn, as in Azure; the payloads
  and telemetry it still held are lost, and :meth:`LocalEndpoint.collected` says how many.

Taught in lessons 02 (deploy) and 05 (telemetry).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import psutil
import requests

from ._lifecycle import Managed, State
from ._loopback import HOST, LoopbackAddress, bind_error
from ._process import (
    disk_full_error,
    is_disk_full,
    path_component,
    private_dir,
    session_dir,
    spawn,
    terminate,
    write_private,
)
from ._progress import finish, progress
from .appinsights import (
    LOCAL_INSTRUMENTATION_KEY,
    QUIET_ENVIRONMENT,
    AppInsightsIngestion,
    telemetry_environment,
)
from .datacollector import (
    DEFAULT_COLLECTIONS,
    DataCollectionWarning,
    DataCollectorSink,
    check_collections,
    check_sampling_rate,
    collector_config,
)
from ._azureml_names import check_name
from .errors import ServerError, ValidationError
from .serving import LOST_MARKER

__all__ = ["LocalEndpoint", "ScoringError", "State"]

SERVER_VERSION = "azmlinfsrv/1.5.1"
_READY = "ready for serving traffic"
_FAILED = ("User's init function failed", "Worker failed to boot", "Configuration Error", "Invalid config file")
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)): ?(.*)$")
_LOST_LINE = re.compile(re.escape(LOST_MARKER) + r" \((\w+)\)")
_WORKER_DIED = re.compile(r"Worker \(pid:(\d+)\) (?:was sent ([\w ]+?)!|exited with code (-?\d+))")
#: What to do about lost payloads, by reason.
_LOSS_ADVICE = {
    "queue_full": "the Collector's queue was full: send fewer requests per second",
    "undelivered": "the sink did not take them (it was stopped, failed, or refused them: see endpoint.logs())",
    "disk_full": "the disk is full: free some space",
    "write_failed": "the sink could not write them: see the sink's error",
    "worker_restarts": "a worker died with them in its queue",
    "error": "see the warnings in endpoint.logs()",
}


class ScoringError(ServerError):
    """The endpoint answered a scoring request with an HTTP error.

    Attributes
    ----------
    status : int
        HTTP status (4xx: the request was refused; 5xx: score.py or the server failed).
    message : str
        The server's ``message`` field.
    """

    def __init__(self, status: int, message: str, label: str) -> None:
        kind = "refused the request" if status < 500 else "failed"
        hint = "fix the request" if status < 500 else "read endpoint.logs() for the traceback"
        super().__init__(f"{label} {kind} with HTTP {status}: {message}; {hint}")
        self.status, self.message = status, message


def _link_model(model: Path, layout: Path) -> None:
    layout.mkdir(parents=True, exist_ok=True)
    target = layout / model.name
    try:
        target.symlink_to(model.resolve(), target_is_directory=model.is_dir())
    except OSError:  # no symlinks here: copy instead
        import shutil

        (shutil.copytree if model.is_dir() else shutil.copy2)(model, target)


class _ServerLog:
    """The server's console log, read from where the previous read stopped.

    It keeps what the endpoint watches for (workers ready, a failed start, lost payloads), so a
    long log is never read twice.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ready = 0
        self.failed = False
        self.lost: Counter = Counter()
        #: Workers that died while serving: "pid 123 (SIGKILL)", in order.
        self.worker_deaths: list[str] = []
        self._offset = 0
        self._partial = b""

    def update(self) -> None:
        """Scan the lines written since the last call (a line still being written waits)."""
        try:
            with open(self.path, "rb") as log:
                log.seek(self._offset)
                chunk = log.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace")
            self.ready += _READY in line
            self.failed = self.failed or any(marker in line for marker in _FAILED)
            found = _LOST_LINE.search(line)
            if found:
                self.lost[found.group(1)] += 1
            died = _WORKER_DIED.search(line)
            if died:
                how = died.group(2) or f"exit code {died.group(3)}"
                self.worker_deaths.append(f"pid {died.group(1)} ({how})")

    def tail(self, lines: int) -> str:
        """The last ``lines`` lines, read from the end of the file."""
        if lines <= 0 or not self.path.exists():
            return ""
        with open(self.path, "rb") as log:
            position = log.seek(0, os.SEEK_END)
            data = b""
            while position > 0 and data.count(b"\n") <= lines:
                step = min(64 * 1024, position)
                position -= step
                log.seek(position)
                data = log.read(step) + data
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


def _whole(name: str, value, low: int, high: int | None, words: str) -> int:
    """``value`` as an int in [low, high]; a bool, a float with a fraction or text is a ValidationError."""
    ok = isinstance(value, int | float | str) and not isinstance(value, bool)
    try:
        number = int(value) if ok else None
        ok = ok and number == float(value)
    except (TypeError, ValueError):
        ok = False
    if not ok or number < low or (high is not None and number > high):
        raise ValidationError(f"{name} must be a whole number {words} (got {value!r})")
    return number


def _seconds(name: str, value) -> float:
    """``value`` as a positive, finite number of seconds; else a ValidationError."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(value, bool) or not 0 < seconds < float("inf"):
        raise ValidationError(f"{name} must be a positive number of seconds (got {value!r})")
    return seconds


class LocalEndpoint(LoopbackAddress, Managed):
    """Serve ``score.py`` and a model with the real Azure ML inference server, on 127.0.0.1.

    Parameters
    ----------
    score_script : path
        The scoring script (``init()`` and ``run()``).
    app_root : path, optional
        The deployment's ``code`` folder (``AML_APP_ROOT``, on ``sys.path``); the script's folder
        by default.
    model : path
        Model file or folder. It appears under ``$AZUREML_MODEL_DIR`` with its own name, as in
        Azure (a folder ``model/`` gives ``$AZUREML_MODEL_DIR/model/...``).
    name, deployment : str
        Endpoint and deployment names (``SERVICE_NAME``, data collection folders).
    model_name, model_version : str
        ``AZUREML_MODEL_DIR`` is ``.../azureml-models/<model_name>/<model_version>``.
    workers : int, default 1
        gunicorn sync workers (processes); each runs ``init()``.
    port : int, default 0
        Port on 127.0.0.1; 0 picks a free one. A taken port is a :class:`ServerError`.
    collections : sequence of str, dict or None, default ("model_inputs", "model_outputs")
        Data collector collections to enable; a dict is used as the config's ``collections``.
        The endpoint then starts its own :class:`~mlcheckup.datacollector.DataCollectorSink`.
        None collects nothing.
    sampling_rate : float, default 1.0
        Share of requests collected.
    data_root : path, optional
        Folder that receives ``modelDataCollector/``, like a workspace's blob store; this
        endpoint's own run folder by default, so a new endpoint starts with no collected data.
    app_insights : AppInsightsIngestion, optional
        Send the server's App Insights logging (and score.py's telemetry) there, as
        ``app_insights_enabled=True`` does in Azure. None turns App Insights off.
    environment : dict, optional
        Extra environment variables (a deployment's ``environment_variables``).
    start_timeout, request_timeout : float
        Seconds to wait for the server to become healthy, and for one request.

    Examples
    --------
    Serve the course's digits model for the length of a block (it takes 2-3 s to start)::

        project = write_digits_project()
        with LocalEndpoint(project.score_script, project.model_dir) as endpoint:
            endpoint.invoke(digits_payload(2))         # {'predictions': [...], 'confidence': [...]}
            inputs = endpoint.collected("model_inputs")

    Taught in lessons 02 and 05.
    """

    def __init__(self, score_script: str | os.PathLike, model: str | os.PathLike, *,
                 app_root: str | os.PathLike | None = None, name: str = "digits-endpoint", deployment: str = "blue", model_name: str = "digits",
                 model_version: str | int = "1", workers: int = 1, port: int = 0,
                 collections: Sequence[str] | dict | None = DEFAULT_COLLECTIONS,
                 sampling_rate: float = 1.0, data_root: str | os.PathLike | None = None,
                 app_insights: AppInsightsIngestion | None = None,
                 environment: dict | None = None, start_timeout: float = 60.0,
                 request_timeout: float = 10.0) -> None:
        self.score_script = Path(score_script).resolve()
        self.model = Path(model).resolve()
        self.app_root = Path(app_root).resolve() if app_root else self.score_script.parent
        if not self.score_script.is_file():
            raise ValidationError(f"score_script {self.score_script} does not exist; pass the path of score.py")
        if not self.model.exists():
            raise ValidationError(f"model {self.model} does not exist; pass the model file or folder")
        workers = _whole("workers", workers, 1, None, "of at least 1")
        port = _whole("port", port, 0, 65535, "from 0 to 65535")
        start_timeout = _seconds("start_timeout", start_timeout)
        request_timeout = _seconds("request_timeout", request_timeout)
        check_sampling_rate(sampling_rate)
        if collections:
            check_collections(collections)
            if isinstance(collections, dict) and not all(isinstance(v, dict) for v in collections.values()):
                raise ValidationError("a collections dict maps each name to its config entry, e.g. "
                                      "{'model_inputs': {'enabled': True, 'sampleRatePercentage': 100}}")
        check_name("endpoint", name)
        check_name("deployment", deployment)
        # they become folder names (run folder, AZUREML_MODEL_DIR, collected data): checked here, where paths are made
        for what, value in (("name", name), ("deployment", deployment), ("model_name", model_name),
                            ("model_version", model_version)):
            path_component(what, value)
        self.name, self.deployment = name, deployment
        self.model_name, self.model_version = model_name, str(model_version)
        self.workers, self.start_timeout, self.request_timeout = workers, start_timeout, request_timeout
        self.collections, self.sampling_rate = collections, sampling_rate
        self.data_root = Path(data_root) if data_root else None
        self.app_insights, self.environment = app_insights, dict(environment or {})
        self.label = f"endpoint {name}/{deployment}"
        self._requested_port = port
        self._port: int | None = None
        self._session = session_dir()
        self.folder: Path | None = None
        self.sink: DataCollectorSink | None = None
        #: This server's own gunicorn control socket (``gunicornc -s <path>``), if the path fits.
        self.control_socket: Path | None = None
        self._proc = None
        self._scored = 0  # 2xx answers to POST /score sent through post(): one payload per collection each
        self._log: _ServerLog | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never send loopback traffic through an HTTP(S)_PROXY of the laptop

    @classmethod
    def from_deployment(cls, deployment, *, app_insights: AppInsightsIngestion | None = None, **kwargs):
        """A local endpoint for an Azure ``ManagedOnlineDeployment`` (see :mod:`mlcheckup.entities`).

        Uses its code folder and scoring script, model path, name and version, data collector
        and environment variables (``WORKER_COUNT`` sets the workers, as in Azure, unless
        ``workers`` is given); App Insights only if ``app_insights_enabled`` and
        ``app_insights`` is given.

        Raises
        ------
        ValidationError
            If the deployment has no local model path or no code configuration.
        """
        from .entities import data_collector_config

        model = deployment.model
        if model is None or isinstance(model, str) or not getattr(model, "path", None):
            raise ValidationError(f"deployment {deployment.name} has no local model path (model={model!r}); "
                                  "build it with mlcheckup.entities.build_model(path)")
        code = deployment.code_configuration
        if code is None or not getattr(code, "code", None) or not getattr(code, "scoring_script", None):
            raise ValidationError(f"deployment {deployment.name} has no code_configuration (code folder and "
                                  f"scoring script; got {code!r}); build it with mlcheckup.entities.build_deployment"
                                  "(..., code=<folder with score.py>), or set CodeConfiguration(code=..., "
                                  "scoring_script='score.py')")
        config = data_collector_config(deployment)["collections"]
        environment = dict(deployment.environment_variables or {})
        if "workers" not in kwargs and environment.get("WORKER_COUNT"):  # the server's own setting, as in Azure
            kwargs["workers"] = environment["WORKER_COUNT"]
        timeout = getattr(deployment.request_settings, "request_timeout_ms", None)
        if timeout:  # Azure stops a request after request_timeout_ms; the server's own limit does the same here
            environment.setdefault("SCORING_TIMEOUT_MS", str(timeout))
        kwargs.setdefault("environment", environment)
        return cls(Path(code.code) / code.scoring_script, model.path, app_root=code.code,
                   name=deployment.endpoint_name,
                   deployment=deployment.name, model_name=model.name or "model", model_version=model.version or "1",
                   collections=config or None,
                   app_insights=app_insights if deployment.app_insights_enabled else None, **kwargs)

    # -- addresses ------------------------------------------------------------------------------
    @property
    def port(self) -> int | None:
        """The TCP port the server listens on (once started); ``GET url`` is the health probe."""
        return self._port

    @property
    def scoring_uri(self) -> str:
        """``http://127.0.0.1:<port>/score``, like ``endpoint.scoring_uri`` in Azure."""
        return f"{self.url}/score"

    @property
    def log_path(self) -> Path | None:
        """The server's console log (stdout and stderr of gunicorn and its workers)."""
        return self.folder / "server.log" if self.folder else None

    @property
    def pid(self) -> int | None:
        """Process id of the gunicorn master."""
        return self._proc.pid if self._proc else None

    def worker_pids(self) -> list[int]:
        """Process ids of the gunicorn workers (one per worker)."""
        self._require_running("list workers")
        return [child.pid for child in psutil.Process(self.pid).children()]

    def __repr__(self) -> str:
        state = self.state
        where = f" at {self.url}" if state is State.RUNNING else ""
        return f"<LocalEndpoint {self.name}/{self.deployment}: {state.value}{where}>"

    # -- lifecycle ------------------------------------------------------------------------------
    def _environment(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AZUREML_MDC_", "AML_APP_INSIGHTS", "APPLICATIONINSIGHTS_"))}
        layout = self.folder / "azureml-models" / self.model_name / self.model_version
        _link_model(self.model, layout)
        (self.folder / "tmp").mkdir()
        env.update({
            "AZUREML_MODEL_DIR": str(layout), "AZUREML_ENTRY_SCRIPT": str(self.score_script),
            "AML_APP_ROOT": str(self.app_root), "SERVICE_NAME": self.name, "WORKSPACE_NAME": "local",
            "HOSTNAME": f"{self.name}-{self.deployment}-local", "HTTP_X_MS_SERVER_VERSION": SERVER_VERSION,
            "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.folder / "tmp"), "AML_APP_INSIGHTS_ENABLED": "false",
            # the Collector and the exporter honour HTTP(S)_PROXY: keep loopback traffic off any proxy
            "NO_PROXY": ",".join(filter(None, ["127.0.0.1,localhost", os.environ.get("NO_PROXY")])),
            "no_proxy": ",".join(filter(None, ["127.0.0.1,localhost", os.environ.get("no_proxy")])),
            **QUIET_ENVIRONMENT,
        })
        if self.collections:
            config = self.folder / "mdc_config.json"
            write_private(config, json.dumps(collector_config(self.collections, self.sampling_rate)))
            root = self.data_root or self.folder
            self.sink = DataCollectorSink(self.name, self.deployment, root=root).start()
            env.update(self.sink.collector_environment(), AZUREML_MDC_CONFIG_PATH=str(config))
        if self.app_insights is not None:
            self.app_insights._require_running(f"send {self.label}'s telemetry")
            env.update(telemetry_environment(self.app_insights.url), AML_APP_INSIGHTS_ENABLED="true",
                       AML_APP_INSIGHTS_KEY=LOCAL_INSTRUMENTATION_KEY, OTEL_BSP_SCHEDULE_DELAY="1000",
                       OTEL_METRIC_EXPORT_INTERVAL="5000")
        env.update(self.environment)
        return env

    def _bind(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((HOST, self._requested_port))
        except OSError as error:
            listener.close()
            raise bind_error(error, self._requested_port, self.label) from None
        listener.listen(128)
        self._port = listener.getsockname()[1]
        return listener

    def _start(self) -> None:
        folder = self._session / "endpoints"
        try:
            private_dir(folder)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{self.name}-{self.deployment}-", dir=folder))
            env = self._environment()
        except OSError as error:
            if is_disk_full(error):
                raise disk_full_error(f"prepare {self.label}", folder, error) from None
            raise ServerError(f"cannot prepare {self.label} in {folder}: {type(error).__name__}: {error}") from None
        self._exceptions_before = self.app_insights.count("exceptions") if self.app_insights else 0
        listener = self._bind()
        control = self.folder / "gunicorn.ctl"
        control_args = ["--control-socket", str(control)] if len(str(control)) < 100 else ["--no-control-socket"]
        cmd = [sys.executable, "-m", "gunicorn", "-b", f"fd://{listener.fileno()}", "-w", str(self.workers),
               "-k", "mlcheckup._worker.FrontDoorWorker", "--timeout", "300", "--graceful-timeout", "10", "--access-logfile", "-", "--error-logfile", "-",
               *control_args, "azureml_inference_server_http.server.entry:app"]
        try:
            self._proc = spawn(cmd, env=env, log_path=self.log_path, session=self._session,
                               pass_fds=[listener.fileno()])
        finally:
            listener.close()
        self.control_socket = control if control_args[0] == "--control-socket" else None
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        with progress(self.workers, f"starting {self.label}", unit="worker") as bar:
            while True:
                self._server_log().update()
                ready = self._log.ready
                bar.update(min(ready, self.workers) - bar.n)
                if self._proc.poll() is not None:
                    self._fail(f"the server exited with code {self._proc.returncode}")
                if self._log.failed:
                    time.sleep(0.5)  # let the traceback reach the log
                    self._fail("score.py could not be loaded or its init() failed")
                if ready >= self.workers and self._healthy():
                    finish(bar)
                    return
                if time.monotonic() > deadline:
                    self._fail(f"it was not healthy after {self.start_timeout:.0f} s "
                               f"({ready} of {self.workers} workers ready)")
                time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            return self._http.get(self.url + "/", timeout=2).ok
        except requests.RequestException:
            return False

    def _fail(self, reason: str) -> None:
        self._await_exception_telemetry()
        terminate(self._proc, self._session, timeout=1.0)  # a failed server needs no grace; the log is complete
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [i for i, line in enumerate(lines) if _EXCEPTION_LINE.match(line)]
        cause = [lines[i] for i in errors if "UserScript" not in lines[i]]
        if cause:
            reason += f": {cause[0]}"
        end = errors[-1] + 1 if errors else len(lines)
        tail = "\n".join(lines[max(0, end - 20):end])
        raise ServerError(f"{self.label} failed to start: {reason}.\n"
                          f"Fix score.py or the model, then create a new LocalEndpoint. "
                          f"The last 20 lines of {self.log_path} up to the error:\n{tail}")

    def _await_exception_telemetry(self, timeout: float = 1.5) -> None:
        """Let the server's report of the failure reach App Insights, as it does in Azure, quickly.

        The worker of a failed ``init()`` waits 30 s for its 5-second log export; asked to quit
        (SIGINT: gunicorn's quick shutdown) it exports what it holds as it exits, so the
        ``exceptions`` row arrives within ``timeout`` seconds.
        """
        if self.app_insights is None or self._proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.app_insights.count("exceptions") <= self._exceptions_before:
            time.sleep(0.05)

    def _died(self) -> str | None:
        if self._proc is None or self._proc.poll() is None:
            return None
        code = self._proc.returncode
        how = f"killed by {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals() else \
            f"exit code {code}"
        return f"its server (gunicorn master, pid {self._proc.pid}) exited ({how}); read endpoint.logs()"

    def _stop(self) -> None:
        if self._proc is not None:  # also after the master died: its workers and its record go too
            terminate(self._proc, self._session)
        if self.sink is not None:
            self.sink.stop()
        self._http.close()
        lost = self.data_collection_errors() if self.folder else Counter()
        if sum(lost.values()):
            warnings.warn(DataCollectionWarning(
                f"{self.label} lost {sum(lost.values())} collected payload(s) ({dict(lost)}): "
                + "; ".join(_LOSS_ADVICE.get(reason, _LOSS_ADVICE["error"]) for reason in lost)), stacklevel=3)

    # -- use --------------------------------------------------------------------------------------
    def post(self, payload, *, headers: dict | None = None, timeout: float | None = None,
             path: str = "/score") -> requests.Response:
        """Send one request and return the raw response, whatever its status.

        ``payload`` is sent as JSON unless it is ``str`` or ``bytes`` (sent as is). An
        ``x-request-id`` is added when missing, as Azure's front end does, so the request can
        be found in App Insights and in the collected data.
        """
        self._require_running("send a request")
        headers = {"x-request-id": str(uuid.uuid4()), **(headers or {})}
        if isinstance(payload, str | bytes):
            data = payload
        else:
            data = json.dumps(payload)
            headers.setdefault("Content-Type", "application/json")
        try:
            response = self._http.post(self.url + path, data=data, headers=headers,
                                       timeout=timeout or self.request_timeout)
        except requests.RequestException as error:
            if self.state is State.FAILED:
                raise ServerError(f"{self.label} did not answer: {self.failure}; create a new one") from error
            raise ServerError(f"{self.label} did not answer ({type(error).__name__}: {error}); "
                              "check endpoint.logs() and endpoint.state") from error
        if path == "/score" and 200 <= response.status_code < 300:
            self._scored += 1
        return response

    def invoke(self, payload, *, headers: dict | None = None, timeout: float | None = None):
        """Score ``payload`` and return the parsed JSON answer.

        Raises
        ------
        ScoringError
            If the endpoint answers 4xx (a refused request: the message says why) or 5xx.
        ServerError
            If it answers with a body that is not JSON (the message quotes its start).

        Taught in lesson 02.
        """
        response = self.post(payload, headers=headers, timeout=timeout)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
                message = response.text
            raise ScoringError(response.status_code, message, self.label)
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                f"{self.label} answered HTTP {response.status_code} with a body that is not JSON: "
                f"{response.text[:200]!r}; run() must return something JSON can encode "
                "(use endpoint.post() to read a raw answer)") from None

    def _server_log(self) -> _ServerLog:
        if self._log is None or self._log.path != self.log_path:
            self._log = _ServerLog(self.log_path)
        return self._log

    def logs(self, lines: int | None = None) -> str:
        """The server's console log (like ``get_logs`` in Azure); the last ``lines`` lines if given."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        if lines is not None:
            return self._server_log().tail(lines)
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def data_collection_errors(self) -> Counter:
        """Collected payloads lost so far, by reason (``queue_full``, ``undelivered``, ``disk_full``, ...).

        Counted from the server's log (what the Collector could not queue or deliver) and from the
        sink's own count of payloads it could not store, which it keeps in memory: on a full disk
        the log loses its lines too, so a payload refused by the sink counts at least once.
        """
        if self.log_path is None:
            return Counter()
        log = self._server_log()
        log.update()
        lost = Counter(log.lost)
        if self.sink is not None and self.sink.lost:
            refused = sum(self.sink.lost.values())
            # each payload the sink refused is also an "undelivered" line in the log, when the disk lets it be written
            lost["undelivered"] = max(0, lost["undelivered"] - refused)
            lost.update(self.sink.lost)
        return +lost

    def worker_restarts(self) -> list[str]:
        """Workers that died while the endpoint ran, e.g. ``["pid 4242 (SIGKILL)"]``; gunicorn restarted each.

        A dead worker takes with it the payloads still in its Collector's queue and the telemetry
        it had not exported yet (up to 5 s of it), as in Azure.
        """
        if self.log_path is None:
            return []
        log = self._server_log()
        log.update()
        return list(log.worker_deaths)

    def _expected_payloads(self, collection: str) -> int | None:
        """Payloads ``collection`` should have received so far; None when sampling makes it unknown."""
        entry = collector_config(self.collections, self.sampling_rate)["collections"].get(collection)
        if not entry or not entry.get("enabled", True):
            return 0
        return self._scored if entry.get("sampleRatePercentage", 100) >= 100 else None

    def collected(self, collection: str, *, wait: bool = True, timeout: float = 10.0, **kwargs):
        """The rows collected so far for ``collection`` (see :func:`mlcheckup.datacollector.read_collected`).

        The Collector sends in the background, a few milliseconds after each request. With
        ``wait`` (default) this first waits until the sink has one payload per request that
        :meth:`post` (or :meth:`invoke`) got a 2xx answer to, as the course's score.py collects
        inputs and outputs of every scored request; a sampled collection is waited for until it
        has been quiet for half a second.

        Warns
        -----
        DataCollectionWarning
            If payloads are still missing after ``timeout`` seconds, or were lost on the way
            (a full Collector queue, a stopped sink, a full disk, a worker that died with
            payloads in its queue: the message names the cause and the count); the rows
            returned then lack them.

        Raises
        ------
        ServerError
            If the endpoint collects nothing, or the sink failed to store a payload.

        Taught in lesson 02.
        """
        if self.sink is None:
            raise ServerError(f"{self.label} collects no data; create it with collections=('model_inputs', "
                              "'model_outputs') or deploy with a data_collector")
        if wait and self.state is State.RUNNING:
            expected = self._expected_payloads(collection)
            if expected is None:
                self.sink.wait_idle(timeout=timeout)
            else:
                def lost() -> int:
                    return sum(self.data_collection_errors().values())

                began = time.monotonic()

                def died_with_a_worker() -> bool:  # a worker died and the sink has been quiet: the rest never comes
                    quiet = time.monotonic() - max(self.sink.last_received, began) >= 0.5
                    return quiet and bool(self.worker_restarts())

                arrived = self.sink.wait_for(collection, expected, timeout=timeout, lost=lost,
                                             give_up=died_with_a_worker)
                restarts = self.worker_restarts()
                missing = max(0, expected - arrived - lost())
                if missing and restarts:
                    warnings.warn(DataCollectionWarning(
                        f"{len(restarts)} worker(s) of {self.label} died and were restarted "
                        f"({', '.join(restarts[:3])}): {missing} of {expected} {collection} payloads are lost "
                        "with them (they were still in the dead worker's Collector queue), and so is the "
                        "telemetry it had not exported yet (up to 5 s); these rows are incomplete"), stacklevel=2)
                elif missing:
                    warnings.warn(DataCollectionWarning(
                        f"only {arrived} of {expected} {collection} payloads arrived within {timeout:g} s "
                        f"(one per scored request); these rows are incomplete: call collected() again, "
                        "or pass a longer timeout="), stacklevel=2)
        self.sink.check()  # a payload the sink failed to store is missing: say so, do not return less
        lost = self.data_collection_errors()
        if sum(lost.values()):
            warnings.warn(DataCollectionWarning(
                f"{self.label} lost {sum(lost.values())} payload(s) so far ({dict(lost)}): "
                + "; ".join(_LOSS_ADVICE.get(reason, _LOSS_ADVICE["error"]) for reason in lost)
                + "; these rows are missing"), stacklevel=2)
        return self.sink.read(collection, **kwargs)
