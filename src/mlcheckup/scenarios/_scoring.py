"""Score a monitor's alerts against the known incidents: detection delay, misses, false alarms.

The rules, in the order they are applied:

* an alert at time ``t`` *detects* every incident with ``start <= t <= end + grace``;
* an incident's *detection delay* is its first detecting alert minus its start;
* an incident with no detecting alert is *missed*;
* an alert that detects no incident, before an onset, between incidents or after an incident
  has ended, is a *false alarm*; false alarms are counted per week of the observed period.

Several alerts inside one incident are not false alarms (a monitor may keep firing while the
problem lasts). ``grace`` accepts a late alert from a window that closed just after the end.

Times are timestamps, or plain numbers read as week numbers (handy for hand-made cases).

Taught in lessons 01 and 05 (alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError


@dataclass(frozen=True, repr=False)
class AlertScore:
    """How well a set of alerts caught the incidents of a scenario.

    Attributes
    ----------
    incidents : pandas.DataFrame
        One row per incident: ``incident, pattern, shift, cause, start, end, detected,
        first_alert, delay`` (``delay`` is a Timedelta, or weeks for numeric times; NaT/NaN
        when missed).
    false_alarms : pandas.Series
        The alert times that detected no incident.
    weeks : float
        Length of the observed period, in weeks.
    """

    incidents: pd.DataFrame
    false_alarms: pd.Series
    weeks: float

    @property
    def detected(self) -> list[int]:
        """Numbers of the detected incidents."""
        return self.incidents.loc[self.incidents["detected"], "incident"].tolist()

    @property
    def missed(self) -> list[int]:
        """Numbers of the missed incidents."""
        return self.incidents.loc[~self.incidents["detected"], "incident"].tolist()

    @property
    def n_false_alarms(self) -> int:
        """How many alerts detected no incident."""
        return len(self.false_alarms)

    @property
    def false_alarms_per_week(self) -> float:
        """False alarms per week of the observed period (lower is better, 0 is best)."""
        return self.n_false_alarms / self.weeks if self.weeks > 0 else float("nan")

    @property
    def mean_delay(self):
        """Mean detection delay over the detected incidents (NaT/NaN if none was detected)."""
        return self.incidents.loc[self.incidents["detected"], "delay"].mean()

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a dict; delays in hours for timestamps, in weeks for numbers."""
        delay = self.mean_delay
        if isinstance(delay, pd.Timedelta) or delay is pd.NaT:
            delay = delay / pd.Timedelta(hours=1) if delay is not pd.NaT else float("nan")
        return {
            "incidents": len(self.incidents),
            "detected": len(self.detected),
            "missed": len(self.missed),
            "false_alarms": self.n_false_alarms,
            "false_alarms_per_week": self.false_alarms_per_week,
            "mean_delay": float(delay),
        }

    def __repr__(self) -> str:
        lines = [f"{len(self.detected)} of {len(self.incidents)} incidents detected"]
        if self.detected:
            lines[0] += f" (mean delay {self.mean_delay})"
        if self.missed:
            lines.append(f"missed: {', '.join(f'#{number}' for number in self.missed)}")
        lines.append(f"{self.n_false_alarms} false alarms in {self.weeks:.1f} weeks "
                     f"({self.false_alarms_per_week:.2f} per week)")
        return "; ".join(lines)


def _as_numbers(values: Any, numeric: bool, what: str) -> np.ndarray:
    """Times as floats: week numbers as they are, timestamps as nanoseconds since 1970."""
    if isinstance(values, pd.DataFrame):
        raise ValidationError(
            f"{what} must be one column of times, got a DataFrame with columns {list(values.columns)}; "
            "pass one column, e.g. alerts['timestamp']"
        )
    series = values if isinstance(values, pd.Series) else pd.Series(list(np.atleast_1d(np.asarray(values, dtype=object))))
    if series.empty:
        return np.empty(0)
    try:
        if numeric:
            return pd.to_numeric(series).to_numpy(dtype=float)
        return pd.to_datetime(series, format="mixed").dt.as_unit("ns").astype("int64").to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        expected = "numbers (week numbers)" if numeric else "timestamps"
        raise ValidationError(
            f"{what} must be {expected}, like the incident table's start and end; got {series.iloc[0]!r} ({error})"
        ) from None


def score_alerts(incidents: pd.DataFrame, alerts: Any, *, period: tuple, grace: Any = None) -> AlertScore:
    """Score alert times against an incident table (rules in the module docstring).

    Parameters
    ----------
    incidents : pandas.DataFrame
        An incident table with at least ``incident``, ``start`` and ``end`` (``Scenario.incidents``).
    alerts : sequence of times
        When the monitor alerted: timestamps (or strings), or week numbers if the table uses
        numbers. Empty if it never alerted.
    period : (start, end)
        The observed period, for the false-alarm rate.
    grace : Timedelta or number, optional
        Extra time after an incident's end in which an alert still counts as a detection.

    Returns
    -------
    AlertScore

    Raises
    ------
    ValidationError
        If the table lacks a column, the period is empty or times cannot be read.

    Examples
    --------
    >>> table = pd.DataFrame({"incident": [1, 2], "start": [3.0, 8.0], "end": [5.0, 9.0]})
    >>> score = score_alerts(table, [1.0, 3.5, 4.0, 6.0], period=(0.0, 10.0))
    >>> score.incidents["delay"].tolist(), score.missed, score.n_false_alarms, score.false_alarms_per_week
    ([0.5, nan], [2], 2, 0.2)
    """
    missing = sorted({"incident", "start", "end"} - set(incidents.columns))
    if missing:
        raise ValidationError(
            f"the incident table lacks columns {missing}; pass scenario.incidents (columns start, end, ...)"
        )
    numeric = pd.api.types.is_numeric_dtype(incidents["start"])
    week = 1.0 if numeric else float(pd.Timedelta(days=7).value)
    starts = _as_numbers(incidents["start"], numeric, "incident starts")
    ends = _as_numbers(incidents["end"], numeric, "incident ends")
    times = np.sort(_as_numbers(alerts, numeric, "alerts"))
    low, high = _as_numbers(list(period), numeric, "period")
    if not high > low:
        raise ValidationError(f"period must be (start, end) with end after start, got {period!r}")
    slack = 0.0 if grace is None else (float(grace) if numeric else float(pd.Timedelta(grace).value))

    inside = (times[:, None] >= starts[None, :]) & (times[:, None] <= ends[None, :] + slack)
    first = np.array([times[inside[:, column]].min() if inside[:, column].any() else np.nan
                      for column in range(len(starts))])
    per_incident = incidents[[c for c in ("incident", "pattern", "shift", "cause", "start", "end") if c in incidents]]
    per_incident = per_incident.reset_index(drop=True).assign(detected=~np.isnan(first))
    false_alarms = times[~inside.any(axis=1)]
    if numeric:
        per_incident = per_incident.assign(first_alert=first, delay=first - starts)
        alarms = pd.Series(false_alarms, dtype=float)
    else:
        per_incident = per_incident.assign(
            first_alert=pd.to_datetime(first, unit="ns"), delay=pd.to_timedelta(first - starts, unit="ns")
        )
        alarms = pd.Series(pd.to_datetime(false_alarms, unit="ns"), dtype="datetime64[ns]")
    return AlertScore(incidents=per_incident, false_alarms=alarms, weeks=float((high - low) / week))
