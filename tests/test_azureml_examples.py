"""Microsoft's Azure ML examples, run through the SDK and through mlcheckup: same verdict, same payload.

The copies (MIT, commit in tests/azureml_examples/README.md) are read as they are; a deployment's
``code`` and ``conda_file`` are stubbed in a temporary folder, since the examples ship them elsewhere.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest
from azure.ai.ml import load_online_deployment, load_online_endpoint
from azure.ai.ml.entities._load_functions import load_schedule

from mlcheckup import entities, model_monitor
from mlcheckup.errors import ValidationError
from mlcheckup.model_monitor import MonitorConfigError, local_signals

HERE = Path(__file__).parent / "azureml_examples"
MONITORS = sorted((HERE / "monitoring").glob("*.yaml"))
DEPLOYMENTS = sorted((HERE / "deployments").glob("*.yaml"))

#: example file -> the SDK's verdict (and mlcheckup's, which must be the same).
MONITOR_VERDICTS = {
    "advanced-model-monitoring.yaml": "accepted",
    "custom-monitoring.yaml": "accepted",
    # its data_window_size and workspace_connection_id keys are unknown to the azure-ai-ml 1.35.2 schema
    "generation-safety-quality-monitoring.yaml": "refused",
    "model-monitoring-with-collected-data.yaml": "accepted",
    "out-of-box-monitoring.yaml": "accepted",
}
DEPLOYMENT_VERDICTS = {
    "custom-blob-storage.yaml": "refused",  # data.version: 1 is "Not a valid string"
    "e2e-deployment.yaml": "accepted",
    "e2e-endpoint.yaml": "accepted",
    "workspace-blob-storage-custom1.yaml": "accepted",
    "workspace-blob-storage-custom2.yaml": "accepted",
    "workspace-blob-storage-payload1.yaml": "accepted",
    "workspace-blob-storage-payload2.yaml": "accepted",
}


def _notebook():
    spec = importlib.util.spec_from_file_location("notebook_monitors", HERE / "notebook_monitors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sdk_payload(schedule) -> dict:
    """What azure-ai-ml sends on create, straight from the SDK (defaults filled as its create call does)."""
    schedule = copy.deepcopy(schedule)
    if not schedule.create_monitor.monitoring_signals:
        schedule._create_default_monitor_definition()
    return schedule._to_rest_object().as_dict()


def sdk_verdict(path: Path):
    logging.disable(logging.WARNING)
    try:
        return "accepted", sdk_payload(load_schedule(path))
    except Exception:
        return "refused", None
    finally:
        logging.disable(logging.NOTSET)


def test_every_copied_example_is_in_the_table():
    assert {p.name for p in MONITORS} == set(MONITOR_VERDICTS)
    assert {p.name for p in DEPLOYMENTS} == set(DEPLOYMENT_VERDICTS)
    assert "085cd6ea399038c1e07843acff811f34261c0887" in (HERE / "README.md").read_text()
    assert "MIT License" in (HERE / "LICENSE").read_text()


@pytest.mark.parametrize("path", MONITORS, ids=lambda p: p.name)
def test_monitor_examples_get_the_sdks_verdict_and_payload(path):
    verdict, payload = sdk_verdict(path)
    assert verdict == MONITOR_VERDICTS[path.name]
    if verdict == "refused":
        with pytest.raises(MonitorConfigError, match="Unknown field"):
            model_monitor.load_yaml(path)
        return
    loaded = model_monitor.validate(model_monitor.load_yaml(path))
    assert model_monitor.rest_payload(loaded) == payload
    sent = model_monitor.sent_thresholds(loaded)
    rest_rows = sum(len(s.get("metricThresholds") or []) + bool(s.get("metricThreshold"))
                    for s in payload["properties"]["action"]["monitorDefinition"]["signals"].values())
    assert len(sent) == rest_rows


def test_the_out_of_box_monitor_gets_azures_three_default_signals():
    loaded = model_monitor.validate(model_monitor.load_yaml(HERE / "monitoring" / "out-of-box-monitoring.yaml"))
    assert sorted(loaded.create_monitor.monitoring_signals) == sorted(model_monitor.DEFAULT_SIGNALS)
    sent = model_monitor.sent_thresholds(loaded)
    assert sent.groupby("signal").size().to_dict() == {"data-drift-signal": 2, "prediction-drift-signal": 2,
                                                       "data-quality-signal": 6}
    def order(table):
        return table.sort_values(["signal", "data_type", "metric_name"], ignore_index=True)

    pd.testing.assert_frame_equal(order(sent), order(model_monitor.default_signals()))
    local = local_signals(loaded)
    assert local["data-drift-signal"].numerical == {"normalized_wasserstein_distance": 0.1}
    assert local["data-quality-signal"].signal == "data_quality"
    assert local["prediction-drift-signal"].production_window == "P1D"


def test_the_notebooks_basic_monitor_is_the_out_of_box_one():
    schedule = _notebook().basic_monitor()
    assert model_monitor.rest_payload(schedule) == sdk_payload(schedule)
    built = model_monitor.monitor_schedule("credit_default_monitor_basic", endpoint="credit-default", deployment="main",
                                     emails=["abc@example.com", "def@example.com"], hours=3, minutes=15)
    assert model_monitor.rest_payload(built) == sdk_payload(schedule)


def test_the_notebooks_advanced_monitor_fails_in_the_sdk_and_the_builders_send_what_it_meant():
    notebook = _notebook()
    with pytest.raises(TypeError, match="target_column_name"):  # not a keyword of azure-ai-ml 1.35.2
        notebook.advanced_monitor()
    schedule, prediction = notebook.advanced_monitor({"data_column_names": {"target_column": "DEFAULT_NEXT_MONTH"}})
    reference = "azureml:credit-default-reference:1"
    signals = {
        "data_drift_advanced": model_monitor.data_drift_signal(
            reference, target_column="DEFAULT_NEXT_MONTH", features={"top_n_feature_importance": 10},
            numerical=("jensen_shannon_distance", 0.01), categorical=("pearsons_chi_squared_test", 0.02)),
        "data_quality_advanced": model_monitor.data_quality_signal(
            reference, target_column="DEFAULT_NEXT_MONTH", features=["SEX", "EDUCATION", "AGE"],
            numerical={"null_value_rate": 0.01}, categorical={"out_of_bounds_rate": 0.02}),
    }
    built = model_monitor.monitor_schedule("credit_default_monitor_advanced", endpoint="credit-default", deployment="main",
                                     emails=["abc@example.com", "def@example.com"], hours=3, minutes=15,
                                     signals=signals)
    assert model_monitor.rest_payload(built) == sdk_payload(schedule)
    # its prediction drift signal (defined, then left out of the monitor): categorical thresholds only
    ours = model_monitor.prediction_drift_signal(reference, numerical={}, categorical=("jensen_shannon_distance", 0.01))
    assert ours._to_rest_object().as_dict()["metricThresholds"] == \
        prediction._to_rest_object().as_dict()["metricThresholds"]


def test_the_advanced_yaml_is_rebuilt_by_the_builders():
    path = HERE / "monitoring" / "advanced-model-monitoring.yaml"
    reference = "azureml:credit-reference:1"
    signals = {
        "advanced_data_drift": model_monitor.data_drift_signal(
            reference, target_column="DEFAULT_NEXT_MONTH", features=model_monitor.top_features(10), alert=True,
            numerical=("jensen_shannon_distance", 0.01), categorical=("pearsons_chi_squared_test", 0.02)),
        "advanced_data_quality": model_monitor.data_quality_signal(
            reference, features=["SEX", "EDUCATION"], alert=True,
            numerical={"null_value_rate": 0.05}, categorical={"out_of_bounds_rate": 0.03}),
        "feature_attribution_drift_signal": model_monitor.feature_attribution_drift_signal(
            reference, target_column="DEFAULT_NEXT_MONTH", threshold=0.9, alert=True),
    }
    built = model_monitor.monitor_schedule("fraud_detection_model_monitoring", endpoint="credit-default", deployment="main",
                                     emails=["abc@example.com", "def@example.com"], hours=3, minutes=15,
                                     signals=signals, description="Fraud detection model monitoring with advanced "
                                                                  "configurations")
    built.display_name = "Fraud detection model monitoring"
    ours = model_monitor.rest_payload(model_monitor.validate(built))  # loaded back, as the YAML example is
    theirs = sdk_verdict(path)[1]
    assert ours["properties"]["action"] == theirs["properties"]["action"]
    assert ours["properties"]["trigger"] == theirs["properties"]["trigger"]


def test_the_custom_example_is_rebuilt_and_refused_locally_by_name():
    path = HERE / "monitoring" / "custom-monitoring.yaml"
    built = model_monitor.monitor_schedule(
        "my-custom-signal", emails=["abc@example.com"], frequency="day", interval=7, hours=None, ml_task=None,
        instance_type="standard_e8s_v3",
        signals={"customSignal": model_monitor.custom_signal("azureml:my_custom_signal:1.0.0",
                                                       metric_thresholds={"std_dev": 2},
                                                       input_data={"test_data_1": "azureml:Direct:1",
                                                                   "test_data_2": "azureml:Direct:1"})})
    theirs = sdk_verdict(path)[1]
    ours = model_monitor.rest_payload(model_monitor.validate(built))
    assert ours["properties"]["action"] == theirs["properties"]["action"]
    assert ours["properties"]["trigger"] == theirs["properties"]["trigger"]
    with pytest.raises(MonitorConfigError, match="'customSignal': a custom signal runs your own Spark component"):
        local_signals(model_monitor.load_yaml(path))
    assert local_signals(model_monitor.load_yaml(path), skip_unsupported=True) == {}


def test_the_collected_data_example_says_its_preprocessing_does_not_run_here():
    local = local_signals(model_monitor.load_yaml(HERE / "monitoring" / "model-monitoring-with-collected-data.yaml"))
    assert local["advanced_data_drift"].top_n == 20 and local["advanced_data_drift"].target_column == "is_fraud"
    assert any("pre_processing_component" in note for note in local["advanced_data_drift"].notes)
    assert local["advanced_prediction_drift"].numerical is None
    assert local["advanced_prediction_drift"].categorical == {"pearsons_chi_squared_test": 0.02}


# --- deployments ----------------------------------------------------------------------------------
@pytest.fixture
def deployment_folder(tmp_path):
    """The examples' files beside stubs of the code and conda files they point to."""
    for stub in ("x/model/conda.yaml", "x/scripts/score.py", "code/score.py", "environments/score.yaml"):
        (tmp_path / stub).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / stub).write_text("name: stub\n")
    for path in DEPLOYMENTS:
        shutil.copy(path, tmp_path / "x" / path.name)
    return tmp_path / "x"


@pytest.mark.parametrize("name", sorted(DEPLOYMENT_VERDICTS))
def test_deployment_examples_get_the_sdks_verdict(deployment_folder, name):
    path = deployment_folder / name
    load = load_online_endpoint if name.endswith("endpoint.yaml") else load_online_deployment
    logging.disable(logging.WARNING)
    try:
        theirs = load(path)
    except Exception:
        theirs = None
    finally:
        logging.disable(logging.NOTSET)
    assert ("accepted" if theirs is not None else "refused") == DEPLOYMENT_VERDICTS[name]
    if theirs is None:
        with pytest.raises(ValidationError, match="Not a valid string"):
            entities.load_yaml(path)
        return
    ours = entities.load_yaml(path)
    assert type(ours) is type(theirs)
    if hasattr(theirs, "_to_rest_object"):
        assert ours._to_rest_object(location="westeurope").as_dict() == \
            theirs._to_rest_object(location="westeurope").as_dict()
    else:
        assert ours._to_dict() == theirs._to_dict()


@pytest.mark.parametrize("name", ["e2e-deployment.yaml", "workspace-blob-storage-custom1.yaml",
                                  "workspace-blob-storage-payload1.yaml"])
def test_the_collector_config_survives_the_sdks_conversion(deployment_folder, name):
    deployment = entities.load_yaml(deployment_folder / name)
    before = entities.data_collector_config(deployment)
    deployment._to_rest_object(location="westeurope")  # deletes DataCollector.sampling_rate
    assert entities.data_collector_config(deployment) == before


def test_a_custom_collection_path_is_refused_locally_by_name(deployment_folder):
    path = deployment_folder / "custom-blob-storage.yaml"
    path.write_text(path.read_text().replace("version: 1", "version: '1'"))
    deployment = entities.load_yaml(path)
    assert entities.data_collector_config(deployment)["collections"]["model_inputs"]["enabled"]
    moved = path.read_text().replace("paths/modelDataCollector/my_endpoint/blue/model_inputs", "paths/elsewhere")
    path.write_text(moved)
    with pytest.raises(ValidationError, match=r"collections.model_inputs.data.path"):
        entities.data_collector_config(entities.load_yaml(path))
