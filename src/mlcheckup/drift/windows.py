"""Windows over time, as a scheduled Azure ML monitor sees them, and :class:`DriftDetector`.

A monitor runs on a trigger; at each run time ``t`` it compares the production data of the window
``[t - offset - size, t - offset)`` with the reference. When no window is given, the SDK derives
the sizes from the trigger (``MonitorSchedule._to_rest_object``):

==============================  ====================  ====================================
trigger                         production window     recent-production reference window
==============================  ====================  ====================================
recurrence minute or hour       P1D, offset P0D       P2D, offset P1D
recurrence day, interval N      P{N}D, offset P0D     P{2N}D, offset P{N}D
recurrence week, interval N     P{7N}D, offset P0D    P{14N}D, offset P{7N}D
recurrence month, interval N    P{30N}D, offset P0D   P{60N}D, offset P{30N}D
cron expression                 P7D, offset P0D       P14D, offset P7D
==============================  ====================  ====================================

The reference window applies only when the reference is recent production data; a training data
set without a window is used whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from .. import _validate
from ..errors import ValidationError
from .metrics import check_ks_row_limit
from .quality import data_quality
from .reference import Reference, drift_table
from .thresholds import metric_plan

__all__ = ["FREQUENCIES", "SIGNALS", "DriftDetector", "LookbackWindows", "check_frequency", "default_windows",
    "parse_duration", "run_times"]

FREQUENCIES = ("minute", "hour", "day", "week", "month")
SIGNALS = ("data_drift", "prediction_drift", "data_quality")


@dataclass(frozen=True)
class LookbackWindows:
    """ISO-8601 window sizes and offsets the SDK sends for a trigger (see the module table)."""

    production_size: str
    production_offset: str
    reference_size: str
    reference_offset: str


def default_windows(frequency: str | None = "day", interval: int = 1) -> LookbackWindows:
    """The SDK's default lookback windows for a recurrence trigger; ``frequency=None`` for cron.

    Parameters
    ----------
    frequency : {'minute', 'hour', 'day', 'week', 'month'} or None
        The ``RecurrenceTrigger`` frequency; None means a ``CronTrigger``.
    interval : int
        The trigger interval (runs every ``interval`` units).

    Returns
    -------
    LookbackWindows

    Examples
    --------
    >>> default_windows("week", 2)
    LookbackWindows(production_size='P14D', production_offset='P0D', reference_size='P28D', reference_offset='P14D')
    >>> default_windows(None).production_size
    'P7D'

    Taught in lesson 04, §5.
    """
    if frequency is None:
        days = 7
    else:
        frequency = check_frequency(frequency)
        interval = _validate.whole("interval", interval, 1, words="of at least 1 (runs every interval units)")
        days = {"minute": 1, "hour": 1, "day": interval, "week": 7 * interval, "month": 30 * interval}[frequency]
    return LookbackWindows(f"P{days}D", "P0D", f"P{2 * days}D", f"P{days}D")


def check_frequency(frequency: str) -> str:
    """Validate a recurrence frequency (case-insensitive, as the SDK)."""
    text = frequency.lower() if isinstance(frequency, str) else frequency
    return _validate.choice("frequency", text, FREQUENCIES, "the recurrence unit, e.g. frequency='week'")


def parse_duration(text: str) -> pd.Timedelta:
    """An ISO-8601 duration as the SDK writes them (``P7D``, ``PT12H``, ``P1W``, ``P0D``) as a Timedelta.

    Only the spelling azure-ai-ml sends; :class:`DriftDetector` also takes the other spellings of
    :mod:`mlcheckup._validate` (``"7D"``, ``"week"``, a timedelta).

    >>> parse_duration("P7D"), parse_duration("PT90M")
    (Timedelta('7 days 00:00:00'), Timedelta('0 days 01:30:00'))

    Taught in lesson 04, §5.
    """
    return _validate.parse_iso_duration(text)


def _step(frequency: str, interval: int):
    if frequency == "month":
        return pd.DateOffset(months=interval)
    return pd.Timedelta(**{f"{frequency}s": interval})


def run_times(first, last, frequency: str = "day", interval: int = 1) -> pd.DatetimeIndex:
    """Trigger times from ``first`` to ``last`` (inclusive) for a recurrence schedule."""
    frequency = check_frequency(frequency)
    interval = _validate.whole("interval", interval, 1, words="of at least 1 (runs every interval units)")
    times, t = [], pd.Timestamp(first)
    step = _step(frequency, interval)
    while t <= pd.Timestamp(last):
        times.append(t)
        t = t + step
    return pd.DatetimeIndex(times)


class DriftDetector:
    """A scheduled signal run locally: a fixed reference, Azure's metrics, and a history.

    Parameters
    ----------
    reference : pandas.DataFrame or Reference
        The baseline, prepared once (sorted and counted) for every window.
    signal : {'data_drift', 'prediction_drift', 'data_quality'}
        Which Azure signal to compute.
    numerical, categorical : optional
        Metrics and thresholds per feature type, as in :func:`compare`; default: Azure's.
    frequency, interval : str, int
        The recurrence trigger; it sets the default production window (see the module table).
    production_window : duration, optional
        Lookback size, e.g. ``"P7D"``, ``"7D"``, ``"week"`` or a timedelta, to override the default;
        ``production_offset`` likewise (it may be zero).
    features, feature_type_override, exclude : optional
        As in :class:`Reference` (used only when ``reference`` is a DataFrame).
    ks_row_limit, n_jobs : optional
        As in :func:`compare`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> ref = pd.DataFrame({"price": rng.normal(1.2, 0.2, 2000)})
    >>> times = pd.date_range("2024-01-01", periods=28 * 144, freq="10min")
    >>> prod = pd.DataFrame({"time": times,
    ...                      "price": rng.normal(1.2, 0.2, len(times)) + (times >= "2024-01-15") * 0.1})
    >>> weekly = DriftDetector(ref, frequency="week").over_time(prod, time_column="time")
    >>> weekly[["window_end", "metric_value", "breached"]].round({"metric_value": 2})
      window_end  metric_value  breached
    0 2024-01-08          0.06     False
    1 2024-01-15          0.04     False
    2 2024-01-22          0.47      True
    3 2024-01-29          0.54      True

    Taught in lesson 04, §5.
    """

    def __init__(
        self,
        reference: pd.DataFrame | Reference,
        *,
        signal: str = "data_drift",
        numerical=None,
        categorical=None,
        frequency: str = "day",
        interval: int = 1,
        production_window: str | None = None,
        production_offset: str = "P0D",
        features: Iterable[str] | None = None,
        feature_type_override: Mapping[str, str] | None = None,
        exclude: Iterable[str] | None = None,
        ks_row_limit: str = "raise",
        n_jobs: int | None = None,
    ):
        self.signal = _validate.choice("signal", signal, SIGNALS)
        if isinstance(reference, Reference):
            self.reference = reference
        else:
            self.reference = Reference(reference, features=features, feature_type_override=feature_type_override,
                                       exclude=exclude)
        kind = "quality" if signal == "data_quality" else None
        self.numerical = metric_plan(numerical, kind or "numerical")
        self.categorical = metric_plan(categorical, kind or "categorical")
        self.frequency = check_frequency(frequency)
        self.windows = default_windows(self.frequency, interval)
        self.interval = int(interval)
        self.production_size = _validate.duration(self.windows.production_size if production_window is None
                                        else production_window, "production_window")
        self.production_offset = _validate.duration(production_offset, "production_offset", allow_zero=True)
        self.ks_row_limit = check_ks_row_limit(ks_row_limit)
        self.n_jobs = None if n_jobs is None else _validate.whole("n_jobs", n_jobs, 1, words="of at least 1, or None")
        self._history: list[pd.DataFrame] = []

    def __repr__(self) -> str:
        return (f"DriftDetector({self.signal}, every {self.interval} {self.frequency}, window "
                f"{self.production_size}, numerical={self.numerical}, categorical={self.categorical})")

    def check(self, production: pd.DataFrame, *, run_time=None) -> pd.DataFrame:
        """Evaluate one production window; the table is also appended to :attr:`history`."""
        if self.signal == "data_quality":
            table = data_quality(self.reference, production, numerical=self.numerical, categorical=self.categorical)
        else:
            table = drift_table(self.reference, production, numerical=self.numerical,
                                categorical=self.categorical, ks_row_limit=self.ks_row_limit, n_jobs=self.n_jobs)
        if run_time is not None:
            table.insert(0, "run_time", pd.Timestamp(run_time))
        self._history.append(table)
        return table

    def over_time(self, production: pd.DataFrame, *, time_column: str, start=None, end=None) -> pd.DataFrame:
        """Run the schedule over a production log and stack the tables of every run.

        Parameters
        ----------
        production : pandas.DataFrame
            Production rows with a timestamp column.
        time_column : str
            Name of that column; it is never compared.
        start, end : timestamp-like, optional
            First and last run time. By default the first run is one window after the day the data
            starts, and the last the first run time at or after the last row.

        Returns
        -------
        pandas.DataFrame
            The signal table with ``run_time``, ``window_start`` and ``window_end`` in front, one
            block per run with at least one row in its window; empty windows are listed in
            ``table.attrs['empty_windows']``.
        """
        if time_column not in production.columns:
            raise ValidationError(f"time_column {time_column!r} is not a column of the production data; "
                                  f"its columns are {list(production.columns)[:20]}")
        times = pd.to_datetime(production[time_column])
        order = times.argsort(kind="stable")
        data = production.iloc[order].drop(columns=[time_column])
        times = pd.DatetimeIndex(times.iloc[order])
        if start is None:
            start = times[0].normalize() + self.production_size + self.production_offset
        if end is None:
            last = times[-1]
            end = start
            step = _step(self.frequency, self.interval)
            while end <= last:
                end = end + step
        tables, empty = [], []
        for t in run_times(start, end, self.frequency, self.interval):
            window_end = t - self.production_offset
            window_start = window_end - self.production_size
            lo, hi = times.searchsorted(window_start, "left"), times.searchsorted(window_end, "left")
            if hi <= lo:
                empty.append(t)
                continue
            table = self.check(data.iloc[lo:hi], run_time=t)
            table.insert(1, "window_start", window_start)
            table.insert(2, "window_end", window_end)
            tables.append(table)
        if not tables:
            raise ValidationError(f"no production row falls in any window between {start} and {end}; "
                                  "check time_column, start and end")
        result = pd.concat(tables, ignore_index=True)
        result.attrs["empty_windows"] = empty
        return result

    @property
    def history(self) -> pd.DataFrame:
        """Every table :meth:`check` produced, stacked (empty before the first check)."""
        if not self._history:
            return pd.DataFrame()
        return pd.concat(self._history, ignore_index=True)
