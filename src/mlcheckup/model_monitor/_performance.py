"""Azure ML's model performance signal with ground-truth data, built and checked offline by the SDK.

``ModelPerformanceSignal`` (azure-ai-ml 1.35.2, experimental) compares a deployment's collected
``model_outputs`` with a ground-truth data asset joined on a correlation id column, and alerts
when accuracy, precision or recall (classification) or MAE, MSE or RMSE (regression) cross a
threshold. Its REST conversion has a trap (azure-api.md §2.4, SDK bug 4): the signal's
``metricThreshold`` field is *always* ``Accuracy 0.9`` whatever was asked, and the thresholds
asked for travel as a JSON-like string in the signal property
``azureml.modelmonitor.model_performance_thresholds``. Reading the schedule back
(``_from_rest_object``, as ``ml_client.schedules.get`` does) takes ``metricThreshold``, so it
shows accuracy 0.9 too. Two more, found by running it:

* a threshold of 0 is dropped (the SDK tests ``if self.accuracy:``);
* regression thresholds do not survive YAML: the schema names them ``mae``/``mse``/``rmse`` but
  the class reads ``mean_absolute_error``..., so a dump writes ``regression: {}``, a YAML file
  written by hand fails to load, and the REST conversion of a loaded schedule raises
  ``TypeError``. A regression signal can be created from Python only.

:func:`performance_signal` builds the signal, :func:`sent_performance_thresholds` shows what the
SDK sends (both places), and :func:`validate_performance` runs the SDK's own checks (YAML round
trip and REST conversion, through :func:`mlcheckup.model_monitor.validate`) and then checks that the
thresholds asked for are exactly those in the property.

Taught in lesson 06, §5.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math

import pandas as pd

from .. import _validate
from ..errors import MonitorConfigError
from ._sdk import rest_payload, validate
from ._signals import data_input

#: The signal property that carries the real thresholds.
THRESHOLDS_PROPERTY = "azureml.modelmonitor.model_performance_thresholds"
#: What the SDK sends as the signal's ``metricThreshold``, whatever was asked (azure-api.md §2.4).
HARD_CODED = {"metric": "Accuracy", "modelType": "Classification", "threshold": {"value": 0.9}}
CLASSIFICATION = ("accuracy", "precision", "recall")
REGRESSION = ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error")
_WIRE = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall",
         "mean_absolute_error": "MeanAbsoluteError", "mean_squared_error": "MeanSquaredError",
         "root_mean_squared_error": "RootMeanSquaredError"}


class _NoExperimentalNote(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "experimental" not in record.getMessage()


@contextlib.contextmanager
def _quiet():
    """Silence the SDK's "experimental class" notes, which go to stderr (nbgrader zeroes such cells)."""
    logger, drop = logging.getLogger("azure.ai.ml._utils._experimental"), _NoExperimentalNote()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def _thresholds(task: str, asked) -> dict[str, float]:
    allowed = CLASSIFICATION if task == "classification" else REGRESSION
    if not isinstance(asked, dict) or not asked:
        raise MonitorConfigError(f"{task} must be a dict of metric → threshold, e.g. "
                                     f"{{{allowed[0]!r}: {0.85 if task == 'classification' else 0.2}}} (got {asked!r})")
    unknown = sorted(set(asked) - set(allowed))
    if unknown:
        raise MonitorConfigError(f"{task} metrics must be among {allowed} (got {unknown})")
    for metric, value in asked.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise MonitorConfigError(f"the threshold of {metric} must be a number of 0 or more (got {value!r})")
        if value == 0:
            raise MonitorConfigError(
                f"a threshold of 0 for {metric} is silently dropped by azure-ai-ml 1.35.2 (it tests `if threshold:`); "
                "use a small positive value such as 1e-6, or leave the metric out")
        if task == "classification" and value > 1:
            raise MonitorConfigError(f"{metric} is a share between 0 and 1; got {value!r} (for 85 % pass 0.85)")
    return {metric: float(value) for metric, value in asked.items()}


def performance_signal(production, ground_truth, *, classification: dict | None = None,
                       regression: dict | None = None, prediction_column: str = "prediction",
                       actual_column: str = "label", correlation_column: str = "correlationid",
                       window="P7D", alert: bool = False):
    """A ``ModelPerformanceSignal`` that joins collected predictions to ground truth by correlation id.

    Parameters
    ----------
    production : str or Input
        The collected outputs, e.g. ``"azureml:digits-endpoint-blue-model_outputs:1"`` (uri_folder).
    ground_truth : str or Input
        The ground-truth data asset (mltable), e.g. ``"azureml:digits-ground-truth:1"``.
    classification, regression : dict, optional
        Metric → threshold, e.g. ``{"accuracy": 0.85}`` or ``{"mean_absolute_error": 0.2}``
        (exactly one of the two). Metrics: :data:`CLASSIFICATION`, :data:`REGRESSION`.
    prediction_column, actual_column, correlation_column : str
        Column names: the prediction in ``model_outputs``, the true label in the ground truth,
        and the join column in both (Azure's collected rows are ``<correlationid>_<row>``).
    window : str or datetime.timedelta, default "P7D"
        Production lookback window, in any spelling of :mod:`mlcheckup._validate` (``"P7D"``,
        ``"7D"``, ``"week"``, ``timedelta(days=7)``); sent to Azure in ISO 8601.
    alert : bool, default False
        Email when it breaches (Azure's default is off).

    Returns
    -------
    azure.ai.ml.entities.ModelPerformanceSignal

    Raises
    ------
    MonitorConfigError
        For a missing, unknown or zero threshold, or both or neither task.

    Examples
    --------
    >>> signal = performance_signal("azureml:digits-endpoint-blue-model_outputs:1", "azureml:digits-ground-truth:1",
    ...                             classification={"accuracy": 0.85, "precision": 0.8})
    >>> signal.reference_data.data_context, signal.reference_data.data_column_names
    ('ground_truth', {'correlation_id': 'correlationid', 'actual': 'label'})

    Taught in lesson 06, §5.
    """
    from azure.ai.ml.entities import (
        BaselineDataRange,
        ModelPerformanceClassificationThresholds,
        ModelPerformanceMetricThreshold,
        ModelPerformanceRegressionThresholds,
        ModelPerformanceSignal,
        ProductionData,
        ReferenceData,
    )

    window = _validate.iso_duration(_validate.duration(window, "window"))
    if (classification is None) == (regression is None):
        raise MonitorConfigError("give thresholds for exactly one task: classification={'accuracy': 0.85} "
                                     "or regression={'mean_absolute_error': 0.2}")
    for what, value in (("prediction_column", prediction_column), ("actual_column", actual_column),
                        ("correlation_column", correlation_column)):
        if not isinstance(value, str) or not value:
            raise MonitorConfigError(f"{what} must be a column name (got {value!r})")
    with _quiet():
        if classification is not None:
            metrics = ModelPerformanceMetricThreshold(classification=ModelPerformanceClassificationThresholds(
                **_thresholds("classification", classification)))
        else:
            metrics = ModelPerformanceMetricThreshold(regression=ModelPerformanceRegressionThresholds(
                **_thresholds("regression", regression)))
        production_data = ProductionData(
            input_data=data_input(production, type="uri_folder"), data_context="model_outputs",
            data_column_names={"correlation_id": correlation_column, "prediction": prediction_column},
            data_window=BaselineDataRange(lookback_window_size=window, lookback_window_offset="P0D"))
        reference_data = ReferenceData(input_data=data_input(ground_truth), data_context="ground_truth",
                                       data_column_names={"correlation_id": correlation_column,
                                                          "actual": actual_column})
        return ModelPerformanceSignal(production_data=production_data, reference_data=reference_data,
                                      metric_thresholds=metrics, alert_enabled=bool(alert))


def _asked(signal) -> dict[str, float]:
    thresholds = signal.metric_thresholds
    asked = {}
    for part, names in ((getattr(thresholds, "classification", None), CLASSIFICATION),
                        (getattr(thresholds, "regression", None), REGRESSION)):
        for name in names:
            value = getattr(part, name, None) if part is not None else None
            if value is not None:
                asked[name] = float(value)
    return asked


def _parse_property(text: str | None) -> dict[str, float]:
    """The thresholds in the property string: a JSON list (the SDK builds it by string concatenation)."""
    if not text:
        return {}
    back = {wire: name for name, wire in _WIRE.items()}
    return {back[item["metric"]]: float(item["threshold"]["value"]) for item in json.loads(text)}


def sent_performance_thresholds(schedule) -> pd.DataFrame:
    """What the SDK sends for each model performance signal: one row per metric and place.

    ``place`` is ``metricThreshold`` (the REST field, always Accuracy 0.9) or ``property`` (the
    real thresholds, in :data:`THRESHOLDS_PROPERTY`).

    Examples
    --------
    >>> from mlcheckup.model_monitor import monitor_schedule
    >>> signal = performance_signal("azureml:outputs:1", "azureml:truth:1", classification={"accuracy": 0.8})
    >>> schedule = monitor_schedule("perf", endpoint="e", deployment="d", emails=["a@example.com"],
    ...                             signals={"performance": signal})
    >>> sent_performance_thresholds(schedule)
            signal            place    metric  threshold
    0  performance  metricThreshold  accuracy        0.9
    1  performance         property  accuracy        0.8

    Taught in lesson 06, §5.
    """
    with _quiet():
        signals = rest_payload(schedule)["properties"]["action"]["monitorDefinition"]["signals"]
    rows = []
    for name, payload in signals.items():
        if payload.get("signalType") != "ModelPerformance":
            continue
        field = payload.get("metricThreshold") or {}
        rows.append((name, "metricThreshold", field.get("metric", "").lower(), field.get("threshold", {}).get("value")))
        for metric, value in _parse_property((payload.get("properties") or {}).get(THRESHOLDS_PROPERTY)).items():
            rows.append((name, "property", metric, value))
    return pd.DataFrame(rows, columns=["signal", "place", "metric", "threshold"])


def validate_performance(schedule):
    """Check a schedule's model performance signals with the SDK, and that their thresholds survive.

    Runs :func:`mlcheckup.model_monitor.validate` (YAML dump and load, then the REST conversion of
    the create call), then compares, signal by signal, the thresholds asked for with those in
    :data:`THRESHOLDS_PROPERTY` of the loaded schedule's REST payload.

    Returns
    -------
    MonitorSchedule
        The schedule as loaded back from its YAML.

    Raises
    ------
    MonitorConfigError
        If a threshold is lost or changed on the way, with where and how to fix it.

    Taught in lesson 06, §5.
    """
    asked = {name: _asked(signal) for name, signal in (schedule.create_monitor.monitoring_signals or {}).items()
             if getattr(signal, "type", None) == "model_performance"}
    if any(set(metrics) & set(REGRESSION) for metrics in asked.values()):
        raise MonitorConfigError(
            "regression thresholds do not survive azure-ai-ml 1.35.2's YAML (the schema names them mae/mse/rmse, the "
            "class mean_absolute_error...: a dump writes 'regression: {}' and the loaded schedule cannot be sent); "
            "create a regression performance monitor from Python (ml_client.schedules.begin_create_or_update), "
            "not from YAML, and check it with sent_performance_thresholds(schedule)")
    with _quiet():
        loaded = validate(schedule)
    table = sent_performance_thresholds(loaded)
    for name, metrics in asked.items():
        sent = table[(table["signal"] == name) & (table["place"] == "property")]
        got = dict(zip(sent["metric"], sent["threshold"], strict=True))
        if got != metrics:
            raise MonitorConfigError(
                f"signal {name!r} asks for {metrics} but azure-ai-ml sends {got} in {THRESHOLDS_PROPERTY} "
                "(it drops zero thresholds); give every metric a positive threshold")
    return loaded
