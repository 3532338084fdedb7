"""Azure ML model monitors (``MonitorSchedule``), built and checked offline by the SDK itself.

The builders return real ``azure.ai.ml.entities`` objects, the ones
``ml_client.schedules.begin_create_or_update`` takes in Azure mode. :func:`validate` runs the SDK's
schema on them offline (YAML dump, ``load_schedule``, then the REST conversion made on create) and
compares what the SDK would *send* with what was asked for.

The builders refuse the traps of azure-ai-ml 1.35.2 (azure-api.md §2.1-2.4) with a message that
says what, what was received and how to fix it:

* ``runtime_version`` must be "3.4" or "3.5" (the Learn docs still show "3.3", which fails on create);
* the categorical test is ``pearsons_chi_squared_test`` (the YAML reference's ``chi_squared_test``
  is an unknown field, reported by ``load_schedule`` as an empty ``NotImplementedError``);
* only ONE metric per feature type is sent (the first of JSD, NWD, PSI, KS/chi²), so each builder
  takes one metric per type: add one signal per metric to watch several;
* a drift threshold of 0 is silently dropped (the SDK tests ``if threshold:``);
* ``DataQualityMetricThreshold._to_rest_object`` sends the *numerical* thresholds for categorical
  features too (``DataQualitySignal`` happens not to call it in 1.35.2): :func:`validate` compares
  what the SDK sends with what was asked for, so such silent changes are caught whatever the path;
* notifications need ``AlertNotification(emails=[...])`` (else the service fails with
  "The value for '.emails' is missing").

Taught in lesson 04, §7.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from . import _sdk_yaml
from .datacollector import MODEL_INPUTS, MODEL_OUTPUTS
from .drift._typing import _check_override
from .drift.thresholds import (
    DEFAULT_QUALITY_THRESHOLDS,
    check_metric,
    check_threshold,
    metric_plan,
)
from .drift.windows import check_frequency, parse_duration
from .errors import ValidationError

RUNTIME_VERSIONS = ("3.4", "3.5")
INSTANCE_TYPES = ("standard_e4s_v3", "standard_e8s_v3", "standard_e16s_v3", "standard_e32s_v3", "standard_e64s_v3")
ML_TASKS = ("classification", "regression", "question_answering")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MonitorConfigError(ValidationError):
    """A monitor definition that Azure ML would reject, or silently change."""


# --- inputs ---------------------------------------------------------------------------------
def data_input(data, *, type: str = "mltable"):
    """An ``Input`` for a data asset: ``"azureml:name:version"``, a path, or an ``Input`` as is."""
    from azure.ai.ml import Input

    if isinstance(data, Input):
        return data
    if not isinstance(data, str) or not data:
        raise MonitorConfigError(f"data must be an Input or a path such as 'azureml:avocado-train:1' (got {data!r})")
    return Input(path=data, type=type)


def _production(data, context: str, window: str | None):
    from azure.ai.ml.entities import BaselineDataRange, ProductionData

    if data is None:
        if window is not None:
            raise MonitorConfigError("production_window needs production data; pass production='azureml:...'")
        return None  # filled at create time from the deployment's data collector
    data_window = None
    if window is not None:
        parse_duration(window)
        data_window = BaselineDataRange(lookback_window_size=window, lookback_window_offset="P0D")
    return ProductionData(input_data=data_input(data, type="uri_folder"), data_context=context,
                          data_window=data_window)


def _reference(data, context: str, target_column: str | None):
    from azure.ai.ml.entities import ReferenceData

    columns = {"target_column": target_column} if target_column else None
    return ReferenceData(input_data=data_input(data), data_context=context, data_column_names=columns)


# --- thresholds -----------------------------------------------------------------------------
def _one_metric(spec, kind: str) -> tuple[str, float]:
    """One metric and its threshold, read by :func:`mlcheckup.drift.thresholds.metric_plan` like everywhere."""
    try:
        plan = metric_plan(spec, kind)
    except ValidationError as error:
        raise MonitorConfigError(str(error)) from None
    if len(plan) != 1:
        raise MonitorConfigError(
            f"{kind} asks for {len(plan)} metrics ({', '.join(plan)}), but azure-ai-ml 1.35.2 sends only one "
            "metric per feature type (the first in the order JSD, NWD, PSI, KS/chi²) and drops the others "
            "silently; add one signal per metric to watch several"
        )
    [(name, threshold)] = plan.items()
    if threshold is None:
        raise MonitorConfigError(f"give {name!r} a threshold, e.g. {kind}=({name!r}, 0.1); "
                                 "Azure has no default threshold for it")
    if threshold == 0:
        raise MonitorConfigError(
            f"a threshold of 0 for {name} is silently dropped by azure-ai-ml 1.35.2 (it tests `if threshold:`), "
            "and another metric or none is sent instead; use a small positive value such as 1e-6"
        )
    return name, threshold


def drift_thresholds(numerical=None, categorical=None, *, prediction: bool = False):
    """``DataDriftMetricThreshold`` (or ``PredictionDriftMetricThreshold``) with one metric per type.

    Parameters
    ----------
    numerical, categorical : None, str, tuple or dict
        ``("normalized_wasserstein_distance", 0.1)`` or ``{"jensen_shannon_distance": 0.1}``;
        None for the SDK default (normalized_wasserstein_distance 0.1 / jensen_shannon_distance 0.1).
    prediction : bool
        Build the prediction-drift variant.
    """
    from azure.ai.ml.entities import (
        CategoricalDriftMetrics,
        DataDriftMetricThreshold,
        NumericalDriftMetrics,
        PredictionDriftMetricThreshold,
    )

    num_name, num_value = _one_metric(numerical, "numerical")
    cat_name, cat_value = _one_metric(categorical, "categorical")
    cls = PredictionDriftMetricThreshold if prediction else DataDriftMetricThreshold
    return cls(numerical=NumericalDriftMetrics(**{num_name: num_value}),
               categorical=CategoricalDriftMetrics(**{cat_name: cat_value}))


def quality_thresholds(thresholds=None, *, numerical=None, categorical=None):
    """``DataQualityMetricThreshold`` for both feature types (default: all three rates at 0.0).

    ``thresholds`` applies to both types; ``numerical`` or ``categorical`` replace it for one type.
    (``DataQualityMetricThreshold._to_rest_object`` copies the numerical values into the categorical
    ones, but ``DataQualitySignal`` in azure-ai-ml 1.35.2 does not call it; :func:`validate` checks
    what is really sent.)
    """
    from azure.ai.ml.entities import (
        DataQualityMetricsCategorical,
        DataQualityMetricsNumerical,
        DataQualityMetricThreshold,
    )

    both = dict(DEFAULT_QUALITY_THRESHOLDS if thresholds is None else thresholds)
    chosen = {"numerical": dict(both if numerical is None else numerical),
              "categorical": dict(both if categorical is None else categorical)}
    try:
        chosen = {kind: {check_metric(name, "quality"): check_threshold(name, value) for name, value in values.items()}
                  for kind, values in chosen.items()}
    except ValidationError as error:
        raise MonitorConfigError(str(error)) from None
    return DataQualityMetricThreshold(numerical=DataQualityMetricsNumerical(**chosen["numerical"]),
                                      categorical=DataQualityMetricsCategorical(**chosen["categorical"]))


# --- signals --------------------------------------------------------------------------------
def _features(features):
    if features is None or features == "all_features":
        return features
    if isinstance(features, str):
        raise MonitorConfigError(f"features must be a list of column names or 'all_features' (got {features!r})")
    return list(features)


def _override(override: Mapping[str, str] | None):
    if override is None:
        return None
    try:
        return _check_override(override)  # the check drift.compare makes (columns are known only at run time)
    except ValidationError as error:
        raise MonitorConfigError(str(error)) from None


def data_drift_signal(reference, *, production=None, features=None, feature_type_override=None,
                      numerical=None, categorical=None, alert: bool = True, production_window: str | None = None,
                      reference_context: str = "training", target_column: str | None = None):
    """A ``DataDriftSignal`` on the deployment's inputs against a reference data asset.

    Parameters
    ----------
    reference : str or Input
        The baseline, e.g. ``"azureml:avocado-train:1"`` (an MLTable).
    production : str or Input, optional
        Production data (a uri_folder); by default Azure fills in the deployment's ``model_inputs``.
    features : list of str or 'all_features', optional
        Columns to watch.
    feature_type_override : dict, optional
        ``{"column": "numerical" | "categorical"}``.
    numerical, categorical : tuple or dict, optional
        One metric and threshold per type, e.g. ``("population_stability_index", 0.2)``.
    alert : bool
        Send an email when a threshold is breached.
    production_window : str, optional
        Lookback size such as ``"P7D"`` (default: derived from the trigger).

    Returns
    -------
    azure.ai.ml.entities.DataDriftSignal

    Examples
    --------
    >>> signal = data_drift_signal("azureml:avocado-train:1", features=["price", "region"],
    ...                            categorical=("pearsons_chi_squared_test", 0.01))
    >>> signal.metric_thresholds.categorical.pearsons_chi_squared_test
    0.01
    >>> data_drift_signal("azureml:avocado-train:1", categorical=("chi_squared_test", 0.01))
    Traceback (most recent call last):
    ...
    mlcheckup.monitor.MonitorConfigError: 'chi_squared_test' is not a categorical metric of Azure ML; \
allowed: jensen_shannon_distance, population_stability_index, pearsons_chi_squared_test; \
did you mean pearsons_chi_squared_test (the YAML reference's 'chi_squared_test' is rejected by the SDK)?

    Taught in lesson 04, §7.
    """
    from azure.ai.ml.entities import DataDriftSignal

    return DataDriftSignal(
        production_data=_production(production, MODEL_INPUTS, production_window),
        reference_data=_reference(reference, reference_context, target_column),
        features=_features(features), feature_type_override=_override(feature_type_override),
        metric_thresholds=drift_thresholds(numerical, categorical), alert_enabled=alert,
    )


def prediction_drift_signal(reference, *, production=None, numerical=None, categorical=None, alert: bool = True,
                            production_window: str | None = None, reference_context: str = "training"):
    """A ``PredictionDriftSignal`` on the deployment's outputs (same metrics and defaults as data drift)."""
    from azure.ai.ml.entities import PredictionDriftSignal

    return PredictionDriftSignal(
        production_data=_production(production, MODEL_OUTPUTS, production_window),
        reference_data=_reference(reference, reference_context, None),
        metric_thresholds=drift_thresholds(numerical, categorical, prediction=True), alert_enabled=alert,
    )


def data_quality_signal(reference, *, production=None, features=None, feature_type_override=None,
                        thresholds: Mapping[str, float] | None = None, numerical=None, categorical=None,
                        alert: bool = True, production_window: str | None = None,
                        reference_context: str = "training"):
    """A ``DataQualitySignal``: null, data-type error and out-of-bounds rates (default 0.0 each)."""
    from azure.ai.ml.entities import DataQualitySignal

    return DataQualitySignal(
        production_data=_production(production, MODEL_INPUTS, production_window),
        reference_data=_reference(reference, reference_context, None),
        features=_features(features), feature_type_override=_override(feature_type_override),
        metric_thresholds=quality_thresholds(thresholds, numerical=numerical, categorical=categorical),
        alert_enabled=alert,
    )


# --- schedule -------------------------------------------------------------------------------
def _check_emails(emails) -> list[str]:
    if isinstance(emails, str):
        emails = [emails]
    emails = list(emails or [])
    if not emails:
        raise MonitorConfigError(
            "emails is empty: without AlertNotification(emails=[...]) Azure fails with "
            "\"The value for '.emails' is missing\"; pass at least one address"
        )
    bad = [e for e in emails if not isinstance(e, str) or not _EMAIL.match(e)]
    if bad:
        raise MonitorConfigError(f"these are not email addresses: {bad}")
    return emails


def monitor_schedule(
    name: str,
    *,
    signals: Mapping[str, object],
    emails: Iterable[str],
    endpoint: str | None = None,
    deployment: str | None = None,
    ml_task: str = "classification",
    frequency: str = "day",
    interval: int = 1,
    hours: int = 3,
    minutes: int = 0,
    cron: str | None = None,
    runtime_version: str = "3.4",
    instance_type: str = "standard_e4s_v3",
    description: str | None = None,
):
    """A ``MonitorSchedule`` running ``signals`` on serverless Spark, with email alerts.

    Parameters
    ----------
    name : str
        Schedule name.
    signals : dict
        ``{"data-drift": data_drift_signal(...), ...}``; names are up to you.
    emails : list of str
        Who gets the alerts (required; see the module notes).
    endpoint, deployment : str, optional
        The monitored deployment (``azureml:<endpoint>:<deployment>``).
    ml_task : {'classification', 'regression', 'question_answering'}
    frequency, interval, hours, minutes : recurrence trigger
        Runs every ``interval`` ``frequency`` (at ``hours:minutes`` UTC for day, week and month);
        the default production window follows from it (``drift.default_windows``).
    cron : str, optional
        A cron expression instead of the recurrence (default window P7D).
    runtime_version : {'3.4', '3.5'}
        Serverless Spark runtime accepted by azure-ai-ml 1.35.2.
    instance_type : str
        One of :data:`INSTANCE_TYPES`.

    Returns
    -------
    azure.ai.ml.entities.MonitorSchedule

    Examples
    --------
    >>> schedule = monitor_schedule(
    ...     "avocado-monitor", endpoint="avocado", deployment="blue", emails=["ops@example.com"],
    ...     signals={"data-drift": data_drift_signal("azureml:avocado-train:1")})
    >>> validate(schedule).create_monitor.compute.runtime_version
    '3.4'

    Taught in lesson 04, §7.
    """
    from azure.ai.ml.entities import (
        AlertNotification,
        CronTrigger,
        MonitorDefinition,
        MonitoringTarget,
        MonitorSchedule,
        RecurrencePattern,
        RecurrenceTrigger,
        ServerlessSparkCompute,
    )

    if str(runtime_version) not in RUNTIME_VERSIONS:
        raise MonitorConfigError(
            f"runtime_version must be one of {RUNTIME_VERSIONS} for azure-ai-ml 1.35.2 (got {runtime_version!r}); "
            "the Learn docs still show '3.3', which fails with 'Compute runtime version must be one of: 3.4, 3.5'"
        )
    if instance_type not in INSTANCE_TYPES:
        raise MonitorConfigError(f"instance_type must be one of {INSTANCE_TYPES} (got {instance_type!r})")
    if ml_task not in ML_TASKS:
        raise MonitorConfigError(f"ml_task must be one of {ML_TASKS} (got {ml_task!r})")
    if (endpoint is None) != (deployment is None):
        raise MonitorConfigError("give both endpoint and deployment (or neither)")
    if not signals:
        raise MonitorConfigError("signals is empty; add at least one, e.g. {'data-drift': data_drift_signal(...)}")
    if cron is not None:
        trigger = CronTrigger(expression=cron)
    else:
        if not isinstance(interval, int) or interval < 1:
            raise MonitorConfigError(f"interval must be a positive integer (got {interval!r})")
        frequency = check_frequency(frequency)
        # a time-of-day pattern only makes sense for daily and longer recurrences
        pattern = RecurrencePattern(hours=hours, minutes=minutes) if frequency in ("day", "week", "month") else None
        trigger = RecurrenceTrigger(frequency=frequency, interval=interval, schedule=pattern)
    target = MonitoringTarget(ml_task=ml_task, endpoint_deployment_id=(
        f"azureml:{endpoint}:{deployment}" if endpoint else None))
    definition = MonitorDefinition(
        compute=ServerlessSparkCompute(runtime_version=str(runtime_version), instance_type=instance_type),
        monitoring_target=target, monitoring_signals=dict(signals),
        alert_notification=AlertNotification(emails=_check_emails(emails)),
    )
    return MonitorSchedule(name=name, trigger=trigger, create_monitor=definition, description=description)


# --- offline validation ---------------------------------------------------------------------
def to_yaml(schedule, path: str | os.PathLike | None = None) -> str:
    """The schedule as Azure ML YAML (``az ml schedule create -f``); also written to ``path``.

    Examples
    --------
    >>> schedule = monitor_schedule("m", emails=["a@example.com"],
    ...                             signals={"drift": data_drift_signal("azureml:train:1")})
    >>> print(to_yaml(schedule).split("create_monitor:")[1].split("monitoring_target")[0].strip())
    compute:
        runtime_version: '3.4'
        instance_type: standard_e4s_v3

    Taught in lesson 04, §7.
    """
    return _sdk_yaml.to_yaml(schedule, path)


def _first_branch(node, path=()) -> list[str]:
    """Flatten marshmallow's nested messages, following one alternative of each union.

    The alternative kept is the first whose ``type`` was accepted (the signal's own schema), else
    the first one.
    """
    if isinstance(node, dict):
        lines = []
        for key, value in node.items():
            lines += _first_branch(value, (*path, str(key)) if key != "value" else path)
        return lines
    if isinstance(node, list):
        if node and all(isinstance(item, dict) for item in node):
            # a union: the alternative whose "type" matched is the one that describes the mistake
            matching = [item for item in node if "type" not in item]
            return _first_branch((matching or node)[0], path)
        return [f"{'.'.join(path)}: {' '.join(map(str, node))}"]
    return [f"{'.'.join(path)}: {node}"]


def schema_message(error: BaseException) -> str:
    """The real complaint behind ``load_schedule``'s empty NotImplementedError, first branch only."""
    details = _sdk_yaml.schema_details(error)
    lines = [details[:400]] if isinstance(details, str) else _first_branch(details)
    for field, hint in (("chi_squared_test", "use pearsons_chi_squared_test"),):
        if any(field in line and "pearsons" not in line for line in lines):
            lines.append(hint)
    return "; ".join(lines)


def load_yaml(source: str | os.PathLike):
    """Load a monitor YAML file (or YAML text) with the SDK, with a readable error.

    Parameters
    ----------
    source : path or str
        A path to a YAML file, or the YAML text itself (a string of several lines, or one line
        such as ``"name: m"``). Nothing is ever written next to ``source``.

    Raises
    ------
    MonitorConfigError
        If ``source`` names no file, or with the schema's complaint, e.g.
        ``create_monitor.monitoring_signals.drift.metric_thresholds.categorical.chi_squared_test:
        Unknown field.``
    """
    from azure.ai.ml.entities._load_functions import load_schedule

    with _sdk_yaml.scratch_yaml("monitor.yml") as scratch:
        path = _sdk_yaml.yaml_source(source, scratch, error=MonitorConfigError)
        try:
            return load_schedule(path)
        except Exception as error:  # NotImplementedError wrapping marshmallow's ValidationError
            raise MonitorConfigError(f"the Azure ML schema rejects this monitor: {schema_message(error)}") from None


def _rest_signals(schedule) -> dict:
    try:
        rest = schedule._to_rest_object()
    except Exception as error:  # MlException for the runtime version, among others
        details = re.findall(r"\(x\) (.+)", str(error)) or [str(error).strip().splitlines()[0][:300]]
        raise MonitorConfigError(f"azure-ai-ml refuses to send this monitor: {'; '.join(details)}") from None
    return rest.properties.action.monitor_definition.signals


def _sent(schedule) -> list[tuple[str, str, str, str, float]]:
    """(signal, signal type, data type, metric, threshold) the SDK would send, from a private copy."""
    rows = []
    for name, signal in _rest_signals(copy.deepcopy(schedule)).items():
        payload = signal.as_dict()
        for item in payload.get("metricThresholds") or []:
            metric = re.sub(r"(?<!^)(?=[A-Z])", "_", item["metric"]).lower()
            rows.append((name, payload.get("signalType"), item.get("dataType"), metric,
                         (item.get("threshold") or {}).get("value")))
    return rows


def sent_thresholds(schedule) -> pd.DataFrame:
    """What the SDK actually sends: one row per signal, data type and metric, with its threshold.

    Examples
    --------
    >>> schedule = monitor_schedule("m", emails=["a@example.com"],
    ...                             signals={"drift": data_drift_signal("azureml:train:1")})
    >>> sent_thresholds(schedule)[["signal", "data_type", "metric_name", "threshold"]]
      signal    data_type                      metric_name  threshold
    0  drift    Numerical  normalized_wasserstein_distance        0.1
    1  drift  Categorical          jensen_shannon_distance        0.1

    Taught in lesson 04, §7.
    """
    return pd.DataFrame(_sent(validate(schedule, check_sent=False)),
                        columns=["signal", "signal_type", "data_type", "metric_name", "threshold"])


def _asked(signal) -> list[tuple[str, str, float]]:
    """(data type, metric, threshold) a signal object asks for, before the SDK's filtering."""
    thresholds = getattr(signal, "metric_thresholds", None)
    asked = []
    for kind, label in (("numerical", "Numerical"), ("categorical", "Categorical")):
        metrics = getattr(thresholds, kind, None)
        for metric, value in (vars(metrics) if metrics is not None else {}).items():
            if value is not None and metric not in ("metric", "metric_threshold"):
                asked.append((label, metric, value))
    return asked


def validate(schedule, *, check_sent: bool = True):
    """Check a ``MonitorSchedule`` offline with the SDK: YAML round trip, then the REST conversion.

    Also compares, signal by signal, the thresholds asked for with those the SDK would send, to catch
    its silent changes (one metric per type, zero thresholds dropped, categorical data quality
    thresholds replaced by the numerical ones) in schedules built without these builders.

    Parameters
    ----------
    check_sent : bool
        Also compare the thresholds asked for with those the SDK sends (the REST conversion runs
        either way, so a wrong runtime version is always caught).

    Returns
    -------
    MonitorSchedule
        The schedule loaded back from its YAML.

    Raises
    ------
    MonitorConfigError
        With the first problem found and how to fix it.

    Taught in lesson 04, §7.
    """
    with _sdk_yaml.scratch_yaml("monitor.yml") as path:
        try:
            schedule.dump(path)
        except Exception as error:
            raise MonitorConfigError(f"the schedule cannot be written as YAML: {schema_message(error)}") from None
        loaded = load_yaml(path)
    sent = {(name, data_type, metric): value for name, _, data_type, metric, value in _sent(loaded)}
    if not check_sent:
        return loaded
    for name, signal in (loaded.create_monitor.monitoring_signals or {}).items():
        for data_type, metric, value in _asked(signal):
            if (name, data_type, metric) not in sent:
                raise MonitorConfigError(
                    f"signal {name!r} asks for {data_type.lower()} {metric}={value}, which azure-ai-ml 1.35.2 does "
                    "not send (it sends one drift metric per feature type and drops zero thresholds); "
                    "keep one non-zero metric per type, and add one signal per extra metric"
                )
            if sent[name, data_type, metric] != value:
                raise MonitorConfigError(
                    f"signal {name!r}: {data_type.lower()} {metric} is set to {value}, but azure-ai-ml sends "
                    f"{sent[name, data_type, metric]} (DataQualityMetricThreshold copies the numerical values "
                    "into the categorical ones); use the same data quality thresholds for both types"
                )
    return loaded
