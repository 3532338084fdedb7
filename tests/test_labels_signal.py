"""Tests of mlcheckup.model_monitor: Azure's ModelPerformanceSignal, checked by azure-ai-ml 1.35.2 itself.

Expected values are what the SDK's own schema and REST conversion produce, read here from the
payload, and literals taken from azure-api.md §2.4.
"""

from __future__ import annotations

import json

import pytest
from azure.ai.ml.entities import (
    ModelPerformanceClassificationThresholds,
    ModelPerformanceMetricThreshold,
    ModelPerformanceSignal,
)

from mlcheckup import model_monitor
from mlcheckup.model_monitor._performance import (
    THRESHOLDS_PROPERTY,
    MonitorConfigError,
    performance_signal,
    sent_performance_thresholds,
    validate_performance,
)

OUTPUTS, TRUTH = "azureml:digits-endpoint-blue-model_outputs:1", "azureml:digits-ground-truth:1"


def _schedule(signal):
    return model_monitor.monitor_schedule("perf", endpoint="digits-endpoint", deployment="blue",
                                          emails=["ops@example.com"], signals={"performance": signal})


def _signal_payload(schedule) -> dict:
    return model_monitor.rest_payload(schedule)["properties"]["action"]["monitorDefinition"]["signals"]["performance"]


@pytest.mark.parametrize("thresholds", [{"accuracy": 0.85}, {"accuracy": 0.8, "precision": 0.75, "recall": 0.7},
                                        {"recall": 0.66}])
def test_the_students_thresholds_survive_the_sdk(thresholds):
    loaded = validate_performance(_schedule(performance_signal(OUTPUTS, TRUTH, classification=thresholds)))
    payload = _signal_payload(loaded)
    sent = {item["metric"].lower(): item["threshold"]["value"] for item in json.loads(payload["properties"][THRESHOLDS_PROPERTY])}
    assert sent == thresholds


def test_the_rest_field_is_always_accuracy_0_9():
    payload = _signal_payload(_schedule(performance_signal(OUTPUTS, TRUTH, classification={"recall": 0.5})))
    assert payload["metricThreshold"] == {"metric": "Accuracy", "modelType": "Classification", "threshold": {"value": 0.9}}
    table = sent_performance_thresholds(_schedule(performance_signal(OUTPUTS, TRUTH, classification={"recall": 0.5})))
    assert table[["place", "metric", "threshold"]].values.tolist() == [["metricThreshold", "accuracy", 0.9],
                                                                       ["property", "recall", 0.5]]


def test_the_ground_truth_join_is_sent_as_asked():
    payload = _signal_payload(_schedule(performance_signal(OUTPUTS, TRUTH, classification={"accuracy": 0.9},
                                                           actual_column="digit", window="P3D")))
    assert payload["referenceData"]["dataContext"] == "ground_truth"
    assert payload["referenceData"]["columns"] == {"correlation_id": "correlationid", "actual": "digit"}
    assert payload["productionData"][0]["columns"] == {"correlation_id": "correlationid", "prediction": "prediction"}
    assert payload["productionData"][0]["windowSize"] == "P3D"


def test_reading_back_from_rest_shows_the_hard_coded_threshold():
    payload = _signal_payload(_schedule(performance_signal(OUTPUTS, TRUTH, classification={"accuracy": 0.7})))
    back = ModelPerformanceSignal._from_rest_object(payload)
    assert back.metric_thresholds.classification.accuracy == 0.9  # what ml_client.schedules.get would show


def test_a_hand_built_zero_threshold_is_caught():
    signal = performance_signal(OUTPUTS, TRUTH, classification={"accuracy": 0.8})
    signal.metric_thresholds = ModelPerformanceMetricThreshold(
        classification=ModelPerformanceClassificationThresholds(accuracy=0.8, precision=0.0))
    with pytest.raises(MonitorConfigError, match="precision"):
        validate_performance(_schedule(signal))


@pytest.mark.parametrize("options, words", [
    ({"classification": {"accuracy": 0}}, "silently dropped"),
    ({"classification": {"f1": 0.8}}, "must be among"),
    ({"classification": {"accuracy": 85}}, "between 0 and 1"),
    ({}, "exactly one task"),
    ({"classification": {"accuracy": 0.8}, "regression": {"mean_absolute_error": 0.2}}, "exactly one task"),
])
def test_the_builder_refuses_what_azure_would_change(options, words):
    with pytest.raises(MonitorConfigError, match=words):
        performance_signal(OUTPUTS, TRUTH, **options)


def test_regression_thresholds_travel_from_python_but_not_through_yaml():
    schedule = model_monitor.monitor_schedule(
        "perf", endpoint="avocado", deployment="blue", ml_task="regression", emails=["ops@example.com"],
        signals={"performance": performance_signal(OUTPUTS, TRUTH, regression={"mean_absolute_error": 0.2},
                                                   prediction_column="price", actual_column="price")})
    table = sent_performance_thresholds(schedule)
    assert table[table["place"] == "property"][["metric", "threshold"]].values.tolist() == [["mean_absolute_error", 0.2]]
    assert "regression: {}" in model_monitor.to_yaml(schedule)  # the SDK's schema loses them
    with pytest.raises(MonitorConfigError, match="YAML"):
        validate_performance(schedule)


def test_the_sdk_warning_stays_off_stderr(capfd):
    validate_performance(_schedule(performance_signal(OUTPUTS, TRUTH, classification={"accuracy": 0.8})))
    assert capfd.readouterr().err == ""
