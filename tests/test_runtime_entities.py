"""Azure ML entities built offline and validated by the SDK's own schema (YAML dump → load)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from runtime_support import built_fixture, project_fixture  # noqa: F401 (pytest fixtures)

from mlcheckup import entities
from mlcheckup.errors import ValidationError


def test_the_deployment_round_trips_through_yaml(built):
    _, deployment = built
    back = entities.validate(deployment)
    assert type(back).__name__ == "ManagedOnlineDeployment"
    assert entities.to_yaml(back) == entities.to_yaml(deployment)
    collector = back.data_collector
    assert set(collector.collections) == {"model_inputs", "model_outputs"}
    assert collector.collections["model_inputs"].enabled == "true"  # the string the schema wants
    assert (collector.sampling_rate, collector.rolling_rate, back.app_insights_enabled) == (1.0, "hour", True)


def test_the_endpoint_yaml_is_written_even_though_its_dump_ignores_the_path(built, tmp_path):
    endpoint, _ = built
    path = tmp_path / "endpoint.yml"
    endpoint.dump(path)
    assert not path.exists()  # the SDK trap
    text = entities.to_yaml(endpoint, path)
    assert path.read_text() == text and yaml.safe_load(text)["auth_mode"] == "key"
    from azure.ai.ml import load_online_endpoint

    assert load_online_endpoint(path).name == "digits-endpoint"
    assert entities.validate(endpoint).description == "handwritten digits"


def test_a_portable_yaml_loads_from_the_project_folder(built, project):
    _, deployment = built
    text = entities.to_yaml(deployment, project.folder / "deployment.yml", relative_to=project.folder)
    data = yaml.safe_load(text)
    assert data["model"]["path"] == "model" and data["code_configuration"]["code"] == "."
    from azure.ai.ml import load_online_deployment

    back = load_online_deployment(project.folder / "deployment.yml")  # paths resolve against the YAML's folder
    assert (Path(back.base_path) / back.code_configuration.code).resolve() == project.folder.resolve()
    assert (Path(back.base_path) / back.model.path).resolve() == project.model_dir.resolve()


def test_model_and_environment_validate(project):
    assert entities.validate(entities.build_model(project.model_dir)).version == "1"
    environment = entities.validate(entities.build_environment(project.conda_file))
    pip = environment.conda_file["dependencies"][-1]["pip"]
    assert "azureml-inference-server-http==1.5.1" in pip and "azureml-ai-monitoring==1.0.0" in pip


def test_schema_errors_come_back_as_short_validation_errors(built):
    _, deployment = built
    deployment.data_collector.sampling_rate = 5
    with pytest.raises(ValidationError, match=r'"sampling_rate": \["Sampling rate must be an number'):
        entities.validate(deployment)


def test_a_yaml_boolean_for_enabled_is_refused_by_the_sdk(built, tmp_path):
    _, deployment = built
    data = yaml.safe_load(entities.to_yaml(deployment))
    data["data_collector"]["collections"]["model_inputs"]["enabled"] = True
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data))
    from azure.ai.ml import load_online_deployment
    from marshmallow.exceptions import ValidationError as SchemaError

    with pytest.raises(SchemaError, match="not in set"):
        load_online_deployment(path)


@pytest.mark.parametrize("kwargs, words", [
    ({"sampling_rate": 0}, "sampling_rate must be in (0, 1]"),
    ({"rolling_rate": "weekly"}, "rolling_rate must be one of"),
    ({"scoring_script": "missing.py"}, "missing.py does not exist"),
])
def test_builders_check_their_arguments(project, kwargs, words):
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace("]", r"\]")):
        entities.build_deployment("blue", "digits-endpoint", model=None, code=project.folder, environment=None,
                                  **kwargs)


@pytest.mark.parametrize("name", ["ab", "1digits", "digits_endpoint", "x" * 33])
def test_names_follow_azures_rule(name):
    with pytest.raises(ValidationError, match="3-32 letters"):
        entities.build_endpoint(name)


def test_missing_paths_are_named(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        entities.build_model(tmp_path / "nope")
    with pytest.raises(ValidationError, match="conda file"):
        entities.build_environment(tmp_path / "conda.yaml")


def test_no_collector_means_no_collections(project):
    deployment = entities.build_deployment("blue", "digits-endpoint", model=entities.build_model(project.model_dir),
                                           code=project.folder, environment=None, collections=None,
                                           app_insights=False)
    assert deployment.data_collector is None
    assert entities.data_collector_config(deployment) == {"collections": {}, "runMode": "cloud"}


def test_the_collector_config_is_what_azure_writes(project):
    deployment = entities.build_deployment("blue", "digits-endpoint", model=entities.build_model(project.model_dir),
                                           code=project.folder, environment=None, sampling_rate=0.25)
    config = entities.data_collector_config(deployment)
    assert config == {"collections": {"model_inputs": {"enabled": True, "sampleRatePercentage": 25},
                                      "model_outputs": {"enabled": True, "sampleRatePercentage": 25}},
                      "runMode": "cloud"}


def test_a_local_endpoint_writes_the_same_collector_config_as_azure(project):
    """F26: one builder, datacollector.collector_config, for the deployment's config and LocalEndpoint's."""
    from mlcheckup import datacollector

    deployment = entities.build_deployment("blue", "digits-endpoint", model=entities.build_model(project.model_dir),
                                           code=project.folder, environment=None, sampling_rate=0.25)
    assert datacollector.collector_config(datacollector.DEFAULT_COLLECTIONS, 0.25) == \
        entities.data_collector_config(deployment)


def test_building_prints_nothing_to_stderr(project):
    import subprocess

    code = (f"from mlcheckup import entities; from pathlib import Path; p = Path(r'{project.folder}');"
            "entities.validate(entities.build_deployment('blue', 'digits-endpoint', model=entities.build_model("
            "p / 'model'), code=p, environment=entities.build_environment(p / 'conda.yaml')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "experimental class" warning: nbgrader zeroes a cell that writes to stderr


@pytest.mark.parametrize("collections, words", [
    ("model_inputs", "not the string 'model_inputs'"),
    (("model inputs",), "letters, digits and '_'"),
    (("model_inputs", 3), "letters, digits and '_'"),
])
def test_collections_must_be_a_list_of_names(project, collections, words):
    """F7: a string would be enabled letter by letter; names with spaces or slashes are refused."""
    with pytest.raises(ValidationError, match=words):
        entities.build_deployment("blue", "digits-endpoint", model=None, code=project.folder, environment=None,
                                  collections=collections)


def test_the_collection_names_are_defined_once():
    """F29: model_inputs/model_outputs come from datacollector everywhere."""
    import inspect

    from mlcheckup import datacollector, model_monitor
    from mlcheckup.endpoint import LocalEndpoint

    assert entities.DEFAULT_COLLECTIONS is datacollector.DEFAULT_COLLECTIONS
    assert inspect.signature(LocalEndpoint).parameters["collections"].default is datacollector.DEFAULT_COLLECTIONS
    assert not hasattr(model_monitor, "SDK_METRIC_ORDER")  # it was never used


def test_entities_and_monitor_read_sdk_errors_the_same_way():
    """F27: one private module (_sdk_yaml) digs the schema's complaint out of a hidden error for both."""
    from mlcheckup import _sdk_yaml, model_monitor

    try:
        try:
            raise ValueError('{"create_monitor": {"ml_task": ["Not in set."]}}')
        except ValueError:
            raise NotImplementedError() from None  # load_schedule's empty error; the cause stays in __context__
    except NotImplementedError as error:
        hidden = error
    assert _sdk_yaml.schema_details(hidden) == {"create_monitor": {"ml_task": ["Not in set."]}}
    assert model_monitor.schema_message(hidden) == "create_monitor.ml_task: Not in set."
    assert entities._message(hidden) == '{"create_monitor": {"ml_task": ["Not in set."]}}'
    assert entities.quiet_sdk is _sdk_yaml.quiet_sdk


def test_the_collector_config_is_read_after_the_sdk_converted_the_deployment(built):
    _, deployment = built
    deployment.data_collector.sampling_rate = None  # as in Microsoft's examples, which leave it out
    before = entities.data_collector_config(deployment)
    deployment.data_collector._to_rest_object()  # what create does: deletes DataCollector.sampling_rate
    assert entities.data_collector_config(deployment) == before


def test_endpoint_and_deployment_yaml_files_load(built, tmp_path):
    endpoint, deployment = built
    entities.to_yaml(endpoint, tmp_path / "endpoint.yml")
    entities.to_yaml(deployment, tmp_path / "deployment.yml")
    assert type(entities.load_yaml(tmp_path / "endpoint.yml")).__name__ == "ManagedOnlineEndpoint"
    loaded = entities.load_yaml(tmp_path / "deployment.yml")
    assert entities.data_collector_config(loaded) == entities.data_collector_config(deployment)
    with pytest.raises(ValidationError, match="neither an online endpoint"):
        entities.load_yaml("name: x\nkind: something")


@pytest.mark.parametrize("name", ["ｄigits-endpoint", "digits-endpoint\n", "dïgits", "12-digits", "ab"])
def test_names_are_ascii_letters_digits_and_dashes_only(name):
    from mlcheckup._azureml_names import check_name

    with pytest.raises(ValidationError, match="3-32 letters"):
        check_name("endpoint", name)
