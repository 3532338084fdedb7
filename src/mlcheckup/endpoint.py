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

Its jobs live in small private modules behind this one face: the HTTP client
(:mod:`mlcheckup._scoring`, shared with :class:`~mlcheckup.frontend.FrontEnd`), the server's
environment (:mod:`mlcheckup._server_env`), the console log (:mod:`mlcheckup._serverlog`) and
the collected data (:mod:`mlcheckup._collected`); this module supervises the process.

Taught in lessons 02 (deploy), 03 (logs and events) and 05 (telemetry).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import psutil
import requests

from . import _validate
from ._azureml_names import check_name
from ._collected import CollectedData, loss_message
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
from ._scoring import ScoringClient, session
from ._server_env import SERVER_VERSION, deployment_environment
from ._serverlog import CONSOLE_COLUMNS, EXCEPTION_LINE, ServerLog, console_rows
from .appinsights import (
    LOCAL_INSTRUMENTATION_KEY,
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
from .errors import ScoringError, ServerError, ValidationError

__all__ = ["EVENT_COLUMNS", "SERVER_VERSION", "LocalEndpoint", "ScoringError", "State"]

#: ``AmlOnlineEndpointEventLog``'s columns (Learn's table reference).
EVENT_COLUMNS = ("TimeGenerated", "OperationName", "InstanceId", "DeploymentName", "Name", "Message")



class LocalEndpoint(LoopbackAddress, Managed, ScoringClient, CollectedData):
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
        workers = _validate.whole("workers", workers, 1, words="of at least 1")
        port = _validate.whole("port", port, 0, 65535)
        start_timeout = _validate.seconds("start_timeout", start_timeout)
        request_timeout = _validate.seconds("request_timeout", request_timeout)
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
        self._log: ServerLog | None = None
        self._events: list[tuple] = []
        self._http = session()

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
            text = str(environment["WORKER_COUNT"]).strip()
            kwargs["workers"] = _validate.whole("WORKER_COUNT", int(text) if text.isdigit() else text, 1,
                                                words="of at least 1 (an environment variable: digits only)")
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
        env = deployment_environment(self.folder, model=self.model, model_name=self.model_name,
                                     model_version=self.model_version, score_script=self.score_script,
                                     app_root=self.app_root, name=self.name, deployment=self.deployment)
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
        self.record_event("Created", f"container for {self.label} created in {self.folder}")
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
                    self.record_event("Started", f"{self.workers} worker(s) ready for serving traffic")
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
        self.record_event("BackOff", f"the server failed to start: {reason}")
        self._await_exception_telemetry()
        terminate(self._proc, self._session, timeout=1.0)  # a failed server needs no grace; the log is complete
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [i for i, line in enumerate(lines) if EXCEPTION_LINE.match(line)]
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
            if self._proc.poll() is None:
                self.record_event("Killing", f"stopping {self.label} (SIGTERM to the server's process group)")
            terminate(self._proc, self._session)
        if self.sink is not None:
            self.sink.stop()
        self._http.close()
        lost = self.data_collection_errors() if self.folder else Counter()
        if sum(lost.values()):
            warnings.warn(DataCollectionWarning(f"{self.label} lost {loss_message(lost)}"), stacklevel=3)

    # -- use --------------------------------------------------------------------------------------
    def _answered(self, path: str, response) -> None:
        if path == "/score" and 200 <= response.status_code < 300:
            self.expect_payloads(1)

    def expect_payloads(self, count: int = 1) -> None:
        """Count ``count`` requests scored through another client (a front end, a load generator).

        :meth:`collected` waits for one payload per collection for each 2xx answer to ``POST /score``;
        :meth:`post` and :meth:`invoke` count theirs, other clients call this.
        """
        self._scored += _validate.whole("count", count, 0)

    def _server_log(self) -> ServerLog:
        if self._log is None or self._log.path != self.log_path:
            self._log = ServerLog(self.log_path)
        return self._log

    def logs(self, lines: int | None = None) -> str:
        """The server's console log (like ``get_logs`` in Azure); the last ``lines`` lines if given."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        if lines is not None:
            return self._server_log().tail(lines)
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

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

    # -- Azure's log tables -------------------------------------------------------------------------
    def record_event(self, name: str, message: str) -> None:
        """Add a lifecycle event to :meth:`event_log` (the endpoint records its own; a front end adds probe failures)."""
        self._events.append((pd.Timestamp.now(tz="UTC"), name, message))

    def console_log(self) -> pd.DataFrame:
        """``AmlOnlineEndpointConsoleLog``: the container's console, one row per line of :meth:`logs`.

        Columns ``TimeGenerated`` (the line's own time, else the previous line's), ``OperationName``,
        ``InstanceId``, ``DeploymentName``, ``ContainerName`` (``inference-server``), ``Message``.

        Taught in lesson 03.
        """
        started = self._events[0][0] if self._events else pd.Timestamp.now(tz="UTC")
        if self.log_path is None or not self.log_path.exists():
            return pd.DataFrame(columns=list(CONSOLE_COLUMNS))
        return console_rows(self.logs(), deployment=self.deployment, instance=self._instance(), started=started)

    def event_log(self) -> pd.DataFrame:
        """``AmlOnlineEndpointEventLog``: the deployment's lifecycle events so far.

        ``Name`` is one of Azure's: ``Created`` (folder and model laid out), ``Started`` (every
        worker ready), ``BackOff`` (the server failed to start), ``Killing`` (stopped, or a worker
        killed: gunicorn restarts it), ``LivenessProbeFailed`` (the server's process is gone),
        ``ReadinessProbeFailed`` (the front end could not reach it). Columns ``TimeGenerated``,
        ``OperationName``, ``InstanceId``, ``DeploymentName``, ``Name``, ``Message``.

        Taught in lesson 03.
        """
        events = list(self._events)
        if self.log_path is not None:
            events += [(None, "Killing", f"worker {death} died; gunicorn restarted it") for death in self.worker_restarts()]
        if self.state is State.FAILED and self.failure and not any(e[1] == "BackOff" for e in events):
            events.append((pd.Timestamp.now(tz="UTC"), "LivenessProbeFailed", self.failure))
        rows = [(when if when is not None else pd.Timestamp.now(tz="UTC"), "", self._instance(), self.deployment,
                 name, message) for when, name, message in events]
        table = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
        table["TimeGenerated"] = pd.to_datetime(table["TimeGenerated"], utc=True).astype("datetime64[ns, UTC]")
        return table.sort_values("TimeGenerated", kind="stable", ignore_index=True)

    def _instance(self) -> str:
        return f"{self.name}-{self.deployment}-local"
