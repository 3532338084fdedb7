"""Run the signals of an Azure ML ``MonitorSchedule`` locally, configured from the schedule itself.

:func:`local_signals` reads each data drift, prediction drift and data quality signal *as the SDK
would send it* (after its one-metric-per-type choice and default windows) and returns
:class:`LocalSignal` objects that compute the same table with :mod:`mlcheckup.drift`. A lesson can
so build the monitor once and run "the Azure monitor" on local data before deploying it.

Taught in lesson 04, §7.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import drift
from .monitor import _sent, validate

_KINDS = {"DataDrift": "data_drift", "PredictionDrift": "prediction_drift", "DataQuality": "data_quality"}


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
    production_window : str
        Lookback size of the production window, e.g. ``"P7D"``.
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

    def evaluate(self, reference: pd.DataFrame, production: pd.DataFrame, **options) -> pd.DataFrame:
        """The signal's table for one production window (options go to :func:`mlcheckup.drift.compare`)."""
        if self.signal == "data_quality":
            return drift.data_quality(reference, production, features=self.features,
                                      numerical=self.numerical, categorical=self.categorical)
        return drift.compare(reference, production, features=self.features,
                             feature_type_override=self.feature_type_override,
                             numerical=self.numerical, categorical=self.categorical, **options)

    def monitor(self, reference: pd.DataFrame, **options) -> drift.DriftMonitor:
        """A :class:`~mlcheckup.drift.DriftMonitor` running this signal on the schedule's windows."""
        return drift.DriftMonitor(
            reference, signal=self.signal, numerical=self.numerical, categorical=self.categorical,
            frequency=self.frequency or "day", interval=self.interval, production_window=self.production_window,
            features=self.features, feature_type_override=self.feature_type_override, **options,
        )


def local_signals(schedule) -> dict[str, LocalSignal]:
    """The drift and data quality signals of a schedule as :class:`LocalSignal` objects.

    The schedule is validated first (:func:`mlcheckup.monitor.validate`). Other signal types
    (feature attribution, model performance, custom, generation) are left out.

    Examples
    --------
    >>> from mlcheckup import monitor
    >>> schedule = monitor.monitor_schedule(
    ...     "m", emails=["a@example.com"], frequency="week",
    ...     signals={"drift": monitor.data_drift_signal("azureml:train:1", categorical=("pearsons_chi_squared_test", 0.01))})
    >>> signal = local_signals(schedule)["drift"]
    >>> signal.categorical, signal.production_window
    ({'pearsons_chi_squared_test': 0.01}, 'P7D')

    Taught in lesson 04, §7.
    """
    loaded = validate(schedule)
    trigger = loaded.trigger
    frequency = getattr(trigger, "frequency", None)
    frequency = str(frequency).lower() if frequency is not None else None
    interval = int(getattr(trigger, "interval", 1) or 1)
    default_size = drift.default_windows(frequency, interval).production_size
    thresholds: dict[str, dict] = {}
    for name, kind, data_type, metric, value in _sent(loaded):
        if kind in _KINDS:
            per_type = thresholds.setdefault(name, {"Numerical": {}, "Categorical": {}})
            per_type[data_type][metric] = value
    signals = {}
    for name, signal in (loaded.create_monitor.monitoring_signals or {}).items():
        kind = _KINDS.get(type(signal).__name__.replace("Signal", ""))
        if kind is None:
            continue
        features = getattr(signal, "features", None)
        window = getattr(getattr(signal.production_data, "data_window", None), "lookback_window_size", None)
        per_type = thresholds.get(name, {"Numerical": {}, "Categorical": {}})
        signals[name] = LocalSignal(
            name=name, signal=kind,
            numerical=per_type["Numerical"] or None, categorical=per_type["Categorical"] or None,
            features=list(features) if isinstance(features, list | tuple) else None,
            feature_type_override=dict(getattr(signal, "feature_type_override", None) or {}) or None,
            frequency=frequency, interval=interval,
            production_window=window if window not in (None, "default") else default_size,
        )
    return signals
