"""Deploy, invoke, read logs, tear down: one API, on this machine or on an Azure ML workspace.

:func:`mlcheckup.workspace.connect` returns a :class:`LocalWorkspace` or an
:class:`AzureWorkspace`; both take the same ``ManagedOnlineEndpoint`` and
``ManagedOnlineDeployment`` objects (built with :mod:`mlcheckup.entities`) and return a
:class:`Deployed` handle with the same methods::

    workspace = connect()                                   # prints the mode and why
    with workspace.deploy(endpoint, deployment) as deployed:
        deployed.invoke({"data": rows})                     # parsed JSON answer
        print(deployed.logs(lines=20))                      # the server's console log
    # leaving the block tears this deployment down (locally: stops its server; in Azure: deletes
    # it), and the endpoint with it when it was the endpoint's last deployment

Locally the deployment runs on the real inference server (:class:`~mlcheckup.endpoint.LocalEndpoint`)
with the data collector sink and App Insights ingestion of :mod:`mlcheckup.datacollector` and
:mod:`mlcheckup.appinsights`. In Azure the same objects go to
``ml_client.online_endpoints.begin_create_or_update`` and
``ml_client.online_deployments.begin_create_or_update``.

Taught in lesson 02.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import _validate
from ._lifecycle import State
from ._process import session_dir
from .appinsights import AppInsightsIngestion, create_store, read_store
from .datacollector import MODEL_INPUTS
from .endpoint import LocalEndpoint, ScoringError
from .errors import ConfigurationError, ValidationError
from .mode import Mode

__all__ = ["AzureWorkspace", "Deployed", "LocalWorkspace"]


def _workspaces() -> Path:
    folder = session_dir() / "workspaces"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_pair(endpoint, deployment) -> None:
    if deployment.endpoint_name != endpoint.name:
        raise ValidationError(f"deployment {deployment.name} belongs to endpoint {deployment.endpoint_name!r}, "
                              f"not {endpoint.name!r}; build it with endpoint_name={endpoint.name!r}")


def _check_traffic(traffic) -> int | dict[str, int] | None:
    """A ``traffic`` argument: None, a share for the deployment, or ``{deployment: share}`` summing to 100."""
    if traffic is None:
        return None
    if isinstance(traffic, dict):
        shares = {str(name): _validate.percent(f"traffic[{name!r}]", share) for name, share in traffic.items()}
        if sum(shares.values()) != 100:
            raise ValidationError(f"traffic shares must sum to 100 (got {sum(shares.values())}: {shares}); "
                                  "Azure refuses an endpoint whose traffic does not")
        return shares
    return _validate.percent("traffic", traffic)


def _split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` percent shared in proportion to ``weights`` (equally if they are all 0), in whole percents."""
    base = sum(weights.values())
    exact = {name: total * (weight / base if base else 1 / len(weights)) for name, weight in weights.items()}
    shares = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: exact[name] - shares[name], reverse=True)
    for name in by_remainder[:total - sum(shares.values())]:
        shares[name] += 1
    return shares


def _new_traffic(current: dict, deployment: str, traffic) -> dict[str, int]:
    """The endpoint's traffic once ``deployment`` is deployed with ``traffic``: it always sums to 100.

    None sends all traffic to ``deployment``; a number gives it that share and the other
    deployments the rest, in proportion to their current shares; a dict is taken as it is.
    """
    names = list(dict.fromkeys([*current, deployment]))
    if isinstance(traffic, dict):
        unknown = sorted(set(traffic) - set(names))
        if unknown:
            raise ValidationError(f"traffic gives a share to {unknown}, but the endpoint has no deployment "
                                  f"{unknown[0]!r} (it has {names})")
        return {name: traffic.get(name, 0) for name in names}
    share = 100 if traffic is None else traffic
    others = {name: int(current.get(name) or 0) for name in names if name != deployment}
    if share < 100 and not others:
        raise ValidationError(f"traffic={share} leaves {100 - share}% of the requests with no other deployment to "
                              f"go to; deploy {deployment} with traffic=100 (the default), or deploy another first")
    return {**(_split(100 - share, others) if others else {}), deployment: share}


class Deployed:
    """A deployment that is up, locally or in Azure: invoke it, read its logs, tear it down.

    Use it as a context manager to tear the deployment down at the end of the block; when it
    is the endpoint's last deployment the endpoint goes too (in Azure that stops its billing).
    """

    def __init__(self, workspace, endpoint_name: str, deployment_name: str, local: LocalEndpoint | None = None):
        self.workspace, self.endpoint_name, self.deployment_name = workspace, endpoint_name, deployment_name
        #: The :class:`~mlcheckup.endpoint.LocalEndpoint` in local mode, None in Azure mode.
        self.local = local

    def __repr__(self) -> str:
        return f"<Deployed {self.endpoint_name}/{self.deployment_name} ({self.workspace.mode.name})>"

    def invoke(self, payload):
        """Score ``payload`` (a JSON-able dict) and return the parsed answer.

        Raises
        ------
        ScoringError
            If the endpoint answers with an HTTP error (4xx: the request was refused).
        """
        return self.workspace.invoke(self.endpoint_name, payload, deployment_name=self.deployment_name)

    def logs(self, lines: int = 50) -> str:
        """The last ``lines`` lines of the deployment's console log."""
        return self.workspace.logs(self.endpoint_name, self.deployment_name, lines=lines)

    def teardown(self) -> None:
        """Remove this deployment: locally stop its server, in Azure delete it.

        Its traffic share goes to the endpoint's other deployments; an endpoint left with no
        deployment is removed too (``workspace.teardown(endpoint_name)`` removes a whole
        endpoint). Tearing down twice does nothing.
        """
        self.workspace.teardown(self.endpoint_name, self.deployment_name)

    def collected(self, collection: str = MODEL_INPUTS, **kwargs):
        """The rows collected so far (local mode; see :meth:`LocalEndpoint.collected`).

        Raises
        ------
        ConfigurationError
            In Azure mode, where the rows are in the data asset ``<endpoint>-<deployment>-<collection>``.
        """
        if self.local is None:
            raise ConfigurationError(
                f"in Azure mode the collected rows are in the data asset "
                f"{self.endpoint_name}-{self.deployment_name}-{collection} (workspace blob store, "
                f"modelDataCollector/{self.endpoint_name}/{self.deployment_name}/{collection}/); "
                "read them with ml_client.data.get(...) or in the studio")
        return self.local.collected(collection, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.teardown()


class LocalWorkspace:
    """The local stand-in for an Azure ML workspace and its Application Insights resource.

    Attributes
    ----------
    mode : Mode
        Why the notebook runs locally.
    """

    def __init__(self, mode: Mode, *, workers: int = 1) -> None:
        self.mode, self.workers = mode, workers
        #: The workspace's folder: its "blob store" (``modelDataCollector/``) and telemetry store.
        self.folder = Path(tempfile.mkdtemp(prefix="workspace-", dir=_workspaces()))
        self._app_insights: AppInsightsIngestion | None = None
        self._endpoints: dict[str, dict[str, LocalEndpoint]] = {}
        self._traffic: dict[str, dict[str, int]] = {}

    def __repr__(self) -> str:
        return f"<LocalWorkspace: {self.mode}>"

    @property
    def app_insights(self) -> AppInsightsIngestion:
        """The workspace's local App Insights (started on first use)."""
        if self._app_insights is None:
            self._app_insights = AppInsightsIngestion(self.folder / "appinsights.sqlite").start()
        return self._app_insights

    def deploy(self, endpoint, deployment, *, traffic: int | dict | None = None, workers: int | None = None,
               **local_options) -> Deployed:
        """Start ``deployment`` of ``endpoint`` on the local inference server; return its handle.

        Parameters
        ----------
        traffic : int or dict, optional
            As :meth:`AzureWorkspace.deploy` (checked the same way). Azure splits requests by
            these shares; here :meth:`invoke` without ``deployment_name`` goes to the deployment
            with the largest share.
        workers : int, optional
            gunicorn workers; by default the deployment's ``WORKER_COUNT`` environment variable
            (as in Azure), else the workspace's ``workers``.
        **local_options
            Go to :meth:`LocalEndpoint.from_deployment` (``port``, ``start_timeout`` ...).
        """
        _check_pair(endpoint, deployment)
        running = self._endpoints.setdefault(endpoint.name, {})
        routed = _new_traffic(self._traffic.get(endpoint.name, {}), deployment.name, _check_traffic(traffic))
        if deployment.name in running:
            running.pop(deployment.name).stop()  # an update replaces the deployment, as in Azure
        app_insights = self.app_insights if deployment.app_insights_enabled else None
        local_options.setdefault("data_root", self.folder)  # collected data outlives redeployments, as in Azure
        if workers is not None or not (deployment.environment_variables or {}).get("WORKER_COUNT"):
            local_options["workers"] = workers or self.workers
        local = LocalEndpoint.from_deployment(deployment, app_insights=app_insights, **local_options)
        running[deployment.name] = local.start()
        self._traffic[endpoint.name] = routed
        return Deployed(self, endpoint.name, deployment.name, local)

    def _endpoint(self, endpoint_name: str, deployment_name: str | None) -> LocalEndpoint:
        running = self._endpoints.get(endpoint_name) or {}
        if not running:
            raise ValidationError(f"no local endpoint named {endpoint_name!r} is running; "
                                  f"running: {sorted(self._endpoints) or 'none'} (deploy it first)")
        if deployment_name is None:
            shares = {name: self._traffic.get(endpoint_name, {}).get(name, 0) for name in running}
            top = [name for name, share in shares.items() if share == max(shares.values())]
            if len(top) > 1:
                raise ValidationError(f"endpoint {endpoint_name!r} has deployments {sorted(running)} with the same "
                                      f"traffic ({shares}); pass deployment_name=")
            deployment_name = top[0]
        if deployment_name not in running:
            raise ValidationError(f"endpoint {endpoint_name!r} has no deployment {deployment_name!r} "
                                  f"(it has {sorted(running)})")
        return running[deployment_name]

    def invoke(self, endpoint_name: str, payload, *, deployment_name: str | None = None):
        """Score ``payload`` on a running local endpoint (as ``ml_client.online_endpoints.invoke``)."""
        return self._endpoint(endpoint_name, deployment_name).invoke(payload)

    def logs(self, endpoint_name: str, deployment_name: str, *, lines: int = 50) -> str:
        """Console log of a local deployment (as ``ml_client.online_deployments.get_logs``)."""
        return self._endpoint(endpoint_name, deployment_name).logs(lines=lines)

    def teardown(self, endpoint_name: str, deployment_name: str | None = None) -> None:
        """Stop one deployment of ``endpoint_name``, or all of them (``deployment_name`` None).

        An endpoint left with no deployment is gone, as in Azure. Tearing down twice does nothing.
        """
        running = self._endpoints.get(endpoint_name, {})
        names = list(running) if deployment_name is None else [deployment_name] * (deployment_name in running)
        for name in reversed(names):
            running.pop(name).stop()
        traffic = self._traffic.get(endpoint_name, {})
        if any(traffic.pop(name, 0) for name in names) and running:  # its share goes to the others
            self._traffic[endpoint_name] = _split(100, {name: traffic.get(name, 0) for name in running})
        if not running:
            self._endpoints.pop(endpoint_name, None)
            self._traffic.pop(endpoint_name, None)

    def query(self, sql: str, params=None):
        """Query the local App Insights tables with SQL (see :mod:`mlcheckup.appinsights`).

        Reads the workspace's telemetry store directly (an empty one before any deployment sent
        telemetry); no server is started for it.
        """
        if self._app_insights is not None and self._app_insights.state is State.RUNNING:
            return self._app_insights.query(sql, params)  # also reports a failure of the running store
        path = self.folder / "appinsights.sqlite"
        if not path.exists():
            create_store(path)
        return read_store(path, sql, params)

    def stop(self) -> None:
        """Stop what this workspace started here: every local endpoint and the App Insights ingestion.

        ``stop()`` is the verb of everything that runs on this machine (services, endpoints, this
        workspace); ``teardown()`` removes a deployment or an endpoint (here: stops its server; in
        Azure: deletes it, which ends its billing).
        """
        for name in list(self._endpoints):
            self.teardown(name)
        if self._app_insights is not None:
            self._app_insights.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class AzureWorkspace:
    """An Azure ML workspace behind the same API as :class:`LocalWorkspace`.

    Every method calls the workspace through ``ml_client``; nothing here runs offline except
    building the objects.
    """

    def __init__(self, mode: Mode, ml_client) -> None:
        self.mode, self.ml_client = mode, ml_client

    def __repr__(self) -> str:
        return f"<AzureWorkspace {getattr(self.ml_client, 'workspace_name', '?')}: {self.mode}>"

    def _live_traffic(self, endpoint_name: str) -> dict:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            live = self.ml_client.online_endpoints.get(name=endpoint_name)
        except ResourceNotFoundError:
            return {}
        return dict(getattr(live, "traffic", None) or {})

    def deploy(self, endpoint, deployment, *, traffic: int | dict | None = None, workers: int | None = None,
               **local_options) -> Deployed:
        """Create or update the endpoint and the deployment, then route the endpoint's traffic.

        Parameters
        ----------
        traffic : int or dict, optional
            None (default) sends all requests to ``deployment``; a whole percentage sends that
            share to it and the rest to the endpoint's other deployments, in proportion to their
            current shares (a canary: ``traffic=10``); ``{"blue": 90, "green": 10}`` is used as
            given. The endpoint's traffic always sums to 100, as Azure requires.
        workers : int, optional
            Inference server workers per instance: set as the deployment's ``WORKER_COUNT``
            environment variable, which the server reads.
        **local_options
            Options of the local server (``port``, ``start_timeout`` ...): accepted and ignored
            here, so that a notebook's ``deploy(...)`` call runs unchanged in both modes.

        Each step waits for Azure (``.result()``); a managed deployment takes several minutes.
        """
        _check_pair(endpoint, deployment)
        traffic = _check_traffic(traffic)
        if workers is not None:
            deployment.environment_variables = {**(deployment.environment_variables or {}),
                                                "WORKER_COUNT": str(_validate.whole("workers", workers, 1, words="of at least 1"))}
        current = self._live_traffic(endpoint.name)
        routed = _new_traffic(current, deployment.name, traffic)  # refused here, before anything changes
        endpoint.traffic = current  # the endpoint update must not route to deployments not yet there
        self.ml_client.online_endpoints.begin_create_or_update(endpoint).result()
        self.ml_client.online_deployments.begin_create_or_update(deployment).result()
        endpoint.traffic = routed
        self.ml_client.online_endpoints.begin_create_or_update(endpoint).result()
        return Deployed(self, endpoint.name, deployment.name)

    def invoke(self, endpoint_name: str, payload, *, deployment_name: str | None = None):
        """Score ``payload`` with ``ml_client.online_endpoints.invoke`` (it takes a request file)."""
        from azure.core.exceptions import HttpResponseError

        with tempfile.TemporaryDirectory(prefix="mlcheckup-invoke-") as folder:
            request_file = Path(folder) / "request.json"
            request_file.write_text(json.dumps(payload))
            try:
                answer = self.ml_client.online_endpoints.invoke(
                    endpoint_name=endpoint_name, request_file=str(request_file), deployment_name=deployment_name)
            except HttpResponseError as error:
                raise ScoringError(error.status_code or 0, error.message, f"endpoint {endpoint_name}") from error
        return json.loads(answer) if isinstance(answer, str | bytes) else answer

    def logs(self, endpoint_name: str, deployment_name: str, *, lines: int = 50) -> str:
        """``ml_client.online_deployments.get_logs`` for the deployment."""
        return self.ml_client.online_deployments.get_logs(name=deployment_name, endpoint_name=endpoint_name,
                                                          lines=lines)

    def teardown(self, endpoint_name: str, deployment_name: str | None = None) -> None:
        """Delete one deployment of ``endpoint_name``, or the endpoint with all its deployments.

        A deployment with a traffic share first gives it to the others (Azure refuses to delete
        a deployment that still receives traffic); the endpoint's last deployment takes the
        endpoint with it. Each step waits for Azure; tearing down twice does nothing.
        """
        from azure.core.exceptions import ResourceNotFoundError

        try:
            if deployment_name is not None:
                others = [d.name for d in self.ml_client.online_deployments.list(endpoint_name=endpoint_name)
                          if d.name != deployment_name]
                if others:
                    self._remove_deployment(endpoint_name, deployment_name, others)
                    return
            self.ml_client.online_endpoints.begin_delete(name=endpoint_name).result()
        except ResourceNotFoundError:
            pass  # already gone

    def _remove_deployment(self, endpoint_name: str, deployment_name: str, others: list[str]) -> None:
        live = self.ml_client.online_endpoints.get(name=endpoint_name)
        traffic = dict(getattr(live, "traffic", None) or {})
        if traffic.pop(deployment_name, 0):
            live.traffic = _split(100, {name: int(traffic.get(name) or 0) for name in others})
            self.ml_client.online_endpoints.begin_create_or_update(live).result()
        self.ml_client.online_deployments.begin_delete(name=deployment_name, endpoint_name=endpoint_name).result()

    def query(self, sql: str, params=None):
        """Not available in Azure mode: query App Insights with KQL (portal, Logs)."""
        raise ConfigurationError("query() reads the local telemetry store; in Azure mode open the workspace's "
                                 "Application Insights > Logs and run the KQL version of the query")
