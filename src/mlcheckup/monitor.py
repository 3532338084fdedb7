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
  "The value for '.emails' is missing");
* a schedule with no signals is Azure's *out-of-box* monitor: the create call fills in three
  default signals (:data:`DEFAULT_SIGNALS`); :func:`with_default_signals` does the same offline, and
  :func:`validate`, :func:`sent_thresholds` and :func:`mlcheckup.monitor_local.local_signals` work on
  the filled schedule.

Alerts are off unless asked for (``alert=False``), as in the SDK: pass ``alert=True`` to each signal
that should email.

What the layer does not build (it still validates such schedules when the SDK accepts them):
``pre_processing_component`` (for data collected outside Azure ML), model performance signals,
and generation safety and quality signals (the ``generation-safety-quality-monitoring.yaml`` of
azureml-examples is refused by the SDK itself: its ``data_window_size`` and
``workspace_connection_id`` keys are unknown to the azure-ai-ml 1.35.2 schema).

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
#: The YAML schema's spelling: "question_answering" (Microsoft's YAML comments) fails its load.
ML_TASKS = ("classification", "regression", "questionanswering")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: The signals Azure's create call adds to a schedule without signals (the SDK's
#: ``MonitorDefinition._populate_default_signal_information``), with what each sends.
DEFAULT_SIGNALS = {
    "data-drift-signal": "data drift on model_inputs, all features: normalized_wasserstein_distance 0.1 "
                         "(numerical), jensen_shannon_distance 0.1 (categorical)",
    "prediction-drift-signal": "prediction drift on model_outputs: normalized_wasserstein_distance 0.1 "
                               "(numerical), jensen_shannon_distance 0.1 (categorical)",
    "data-quality-signal": "data quality on model_inputs, all features: null_value_rate, "
                           "data_type_error_rate, out_of_bounds_rate 0.0 (both types)",
}
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
def _one_metric(spec, kind: str) -> tuple[str, float] | None:
    """One metric and its threshold, read by :func:`mlcheckup.drift.thresholds.metric_plan` like everywhere.

    An empty spec (``{}`` or ``[]``) means no metric for this feature type (None).
    """
    try:
        plan = metric_plan(spec, kind)
    except ValidationError as error:
        raise MonitorConfigError(str(error)) from None
    if not plan:
        return None
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
        None for the SDK default (normalized_wasserstein_distance 0.1 / jensen_shannon_distance 0.1);
        ``{}`` for no metric on that feature type (then the SDK sends one row, for the other type),
        as in Microsoft's prediction drift examples, which set categorical thresholds only.
    prediction : bool
        Build the prediction-drift variant.

    Examples
    --------
    >>> drift_thresholds({}, ("pearsons_chi_squared_test", 0.02), prediction=True).numerical is None
    True
    """
    from azure.ai.ml.entities import (
        CategoricalDriftMetrics,
        DataDriftMetricThreshold,
        NumericalDriftMetrics,
        PredictionDriftMetricThreshold,
    )

    num = _one_metric(numerical, "numerical")
    cat = _one_metric(categorical, "categorical")
    if num is None and cat is None:
        raise MonitorConfigError("numerical and categorical are both empty, so the signal would watch nothing; "
                                 "give one of them a metric, e.g. categorical=('jensen_shannon_distance', 0.1)")
    cls = PredictionDriftMetricThreshold if prediction else DataDriftMetricThreshold
    return cls(numerical=NumericalDriftMetrics(**dict([num])) if num else None,
               categorical=CategoricalDriftMetrics(**dict([cat])) if cat else None)


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
def top_features(n: int = 10):
    """A ``MonitorFeatureFilter``: watch the ``n`` features that matter most to the model.

    Azure ranks the reference's features by importance for predicting its target column (so the
    reference needs ``target_column``) and watches the top ``n``. Locally the ranking is
    approximated: see :func:`mlcheckup.drift.feature_importance`.

    Examples
    --------
    >>> top_features(10).top_n_feature_importance
    10
    """
    from azure.ai.ml.entities import MonitorFeatureFilter

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise MonitorConfigError(f"top_n_feature_importance must be a positive integer (got {n!r}), e.g. 10")
    return MonitorFeatureFilter(top_n_feature_importance=n)


def _features(features, target_column: str | None = None):
    from azure.ai.ml.entities import MonitorFeatureFilter

    if isinstance(features, Mapping):  # the YAML form {"top_n_feature_importance": 10}
        if set(features) != {"top_n_feature_importance"}:
            raise MonitorConfigError(f"a features mapping takes only 'top_n_feature_importance' (got {dict(features)!r});"
                                     " pass a list of column names, 'all_features' or top_features(10)")
        features = top_features(features["top_n_feature_importance"])
    if isinstance(features, MonitorFeatureFilter):
        top_features(features.top_n_feature_importance)
        if not target_column:
            raise MonitorConfigError(
                "features=top_features(...) ranks features by their importance for the reference's target "
                "column, and no target_column was given (Azure then computes no importance); pass "
                "target_column='<label column of the reference>'")
        return features
    if features is None or features == "all_features":
        return features
    if isinstance(features, str):
        raise MonitorConfigError(f"features must be a list of column names, 'all_features' or top_features(n) "
                                 f"(got {features!r})")
    return list(features)


def _override(override: Mapping[str, str] | None):
    if override is None:
        return None
    try:
        return _check_override(override)  # the check drift.compare makes (columns are known only at run time)
    except ValidationError as error:
        raise MonitorConfigError(str(error)) from None


def data_drift_signal(reference, *, production=None, features=None, feature_type_override=None,
                      numerical=None, categorical=None, alert: bool = False, production_window: str | None = None,
                      reference_context: str = "training", target_column: str | None = None):
    """A ``DataDriftSignal`` on the deployment's inputs against a reference data asset.

    Parameters
    ----------
    reference : str or Input
        The baseline, e.g. ``"azureml:avocado-train:1"`` (an MLTable).
    production : str or Input, optional
        Production data (a uri_folder); by default Azure fills in the deployment's ``model_inputs``.
    features : list of str, 'all_features' or top_features(n), optional
        Columns to watch; :func:`top_features` (or ``{"top_n_feature_importance": n}``) watches the
        ``n`` most important ones and needs ``target_column``.
    feature_type_override : dict, optional
        ``{"column": "numerical" | "categorical"}``.
    numerical, categorical : tuple or dict, optional
        One metric and threshold per type, e.g. ``("population_stability_index", 0.2)``; ``{}`` for
        none of that type.
    alert : bool, default False
        Send an email when a threshold is breached (False, as the SDK's ``alert_enabled``).
    production_window : str, optional
        Lookback size such as ``"P7D"`` (default: derived from the trigger).
    target_column : str, optional
        The reference's label column (needed by top-N features).

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
        features=_features(features, target_column), feature_type_override=_override(feature_type_override),
        metric_thresholds=drift_thresholds(numerical, categorical), alert_enabled=bool(alert),
    )


def prediction_drift_signal(reference, *, production=None, numerical=None, categorical=None, alert: bool = False,
                            production_window: str | None = None, reference_context: str = "training"):
    """A ``PredictionDriftSignal`` on the deployment's outputs (same metrics and defaults as data drift).

    ``numerical={}`` leaves numerical outputs unwatched, as Microsoft's examples do for a classifier:
    ``prediction_drift_signal(ref, numerical={}, categorical=("pearsons_chi_squared_test", 0.02))``.
    Alerts are off unless ``alert=True`` (the SDK's default).
    """
    from azure.ai.ml.entities import PredictionDriftSignal

    return PredictionDriftSignal(
        production_data=_production(production, MODEL_OUTPUTS, production_window),
        reference_data=_reference(reference, reference_context, None),
        metric_thresholds=drift_thresholds(numerical, categorical, prediction=True), alert_enabled=bool(alert),
    )


def data_quality_signal(reference, *, production=None, features=None, feature_type_override=None,
                        thresholds: Mapping[str, float] | None = None, numerical=None, categorical=None,
                        alert: bool = False, production_window: str | None = None,
                        reference_context: str = "training", target_column: str | None = None):
    """A ``DataQualitySignal``: null, data-type error and out-of-bounds rates (default 0.0 each).

    ``target_column`` names the reference's label column (needed by ``features=top_features(n)``);
    alerts are off unless ``alert=True`` (the SDK's default).
    """
    from azure.ai.ml.entities import DataQualitySignal

    return DataQualitySignal(
        production_data=_production(production, MODEL_INPUTS, production_window),
        reference_data=_reference(reference, reference_context, target_column),
        features=_features(features, target_column), feature_type_override=_override(feature_type_override),
        metric_thresholds=quality_thresholds(thresholds, numerical=numerical, categorical=categorical),
        alert_enabled=bool(alert),
    )


def feature_attribution_drift_signal(reference, *, target_column: str, threshold: float = 0.9, alert: bool = False,
                                     reference_context: str = "training"):
    """A ``FeatureAttributionDriftSignal``: has the ranking of feature importances changed?

    Azure computes each feature's importance on the reference and on production (the deployment's
    ``model_inputs`` joined with ``model_outputs``, so both must be collected) and compares the two
    rankings by normalized discounted cumulative gain (NDCG, 1 = same ranking); it breaches when the
    NDCG falls *below* ``threshold``.

    Parameters
    ----------
    reference : str or Input
        Training data holding ``target_column``.
    target_column : str
        The label column.
    threshold : float in [0, 1], default 0.9
        The value Microsoft's examples use (the SDK has no default).
    alert : bool, default False

    Examples
    --------
    >>> signal = feature_attribution_drift_signal("azureml:credit-reference:1", target_column="DEFAULT")
    >>> signal.metric_thresholds.normalized_discounted_cumulative_gain
    0.9
    """
    from azure.ai.ml.entities import FeatureAttributionDriftMetricThreshold, FeatureAttributionDriftSignal

    if not isinstance(target_column, str) or not target_column:
        raise MonitorConfigError(f"target_column must name the reference's label column (got {target_column!r})")
    value = float(threshold) if isinstance(threshold, int | float) and not isinstance(threshold, bool) else None
    if value is None or not 0.0 < value <= 1.0:
        raise MonitorConfigError(f"threshold of normalized_discounted_cumulative_gain must be in (0, 1] "
                                 f"(got {threshold!r}); Microsoft's examples use 0.9")
    with _sdk_yaml.quiet_sdk():
        return FeatureAttributionDriftSignal(
            reference_data=_reference(reference, reference_context, target_column),
            metric_thresholds=FeatureAttributionDriftMetricThreshold(normalized_discounted_cumulative_gain=value),
            alert_enabled=bool(alert),
        )


def custom_signal(component_id: str, *, metric_thresholds: Mapping[str, float], input_data=None, inputs=None,
                  alert: bool = False):
    """A ``CustomMonitoringSignal``: your own Spark component computes the metrics (Azure only).

    Parameters
    ----------
    component_id : str
        A registered Spark component, e.g. ``"azureml:my_custom_signal:1.0.0"``.
    metric_thresholds : dict
        ``{metric name: threshold}``, one row each, as the component writes them.
    input_data : dict, optional
        ``{name: data}`` data assets given to the component (each a path or ``Input``, context "test").
    inputs : dict, optional
        ``{name: Input}`` literal inputs of the component.

    A custom signal runs only on Azure: :func:`mlcheckup.monitor_local.local_signals` says so.

    Examples
    --------
    >>> custom_signal("azureml:my_custom_signal:1.0.0", metric_thresholds={"std_dev": 2}).metric_thresholds[0].metric_name
    'std_dev'
    """
    from azure.ai.ml.entities import CustomMonitoringMetricThreshold, CustomMonitoringSignal, ReferenceData

    if not isinstance(component_id, str) or not component_id:
        raise MonitorConfigError(f"component_id must name a registered component such as "
                                 f"'azureml:my_custom_signal:1.0.0' (got {component_id!r})")
    if not isinstance(metric_thresholds, Mapping) or not metric_thresholds:
        raise MonitorConfigError(f"metric_thresholds must be a non-empty dict {{metric name: threshold}} "
                                 f"(got {metric_thresholds!r})")
    thresholds = []
    for name, value in metric_thresholds.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MonitorConfigError(f"threshold of custom metric {name!r} must be a number (got {value!r})")
        with _sdk_yaml.quiet_sdk():
            thresholds.append(CustomMonitoringMetricThreshold(metric_name=str(name), threshold=float(value)))
    data = {name: ReferenceData(input_data=data_input(value), data_context="test")
            for name, value in (input_data or {}).items()}
    with _sdk_yaml.quiet_sdk():
        return CustomMonitoringSignal(component_id=component_id, metric_thresholds=thresholds,
                                      input_data=data or None, inputs=dict(inputs) if inputs else None,
                                      alert_enabled=bool(alert))


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
    signals: Mapping[str, object] | None = None,
    emails: Iterable[str],
    endpoint: str | None = None,
    deployment: str | None = None,
    ml_task: str | None = "classification",
    frequency: str = "day",
    interval: int = 1,
    hours: int | list[int] | None = 3,
    minutes: int | list[int] | None = 0,
    week_days: str | list[str] | None = None,
    time_zone: str = "UTC",
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
    signals : dict, optional
        ``{"data-drift": data_drift_signal(...), ...}``; names are up to you. None (or ``{}``) is
        Azure's out-of-box monitor: the create call adds :data:`DEFAULT_SIGNALS` (it needs
        ``endpoint`` and ``deployment``, collecting both ``model_inputs`` and ``model_outputs``).
    emails : list of str
        Who gets the alerts (required; see the module notes).
    endpoint, deployment : str, optional
        The monitored deployment (``azureml:<endpoint>:<deployment>``).
    ml_task : {'classification', 'regression', 'questionanswering'} or None
        None (without endpoint) sends no monitoring target, as Microsoft's custom signal example.
    frequency, interval, hours, minutes : recurrence trigger
        Runs every ``interval`` ``frequency`` (at ``hours:minutes`` for day, week and month; lists
        such as ``hours=[8, 20]`` run at each; ``hours=None`` sets no time of day); the default
        production window follows from it (``drift.default_windows``).
    week_days : str or list of str, optional
        Days a weekly (or daily) recurrence runs on, e.g. ``["monday", "friday"]``.
    time_zone : str, default "UTC"
        Time zone of ``hours`` (a Windows time zone name such as ``"W. Europe Standard Time"``).
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
    if ml_task is None and endpoint is not None:
        raise MonitorConfigError("ml_task=None sends no monitoring target, but an endpoint is given; "
                                 "pass ml_task='classification' or 'regression'")
    if ml_task is not None and ml_task not in ML_TASKS:
        hint = "; the schema spells it 'questionanswering'" if ml_task == "question_answering" else ""
        raise MonitorConfigError(f"ml_task must be one of {ML_TASKS} (got {ml_task!r}){hint}")
    if (endpoint is None) != (deployment is None):
        raise MonitorConfigError("give both endpoint and deployment (or neither)")
    if not signals and endpoint is None:
        raise MonitorConfigError(
            "signals is empty and no endpoint is given: Azure fills in its default signals only from a deployment "
            "that collects model_inputs and model_outputs; pass endpoint= and deployment=, or add a signal, e.g. "
            "{'data-drift': data_drift_signal(...)}")
    if not isinstance(time_zone, str) or not time_zone:
        raise MonitorConfigError(f"time_zone must be a time zone name such as 'UTC' (got {time_zone!r})")
    if cron is not None:
        trigger = CronTrigger(expression=cron, time_zone=time_zone)
    else:
        if not isinstance(interval, int) or interval < 1:
            raise MonitorConfigError(f"interval must be a positive integer (got {interval!r})")
        frequency = check_frequency(frequency)
        days = _week_days(week_days)
        if days and frequency not in ("day", "week"):
            raise MonitorConfigError(f"week_days applies to a daily or weekly recurrence (got frequency={frequency!r})")
        # a time-of-day pattern only makes sense for daily and longer recurrences
        pattern = None
        if frequency in ("day", "week", "month") and (hours is not None or days):
            pattern = RecurrencePattern(hours=_clock(hours, "hours", 23), minutes=_clock(minutes, "minutes", 59),
                                        week_days=days)
        trigger = RecurrenceTrigger(frequency=frequency, interval=interval, schedule=pattern, time_zone=time_zone)
    target = MonitoringTarget(ml_task=ml_task, endpoint_deployment_id=(
        f"azureml:{endpoint}:{deployment}" if endpoint else None)) if ml_task is not None else None
    definition = MonitorDefinition(
        compute=ServerlessSparkCompute(runtime_version=str(runtime_version), instance_type=instance_type),
        monitoring_target=target, monitoring_signals=dict(signals) if signals else None,
        alert_notification=AlertNotification(emails=_check_emails(emails)),
    )
    return MonitorSchedule(name=name, trigger=trigger, create_monitor=definition, description=description)


def _clock(value, name: str, top: int) -> list[int]:
    values = [0] if value is None else [value] if isinstance(value, int) else value
    if isinstance(values, str) or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= top
                                          for v in values) or not values:
        raise MonitorConfigError(f"{name} must be an integer 0-{top} or a list of them (got {value!r})")
    return list(values)


def _week_days(days) -> list[str] | None:
    if days is None:
        return None
    days = [days] if isinstance(days, str) else list(days)
    bad = [d for d in days if not isinstance(d, str) or d.lower() not in WEEK_DAYS]
    if bad or not days:
        raise MonitorConfigError(f"week_days must be names among {WEEK_DAYS} (got {bad or days!r})")
    return [d.lower() for d in days]


def with_default_signals(schedule, *, deployment=None):
    """A copy of ``schedule`` with the signals Azure's create call adds when it has none.

    ``ml_client.schedules.begin_create_or_update`` fills an out-of-box monitor (no signals) with
    :data:`DEFAULT_SIGNALS` (a token statistics signal for ``question_answering``), provided the
    target deployment collects both ``model_inputs`` and ``model_outputs``; production and
    reference data are the deployment's collected data, the reference being the recent past
    (see :func:`mlcheckup.drift.default_windows`). A schedule with signals is returned as a copy.

    Parameters
    ----------
    schedule : MonitorSchedule
    deployment : ManagedOnlineDeployment, optional
        The monitored deployment: its data collector is checked as the create call checks it
        (offline the deployment is otherwise assumed to collect both).

    Raises
    ------
    MonitorConfigError
        Without a target deployment, or if ``deployment`` does not collect both, with the SDK's reason.

    Examples
    --------
    >>> schedule = monitor_schedule("m", endpoint="credit-default", deployment="main", emails=["a@example.com"])
    >>> sorted(with_default_signals(schedule).create_monitor.monitoring_signals)
    ['data-drift-signal', 'data-quality-signal', 'prediction-drift-signal']
    """
    filled = copy.deepcopy(schedule)
    definition = filled.create_monitor
    if definition.monitoring_signals:
        return filled
    target = definition.monitoring_target
    if not (target and target.endpoint_deployment_id):
        raise MonitorConfigError(
            "this monitor has no signals and no monitoring_target.endpoint_deployment_id; Azure refuses it "
            "(\"An ARM id for a deployment with data collector enabled for model inputs and outputs must be given "
            "if monitoring_signals is None\"); name the deployment, or add signals")
    if deployment is not None:
        collections = getattr(getattr(deployment, "data_collector", None), "collections", None) or {}
        missing = [name for name in (MODEL_INPUTS, MODEL_OUTPUTS)
                   if str(getattr(collections.get(name), "enabled", "")).lower() != "true"]
        if missing:
            raise MonitorConfigError(
                f"this monitor has no signals, so Azure fills in its defaults from the deployment's collected data, "
                f"but deployment {getattr(deployment, 'name', '?')!r} does not collect {' and '.join(missing)}; "
                f"enable them (build_deployment(collections=('model_inputs', 'model_outputs'))), or add signals")
    with _sdk_yaml.quiet_sdk():
        filled._create_default_monitor_definition()
    return filled


def default_signals(ml_task: str = "classification") -> pd.DataFrame:
    """The signals, metrics and thresholds an out-of-box monitor gets (what :func:`sent_thresholds` shows).

    Examples
    --------
    >>> table = default_signals()
    >>> table.groupby("signal", sort=False)["metric_name"].apply(sorted).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'data-drift-signal': ['jensen_shannon_distance', 'normalized_wasserstein_distance'],
     'prediction-drift-signal': ['jensen_shannon_distance', 'normalized_wasserstein_distance'],
     'data-quality-signal': ['data_type_error_rate', 'data_type_error_rate', 'null_value_rate', 'null_value_rate',
                             'out_of_bounds_rate', 'out_of_bounds_rate']}
    >>> table.groupby("signal", sort=False)["threshold"].max().to_dict()
    {'data-drift-signal': 0.1, 'prediction-drift-signal': 0.1, 'data-quality-signal': 0.0}
    """
    schedule = monitor_schedule("out-of-box", endpoint="endpoint", deployment="deployment", ml_task=ml_task,
                                emails=["you@example.com"])
    return sent_thresholds(schedule)


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


def _rest(schedule):
    try:
        with _sdk_yaml.quiet_sdk():
            return with_default_signals(schedule)._to_rest_object()
    except Exception as error:  # MlException for the runtime version, among others
        details = re.findall(r"\(x\) (.+)", str(error)) or [str(error).strip().splitlines()[0][:300]]
        raise MonitorConfigError(f"azure-ai-ml refuses to send this monitor: {'; '.join(details)}") from None


def rest_payload(schedule) -> dict:
    """The REST body the SDK sends on create (defaults filled in as the create call does), as a dict.

    Data asset references stay as written (the create call also resolves them to ARM ids online).
    """
    with _sdk_yaml.quiet_sdk():
        return _rest(schedule).as_dict()


def _sent(schedule) -> list[tuple[str, str, str, str, float]]:
    """(signal, signal type, data type, metric, threshold) the SDK would send, from a private copy."""
    rows = []
    for name, signal in _rest(schedule).properties.action.monitor_definition.signals.items():
        payload = signal.as_dict()
        items = payload.get("metricThresholds") or []
        if isinstance(items, dict):  # generation signals: {metric: threshold}
            items = [{"metric": key, "threshold": {"value": value}} for key, value in items.items()]
        if payload.get("metricThreshold"):  # feature attribution drift sends a single one
            items = [*items, payload["metricThreshold"]]
        for item in items:
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


def validate(schedule, *, check_sent: bool = True, deployment=None):
    """Check a ``MonitorSchedule`` offline with the SDK: YAML round trip, then the REST conversion.

    Also compares, signal by signal, the thresholds asked for with those the SDK would send, to catch
    its silent changes (one metric per type, zero thresholds dropped, categorical data quality
    thresholds replaced by the numerical ones) in schedules built without these builders.

    Parameters
    ----------
    check_sent : bool
        Also compare the thresholds asked for with those the SDK sends (the REST conversion runs
        either way, so a wrong runtime version is always caught).
    deployment : ManagedOnlineDeployment, optional
        For a schedule without signals: the deployment whose data collector is checked (see
        :func:`with_default_signals`).

    Returns
    -------
    MonitorSchedule
        The schedule loaded back from its YAML, with Azure's default signals filled in if it had
        none (as the create call fills them).

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
    loaded = with_default_signals(loaded, deployment=deployment)
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
