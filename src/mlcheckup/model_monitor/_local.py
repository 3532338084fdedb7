"""Run the signals of an Azure ML ``MonitorSchedule`` locally, configured from the schedule itself.

:func:`local_signals` reads each data drift, prediction drift, data quality and feature
attribution drift signal *as the SDK would send it* (after its one-metric-per-type choice, default
windows, and the default signals of an out-of-box monitor) and returns :class:`LocalSignal` objects
that compute the same table with :mod:`mlcheckup.drift`. A lesson can so build the monitor once and
run "the Azure monitor" on local data before deploying it.

What cannot run here, and is named when asked for: custom signals (your own Spark component),
generation safety and quality (an Azure OpenAI connection grades the answers), generation token
statistics (the deployment's app traces) and model performance (ground truth joined in Azure).
What is approximated: the feature importances behind top-N feature filters and feature attribution
drift (see :mod:`mlcheckup.drift.importance`). A ``pre_processing_component`` does not run here:
pass production data already prepared.

Taught in lesson 04, §7.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import drift
from ..drift.importance import attribution_drift, feature_importance, top_features
from ..drift.thresholds import past_threshold
from ..errors import MonitorConfigError, ValidationError
from ._sdk import sent_rows, validate

_KINDS = {"DataDrift": "data_drift", "PredictionDrift": "prediction_drift", "DataQuality": "data_quality",
          "FeatureAttributionDrift": "feature_attribution_drift"}
#: Signal types that cannot run locally, and why.
UNSUPPORTED = {
    "custom": "a custom signal runs your own Spark component, which only Azure ML runs",
    "generation_safety_quality": "generation safety and quality is graded by an Azure OpenAI model "
                                 "through a workspace connection",
    "generation_token_statistics": "token statistics are read from the deployment's app traces in Azure",
    "model_performance": "model performance joins ground truth to the collected outputs in Azure "
                         "(lesson 06 computes it locally by hand)",
}


@dataclass
class LocalSignal:
    """One monitoring signal, ready to run on local data.

    Attributes
    ----------
    name, signal : str
        The signal's name in the schedule and its kind (data_drift, prediction_drift, data_quality).
    numerical, categorical : dict
        ``{metric: threshold}`` as the SDK sends them.
    features : list of str or None
        The monitored columns (None: all).
    feature_type_override : dict or None
    frequency : str or None
        Recurrence frequency of the trigger (None for cron, run daily here).
    interval : int
    production_window : str or datetime.timedelta
        Lookback size of the production window, e.g. ``"P7D"``.
    top_n : int or None
        Watch only the ``top_n`` most important features of the reference (top-N feature filter).
    target_column : str or None
        The reference's label column (top-N and feature attribution drift).
    ml_task : str or None
        The monitoring target's task (sets the importance surrogate: classifier or regressor).
    notes : list of str
        What runs differently here than in Azure (approximations, preprocessing left to you).
    """

    name: str
    signal: str
    numerical: dict = field(default_factory=dict)
    categorical: dict = field(default_factory=dict)
    features: list | None = None
    feature_type_override: dict | None = None
    frequency: str | None = "day"
    interval: int = 1
    production_window: str = "P1D"
    top_n: int | None = None
    target_column: str | None = None
    ml_task: str | None = None
    notes: list = field(default_factory=list)

    def _importance(self, data: pd.DataFrame) -> pd.Series:
        if not self.target_column:
            raise MonitorConfigError(f"signal {self.name!r} needs feature importances, which need the reference's "
                                     "target column (data_column_names target_column), and none is set")
        return feature_importance(data, self.target_column, task=self.ml_task,
                                  feature_type_override=self.feature_type_override)

    def selected_features(self, reference: pd.DataFrame, importance: pd.Series | None = None) -> list | None:
        """The columns this signal compares: its list, or the top N by importance on ``reference``.

        ``importance`` (feature -> value, e.g. Azure's own) replaces the local approximation.
        """
        if self.top_n is None:
            return self.features
        importance = self._importance(reference) if importance is None else pd.Series(importance)
        return top_features(importance, self.top_n)

    def evaluate(self, reference: pd.DataFrame, production: pd.DataFrame, *, importance=None,
                 **options) -> pd.DataFrame:
        """The signal's table for one production window (options go to :func:`mlcheckup.drift.compare`).

        For feature attribution drift, ``production`` must hold the target column (Azure joins
        ``model_outputs`` to ``model_inputs``) and the table has one row, the NDCG.
        """
        if self.signal == "feature_attribution_drift":
            return self._attribution(reference, production, importance)
        features = self.selected_features(reference, importance)
        if self.signal == "data_quality":
            return drift.data_quality(reference, production, features=features,
                                      numerical=self.numerical, categorical=self.categorical)
        return drift.compare(reference, production, features=features,
                             feature_type_override=self.feature_type_override,
                             numerical=self.numerical, categorical=self.categorical, **options)

    def _attribution(self, reference, production, importance) -> pd.DataFrame:
        base = self._importance(reference) if importance is None else pd.Series(importance)
        if self.target_column not in production.columns:
            raise ValidationError(f"production has no {self.target_column!r} column: feature attribution drift "
                                  "needs the model's outputs joined to its inputs (Azure joins model_outputs "
                                  "to model_inputs by correlation id); add the predictions under that name")
        prod = self._importance(production[[c for c in reference.columns if c in production.columns]])
        value = attribution_drift(base, prod)
        [(metric, threshold)] = (self.numerical or {"normalized_discounted_cumulative_gain": float("nan")}).items()
        return pd.DataFrame([{
            "feature_name": "", "data_type": "", "metric_name": metric, "metric_value": value,
            "threshold_value": threshold, "breached": bool(past_threshold(value, threshold, "below")),
            "baseline_row_count": len(reference), "target_row_count": len(production),
            "note": "importances approximated (mlcheckup.drift.importance)",
        }])

    def detector(self, reference: pd.DataFrame, *, importance=None, **options) -> drift.DriftDetector:
        """A :class:`~mlcheckup.drift.DriftDetector` running this signal on the schedule's windows."""
        if self.signal == "feature_attribution_drift":
            raise MonitorConfigError(f"signal {self.name!r} (feature attribution drift) has no DriftDetector; "
                                     "call evaluate(reference, production_window) for each window")
        return drift.DriftDetector(
            reference, signal=self.signal, numerical=self.numerical, categorical=self.categorical,
            frequency=self.frequency or "day", interval=self.interval, production_window=self.production_window,
            features=self.selected_features(reference, importance), feature_type_override=self.feature_type_override,
            **options,
        )


def local_signals(schedule, *, skip_unsupported: bool = False) -> dict[str, LocalSignal]:
    """The signals of a schedule as :class:`LocalSignal` objects, ready to run on local data.

    The schedule is validated first (:func:`validate`), with Azure's default
    signals filled in if it has none. Data drift, prediction drift, data quality and feature
    attribution drift run here; the others (:data:`UNSUPPORTED`) do not.

    Parameters
    ----------
    skip_unsupported : bool, default False
        Leave out signals that cannot run locally instead of raising.

    Raises
    ------
    MonitorConfigError
        Naming each signal that cannot run locally and why (the schedule still validates and
        builds for Azure).

    Examples
    --------
    >>> schedule = monitor_schedule(
    ...     "m", emails=["a@example.com"], frequency="week",
    ...     signals={"drift": data_drift_signal("azureml:train:1", categorical=("pearsons_chi_squared_test", 0.01))})
    >>> signal = local_signals(schedule)["drift"]
    >>> signal.categorical, signal.production_window
    ({'pearsons_chi_squared_test': 0.01}, 'P7D')

    Taught in lesson 04, §7.
    """
    loaded = validate(schedule)
    unsupported = {name: UNSUPPORTED.get(str(getattr(signal.type, "value", signal.type)),
                                         f"{signal.type} signals are not implemented locally")
                   for name, signal in (loaded.create_monitor.monitoring_signals or {}).items()
                   if type(signal).__name__.replace("Signal", "") not in _KINDS}
    if unsupported and not skip_unsupported:
        reasons = "; ".join(f"{name!r}: {why}" for name, why in unsupported.items())
        raise MonitorConfigError(f"these signals cannot run locally: {reasons}. The schedule still validates and "
                                 "builds for Azure; pass skip_unsupported=True to run the others")
    target = loaded.create_monitor.monitoring_target
    ml_task = str(target.ml_task).lower() if target is not None and target.ml_task else None
    trigger = loaded.trigger
    frequency = getattr(trigger, "frequency", None)
    frequency = str(frequency).lower() if frequency is not None else None
    interval = int(getattr(trigger, "interval", 1) or 1)
    default_size = drift.default_windows(frequency, interval).production_size
    thresholds: dict[str, dict] = {}
    for name, kind, data_type, metric, value in sent_rows(loaded):
        if kind in _KINDS:
            per_type = thresholds.setdefault(name, {"Numerical": {}, "Categorical": {}})
            per_type[data_type or "Numerical"][metric] = value
    signals = {}
    for name, signal in (loaded.create_monitor.monitoring_signals or {}).items():
        kind = _KINDS.get(type(signal).__name__.replace("Signal", ""))
        if kind is None:
            continue
        features = getattr(signal, "features", None)
        top_n = getattr(features, "top_n_feature_importance", None)
        production = signal.production_data
        production = production[0] if isinstance(production, list) and production else production
        window = getattr(getattr(production, "data_window", None), "lookback_window_size", None)
        per_type = thresholds.get(name, {"Numerical": {}, "Categorical": {}})
        columns = getattr(signal.reference_data, "data_column_names", None) or {}
        notes = []
        if top_n is not None or kind == "feature_attribution_drift":
            notes.append("feature importances are approximated (mlcheckup.drift.importance)")
        if getattr(production, "pre_processing_component", None):
            notes.append(f"pre_processing_component {production.pre_processing_component} does not run here: "
                         "pass production data already prepared")
        signals[name] = LocalSignal(
            name=name, signal=kind,
            numerical=per_type["Numerical"] or None, categorical=per_type["Categorical"] or None,
            features=list(features) if isinstance(features, list | tuple) else None,
            feature_type_override=dict(getattr(signal, "feature_type_override", None) or {}) or None,
            frequency=frequency, interval=interval,
            production_window=window if window not in (None, "default") else default_size,
            top_n=top_n, target_column=columns.get("target_column"), ml_task=ml_task, notes=notes,
        )
    return signals
