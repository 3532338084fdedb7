"""Signal builders of an Azure ML model monitor: data inputs, thresholds and the signals (private)."""

from __future__ import annotations

from collections.abc import Mapping

from .. import _sdk_yaml, _validate
from ..datacollector import MODEL_INPUTS, MODEL_OUTPUTS
from ..drift._typing import check_override
from ..drift.thresholds import (
    DEFAULT_QUALITY_THRESHOLDS,
    check_metric,
    check_threshold,
    metric_plan,
)
from ..errors import MonitorConfigError, ValidationError


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
        window = _validate.iso_duration(_validate.duration(window, "production_window"))
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

    n = _validate.whole("top_n_feature_importance", n, 1, hint="e.g. 10")
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
        return check_override(override)  # the check drift.compare makes (columns are known only at run time)
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
    production_window : str or datetime.timedelta, optional
        Lookback size, in any spelling of :mod:`mlcheckup._validate` (``"P7D"``, ``"7D"``,
        ``"week"``, ``timedelta(days=7)``), sent to Azure in ISO 8601 (default: derived from
        the trigger).
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
    mlcheckup.errors.MonitorConfigError: 'chi_squared_test' is not a categorical metric of Azure ML; \
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

    A custom signal runs only on Azure: :func:`local_signals` says so.

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
