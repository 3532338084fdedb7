"""connect(): the mode switch, and one deploy/invoke/logs/teardown API for both modes.

The Azure path runs its real code against a recording stand-in for ``MLClient``'s operation
groups; nothing here may reach the network (the network guard fails the session if it does).
"""

from __future__ import annotations

import json
import time

import pytest
from runtime_support import built_fixture, digits_entities, project_fixture  # noqa: F401 (pytest fixtures)

from mlcheckup import entities
from mlcheckup.deploy import AzureWorkspace, Deployed, LocalWorkspace
from mlcheckup.endpoint import ScoringError
from mlcheckup.errors import ConfigurationError, ValidationError
from mlcheckup.projects import digits_payload
from mlcheckup.workspace import MODE_VARIABLE, Mode, connect


class FakeCredential:
    """A token credential that never touches the network."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("fake", int(time.time()) + 3600)


@pytest.fixture(autouse=True)
def _no_config_above(tmp_path, monkeypatch):
    """F22: connect(tmp_path) sees only the configs these tests write, never one above tmp_path."""
    import functools

    from mlcheckup import mode

    monkeypatch.setattr(mode, "find_config", functools.partial(mode.find_config, stop_at=tmp_path))


def _config(folder):
    (folder / ".azureml").mkdir(parents=True)
    (folder / ".azureml" / "config.json").write_text(json.dumps(
        {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg-course",
         "workspace_name": "ws-course"}))


def test_connect_is_local_without_a_config_and_says_why_in_one_line(tmp_path, capsys):
    workspace = connect(tmp_path, environ={})
    out = capsys.readouterr().out
    assert isinstance(workspace, LocalWorkspace) and workspace.mode.name == "local"
    assert out.count("\n") == 1 and out.startswith("local mode: no workspace config.json found")


def test_a_config_alone_stays_local(tmp_path, capsys):
    _config(tmp_path)
    workspace = connect(tmp_path, environ={})
    assert isinstance(workspace, LocalWorkspace) and f"{MODE_VARIABLE} is not 'azure'" in capsys.readouterr().out


def test_connect_builds_an_mlclient_offline_in_azure_mode(tmp_path, capsys):
    _config(tmp_path)
    workspace = connect(tmp_path, credential=FakeCredential(), environ={MODE_VARIABLE: "azure"})
    from azure.ai.ml import MLClient

    assert isinstance(workspace, AzureWorkspace) and isinstance(workspace.ml_client, MLClient)
    assert workspace.ml_client.workspace_name == "ws-course"
    assert workspace.ml_client.resource_group_name == "rg-course"
    assert capsys.readouterr().out.startswith("azure mode: MLCHECKUP_MODE=azure and workspace config")


def test_azure_mode_without_a_config_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match=r"no config\.json was found"):
        connect(tmp_path, environ={MODE_VARIABLE: "azure"}, quiet=True)


# --- the Azure path against a recording MLClient --------------------------------------------------------
class _Poller:
    def __init__(self, value=None):
        self.value = value

    def result(self):
        return self.value


class _Operations:
    """One operation group: records every call, and keeps what was created like the service would."""

    def __init__(self, calls, group):
        self.calls, self.group, self.created = calls, group, {}

    def __getattr__(self, method):
        def record(*args, **kwargs):
            from azure.core.exceptions import ResourceNotFoundError

            self.calls.append((self.group, method, args, kwargs))
            if method == "invoke":
                return json.dumps({"echo": json.loads(open(kwargs["request_file"]).read())})
            if method == "get_logs":
                return "log line"
            if method == "get":
                if kwargs["name"] not in self.created:
                    raise ResourceNotFoundError(f"{kwargs['name']} not found")
                return self.created[kwargs["name"]]
            if method == "list":
                if kwargs["endpoint_name"] not in self.endpoints:
                    raise ResourceNotFoundError(f"endpoint {kwargs['endpoint_name']} not found")
                return [d for d in self.created.values() if d.endpoint_name == kwargs["endpoint_name"]]
            if method == "begin_create_or_update":
                self.created[args[0].name] = args[0]
            if method == "begin_delete":
                if kwargs["name"] not in self.created:
                    raise ResourceNotFoundError(f"{kwargs['name']} not found")
                self.created.pop(kwargs["name"])
            return _Poller(args[0] if args else None)

        return record


class RecordingMLClient:
    workspace_name = "ws-course"

    def __init__(self):
        self.calls = []
        self.online_endpoints = _Operations(self.calls, "online_endpoints")
        self.online_deployments = _Operations(self.calls, "online_deployments")
        self.online_deployments.endpoints = self.online_endpoints.created

    def writes(self):
        """The calls that would change something in Azure."""
        return [(group, method) for group, method, _, _ in self.calls if method.startswith("begin_")]


def test_azure_deploy_sends_the_same_entities_then_routes_traffic(built):
    endpoint, deployment = built
    client = RecordingMLClient()
    workspace = AzureWorkspace(Mode("azure", "test"), client)
    deployed = workspace.deploy(endpoint, deployment)
    assert isinstance(deployed, Deployed) and deployed.local is None
    steps = [(group, method) for group, method, _, _ in client.calls]
    assert steps == [("online_endpoints", "get"), ("online_endpoints", "begin_create_or_update"),
                     ("online_deployments", "begin_create_or_update"), ("online_endpoints", "begin_create_or_update")]
    assert client.calls[2][2][0] is deployment and client.calls[1][2][0] is endpoint
    assert endpoint.traffic == {"blue": 100}
    entities.validate(client.calls[2][2][0])  # what would go to Azure passes the schema


def test_azure_invoke_logs_and_teardown_use_the_sdk_shapes(built):
    client = RecordingMLClient()
    deployed = Deployed(AzureWorkspace(Mode("azure", "test"), client), "digits-endpoint", "blue")
    assert deployed.invoke({"data": [[0] * 64]}) == {"echo": {"data": [[0] * 64]}}
    assert deployed.logs(lines=5) == "log line"
    client.online_endpoints.created["digits-endpoint"] = object()  # deployed earlier: blue is its only deployment
    deployed.teardown()
    (_, _, _, invoke), (_, _, _, logs), (_, listed, _, _), (_, method, _, delete) = client.calls
    assert invoke["endpoint_name"] == "digits-endpoint" and invoke["deployment_name"] == "blue"
    assert invoke["request_file"].endswith("request.json")
    assert logs == {"name": "blue", "endpoint_name": "digits-endpoint", "lines": 5}
    assert (listed, method, delete) == ("list", "begin_delete", {"name": "digits-endpoint"})
    with pytest.raises(ConfigurationError, match="data asset digits-endpoint-blue-model_inputs"):
        deployed.collected("model_inputs")
    with pytest.raises(ConfigurationError, match="KQL"):
        deployed.workspace.query("SELECT 1")


def test_azure_http_errors_become_scoring_errors():
    from azure.core.exceptions import HttpResponseError

    class Refusing(RecordingMLClient):
        def __init__(self):
            super().__init__()

            class Endpoints:
                def invoke(self, **kwargs):
                    error = HttpResponseError(message="row 0 has 3 values")
                    error.status_code = 400
                    raise error

            self.online_endpoints = Endpoints()

    workspace = AzureWorkspace(Mode("azure", "test"), Refusing())
    with pytest.raises(ScoringError, match="HTTP 400") as caught:
        workspace.invoke("digits-endpoint", {"data": [[1, 2, 3]]})
    assert caught.value.status == 400


# --- the same calls, locally ----------------------------------------------------------------------------
@pytest.mark.slow
def test_local_deploy_invoke_logs_teardown(built, tmp_path, capsys):
    endpoint, deployment = built
    with connect(tmp_path, environ={}) as workspace:
        with workspace.deploy(endpoint, deployment) as deployed:
            answer = deployed.invoke(digits_payload(2))
            assert len(answer["predictions"]) == 2
            assert "POST /score 200" in deployed.logs(lines=20)
            local = deployed.local
            assert local.state.value == "running" and local.name == "digits-endpoint"
            assert workspace.invoke("digits-endpoint", digits_payload(1))["predictions"]
            with pytest.raises(ScoringError, match="HTTP 400"):
                deployed.invoke({"data": [[1, 2, 3]]})
            assert len(deployed.collected("model_outputs")) == 3  # a new workspace starts empty
        assert (workspace.folder / "modelDataCollector" / "digits-endpoint" / "blue").is_dir()
        assert local.state.value == "stopped"
        with pytest.raises(ValidationError, match="no local endpoint named 'digits-endpoint'"):
            workspace.invoke("digits-endpoint", digits_payload(1))
        deployed.teardown()  # twice is fine
        assert workspace.app_insights.wait_for("requests", 3) >= 3
    assert workspace.app_insights.state.value == "stopped"


def test_a_deployment_of_another_endpoint_is_refused(built):
    _, deployment = built
    other = entities.build_endpoint("other-endpoint")
    with pytest.raises(ValidationError, match="belongs to endpoint 'digits-endpoint'"):
        LocalWorkspace(Mode("local", "test")).deploy(other, deployment)
    with pytest.raises(ValidationError, match="belongs to endpoint"):
        AzureWorkspace(Mode("azure", "test"), RecordingMLClient()).deploy(other, deployment)


def test_querying_a_workspace_starts_no_server(tmp_path):
    """F33: LocalWorkspace.query() reads the telemetry store; it does not start an ingestion server for that."""
    workspace = LocalWorkspace(Mode("local", "test"))
    try:
        frame = workspace.query("SELECT name, resultCode FROM requests")
        assert frame.empty and list(frame.columns) == ["name", "resultCode"]
        assert workspace._app_insights is None
    finally:
        workspace.stop()


def _blue_and_green(project, **options):
    """The digits endpoint and two deployments of it, blue and green."""
    endpoint, blue = digits_entities(project, **options)
    _, green = digits_entities(project, **options)
    green.name = "green"
    return endpoint, blue, green


def test_azure_traffic_always_sums_to_100_percent(project):
    """F8: a second deployment takes its share from the others, never on top of them."""
    endpoint, blue, green = _blue_and_green(project)
    client = RecordingMLClient()
    workspace = AzureWorkspace(Mode("azure", "test"), client)
    workspace.deploy(endpoint, blue)
    assert endpoint.traffic == {"blue": 100}
    workspace.deploy(endpoint, green, traffic=10)  # a canary
    assert endpoint.traffic == {"blue": 90, "green": 10}
    workspace.deploy(endpoint, green)  # all traffic to the deployment just deployed
    assert endpoint.traffic == {"blue": 0, "green": 100}
    workspace.deploy(endpoint, blue, traffic={"blue": 25, "green": 75})
    assert endpoint.traffic == {"blue": 25, "green": 75}
    writes = client.writes()
    for traffic, words in (({"blue": 50, "green": 40}, r"sum to 100 \(got 90:"), (120, r"from 0 to 100 \(got 120\)"),
                           ({"red": 100}, "no deployment 'red'"), ("10%", r"from 0 to 100 \(got '10%'\)")):
        with pytest.raises(ValidationError, match=words):
            workspace.deploy(endpoint, blue, traffic=traffic)
    assert client.writes() == writes  # refused before anything changed in Azure


def test_azure_teardown_of_a_deployment_deletes_that_deployment_only(project):
    """F16: a canary's teardown gives its share back and deletes it; the endpoint goes with its last deployment."""
    endpoint, blue, green = _blue_and_green(project)
    workspace = AzureWorkspace(Mode("azure", "test"), client := RecordingMLClient())
    workspace.deploy(endpoint, blue)
    canary = workspace.deploy(endpoint, green, traffic=10)
    before = len(client.calls)
    canary.teardown()
    writes = [(group, method, args[0].traffic if args else kwargs) for group, method, args, kwargs
              in client.calls[before:] if method.startswith("begin_")]
    assert writes == [("online_endpoints", "begin_create_or_update", {"blue": 100}),
                      ("online_deployments", "begin_delete", {"name": "green", "endpoint_name": "digits-endpoint"})]
    Deployed(workspace, "digits-endpoint", "blue").teardown()
    assert client.calls[-1][1:] == ("begin_delete", (), {"name": "digits-endpoint"})
    Deployed(workspace, "digits-endpoint", "blue").teardown()  # twice does nothing
    assert client.calls[-1][1] != "begin_delete"


@pytest.mark.slow
def test_local_teardown_of_a_deployment_stops_that_deployment_only(project, tmp_path):
    """F16: locally too, Deployed.teardown() stops its own server; the endpoint-wide teardown stays on the workspace."""
    endpoint, blue, green = _blue_and_green(project, app_insights=False, collections=None)
    with LocalWorkspace(Mode("local", "test")) as workspace:
        on_blue = workspace.deploy(endpoint, blue)
        on_green = workspace.deploy(endpoint, green, traffic=10)  # the same call as in Azure (F30)
        assert workspace.invoke("digits-endpoint", digits_payload(1))["predictions"]  # the 90 % answers
        assert "POST /score" in on_blue.local.logs(lines=5) and "POST /score" not in on_green.local.logs()
        on_green.teardown()
        assert on_green.local.state.value == "stopped" and on_blue.local.state.value == "running"
        assert workspace.invoke("digits-endpoint", digits_payload(1))["predictions"]  # blue answers
        workspace.teardown("digits-endpoint")
        assert on_blue.local.state.value == "stopped"


def test_both_workspaces_deploy_with_the_same_signature(project):
    """F30: the same deploy(...) call runs in both modes; workers= becomes WORKER_COUNT in Azure."""
    import inspect

    def shape(method):
        return [(p.name, p.kind) for p in inspect.signature(method).parameters.values()]

    assert shape(LocalWorkspace.deploy) == shape(AzureWorkspace.deploy)
    endpoint, deployment = digits_entities(project)
    client = RecordingMLClient()
    AzureWorkspace(Mode("azure", "test"), client).deploy(endpoint, deployment, traffic=100, workers=2,
                                                         start_timeout=30)  # a local-only option: ignored
    assert client.online_deployments.created["blue"].environment_variables["WORKER_COUNT"] == "2"
