"""Check an alert rule over stored telemetry on a simulated clock (private to :mod:`mlcheckup.alerts`).

:func:`evaluate` does what Azure Monitor does with a rule, without waiting for the clock: it
places a check every ``evaluation_frequency`` between ``start`` and ``end``; each check at time
``t`` reads the window ``[t - window_size, t)`` (only what had arrived by ``t``), aggregates it
to one value and compares it with the threshold. A stateful rule (``auto_mitigate=True``) fires
once when the condition is met, stays fired while it holds, and resolves after
:attr:`Rule.resolve_after` checks in a row that miss it; a stateless rule notifies at every check
that meets it. Each Fired and Resolved notification is POSTed to the webhooks of the rule's
action groups at once (the clock is simulated; the delivery is real HTTP).

Windows with no data give no value for Average, Minimum and Maximum (the check does not breach)
and 0 for Count and Total. Telemetry arrives in the store instantly; Azure adds an ingestion
delay of a few minutes.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ._notify import Notification, alert_id, deliver, payload
from ._vocabulary import STANDARD_METRICS, AlertRule, as_rule

#: The monitored resource named in local notifications: a placeholder App Insights resource id.
LOCAL_SCOPE = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlcheckup/providers/"
               "microsoft.insights/components/appi-digits")


@dataclass(frozen=True)
class _Signal:
    """Rows of a measured signal, in time order: per row a total, a count, a minimum and a maximum."""

    times: np.ndarray  # int64 nanoseconds since 1970, UTC
    total: np.ndarray
    count: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> _Signal:
        frame = frame.sort_values("time", kind="stable")
        return cls(frame["time"].dt.as_unit("ns").to_numpy().astype("int64"),
                   *(frame[c].to_numpy(float) for c in ("total", "count", "low", "high")))


def _utc(value, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ValidationError(f"{what} must be a time such as '2024-03-04' or a Timestamp (got {value!r})")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def _times(column: pd.Series, where: str) -> pd.Series:
    try:
        return pd.to_datetime(column, utc=True, format="ISO8601").dt.tz_localize(None)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{where}: the timestamp column holds {column.iloc[0]!r}, which is not a time "
                              f"({error}); return the table's own timestamp column") from None


def _path(store) -> Path:
    path = Path(getattr(store, "path", store))
    if not path.is_file():
        raise ValidationError(f"no telemetry store at {path}; pass an AppInsightsIngestion (or its .path)")
    return path


def _iso(stamp: pd.Timestamp) -> str:
    return f"{stamp:%Y-%m-%dT%H:%M:%S.%f}Z"


def _metric_frame(rule: AlertRule, db, low: pd.Timestamp, high: pd.Timestamp) -> pd.DataFrame:
    if rule.is_standard:
        table, value, where = STANDARD_METRICS[rule.metric_name]
        sql = (f'SELECT timestamp, {value} * itemCount, itemCount, {value}, {value} FROM "{table}" '
               f"WHERE timestamp >= ? AND timestamp < ? AND {value} IS NOT NULL" + (f" AND {where}" if where else ""))
        params = (_iso(low), _iso(high))
    else:
        sql = ("SELECT timestamp, valueSum, valueCount, valueMin, valueMax FROM customMetrics "
               "WHERE name = ? AND timestamp >= ? AND timestamp < ?")
        params = (rule.metric_name, _iso(low), _iso(high))
    rows = db.execute(sql, params).fetchall()
    frame = pd.DataFrame(rows, columns=["time", "total", "count", "low", "high"])
    frame["time"] = _times(frame["time"], f"metric {rule.metric_name}")
    return frame


def _column(columns: list[str], wanted: str, rule: AlertRule, role: str) -> str:
    for name in columns:
        if name.lower() == wanted.lower():
            return name
    raise ValidationError(f"the query of {rule.name!r} returns columns {columns}, without {wanted!r}; "
                          f"keep it in the SELECT ({role})")


def _log_frame(rule: AlertRule, db, low: pd.Timestamp, high: pd.Timestamp) -> pd.DataFrame:
    if rule.query is None:
        raise ValidationError(f"log rule {rule.name!r} has only KQL, over tables this store does not hold; run it "
                              "with mlcheckup.kql.query(rule.kql, tables, now=...) (slo.log_alert_times does)")
    try:
        cursor = db.execute(rule.query)
    except sqlite3.Error as error:
        raise ValidationError(f"the query of {rule.name!r} failed: {error}; tables are requests, dependencies, "
                              "customEvents, customMetrics, traces and exceptions") from None
    columns = [d[0] for d in cursor.description]
    time_column = _column(columns, "timestamp", rule, "each row needs its time")
    rows = pd.DataFrame(cursor.fetchall(), columns=columns)
    frame = pd.DataFrame({"time": _times(rows[time_column], f"the query of {rule.name!r}") if len(rows) else
                          pd.Series([], dtype="datetime64[ns]")})
    if rule.metric_measure_column:
        measure = _column(columns, rule.metric_measure_column, rule, "metric_measure_column")
        values = pd.to_numeric(rows[measure], errors="coerce") if len(rows) else pd.Series([], dtype=float)
    else:
        values = pd.Series(1.0, index=rows.index, dtype=float)
    frame = frame.assign(total=values.to_numpy(float), count=1.0, low=values.to_numpy(float),
                         high=values.to_numpy(float))
    if rule.metric_measure_column and rule.time_aggregation != "Count":
        frame = frame[frame["total"].notna()]
    return frame[(frame["time"] >= low) & (frame["time"] < high)]


def _aggregate(signal: _Signal, ends: np.ndarray, width: int, how: str) -> np.ndarray:
    """The value of each window ``[end - width, end)``."""
    lo = np.searchsorted(signal.times, ends - width, "left")
    hi = np.searchsorted(signal.times, ends, "left")
    if how in ("Minimum", "Maximum"):
        values, pick = (signal.low, np.min) if how == "Minimum" else (signal.high, np.max)
        out = np.full(len(ends), np.nan)
        for k in np.flatnonzero(hi > lo):
            out[k] = pick(values[lo[k]:hi[k]])
        return out
    totals = np.concatenate([[0.0], np.cumsum(signal.total)])
    counts = np.concatenate([[0.0], np.cumsum(signal.count)])
    total, count = totals[hi] - totals[lo], counts[hi] - counts[lo]
    if how == "Total":
        return total
    if how == "Count":
        return count
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)


@dataclass(frozen=True)
class Alert:
    """One alert raised by a rule: when it fired, and when it resolved (None while it still fires).

    Attributes
    ----------
    rule : str
    severity : int
    fired_at : pandas.Timestamp
    resolved_at : pandas.Timestamp or None
        None for an alert still firing at the end, and for every alert of a stateless rule.
    value : float
        The value measured by the check that fired it.
    alert_id : str
    """

    rule: str
    severity: int
    fired_at: pd.Timestamp
    resolved_at: pd.Timestamp | None
    value: float
    alert_id: str

    @property
    def monitor_condition(self) -> str:
        """``"Resolved"`` once resolved, ``"Fired"`` before."""
        return "Fired" if self.resolved_at is None else "Resolved"

    @property
    def duration(self) -> pd.Timedelta | None:
        """How long it was fired (None if it never resolved)."""
        return None if self.resolved_at is None else self.resolved_at - self.fired_at


@dataclass(frozen=True, repr=False)
class Evaluation:
    """The result of checking one rule over a period (see :func:`evaluate`).

    Attributes
    ----------
    rule : Rule
    checks : pandas.DataFrame
        One row per check: ``time``, ``value`` (of the latest window), ``breached`` (the
        condition held), ``firing`` (the alert is fired after this check).
    alerts : tuple of Alert
    notifications : tuple of Notification
        Every Fired and Resolved notification, in time order, as the webhooks received them.
    """

    rule: AlertRule
    checks: pd.DataFrame
    alerts: tuple
    notifications: tuple

    @property
    def fired_at(self) -> pd.Series:
        """The times of the Fired notifications: what :meth:`Scenario.score` takes."""
        times = [note.time for note in self.notifications if note.monitor_condition == "Fired"]
        return pd.Series(times, dtype="datetime64[ns]", name="fired_at")

    def table(self) -> pd.DataFrame:
        """The alerts as a table: rule, severity, fired_at, resolved_at, duration, value."""
        rows = [{"rule": a.rule, "severity": f"Sev{a.severity}", "fired_at": a.fired_at, "resolved_at": a.resolved_at,
                 "duration": a.duration, "value": a.value} for a in self.alerts]
        return pd.DataFrame(rows, columns=["rule", "severity", "fired_at", "resolved_at", "duration", "value"])

    def __repr__(self) -> str:
        checks = self.checks
        span = f"{checks['time'].iloc[0]:%Y-%m-%d %H:%M} to {checks['time'].iloc[-1]:%Y-%m-%d %H:%M}"
        resolved = sum(a.resolved_at is not None for a in self.alerts)
        return (f"<Evaluation of {self.rule.name!r}: {len(checks)} checks from {span}, {len(self.alerts)} alert(s), "
                f"{resolved} resolved, {len(self.notifications)} notification(s)>")


def evaluate(rule: AlertRule, store, *, start=None, end=None, scope: str = LOCAL_SCOPE, deliver_to_webhooks: bool = True
             ) -> Evaluation:
    """Check ``rule`` every ``evaluation_frequency`` from ``start`` to ``end`` over stored telemetry.

    Parameters
    ----------
    rule : MetricRule or LogRule
    store : AppInsightsIngestion or path
        The telemetry tables (an ingestion endpoint, running or stopped, or its SQLite file).
    start, end : time-like, optional
        The simulated period; checks happen at ``start + k * evaluation_frequency`` up to
        ``end``. By default the first and last telemetry times of the rule's data. Times without a
        time zone are UTC, like a scenario's clock.
    scope : str
        The monitored resource named in the notifications (a placeholder App Insights id).
    deliver_to_webhooks : bool, default True
        POST each notification to the webhooks of ``rule.actions`` as it happens.

    Returns
    -------
    Evaluation
        The checks, the alerts and the notifications.

    Raises
    ------
    ValidationError
        If the store is missing, the period holds no check, or a log rule's query fails or lacks
        its ``timestamp`` (or measure) column.
    ServerError
        If a webhook does not accept a notification.

    Examples
    --------
    >>> from mlcheckup.appinsights import AppInsightsIngestion
    >>> from mlcheckup.alerts import MetricRule
    >>> import requests
    >>> rows = [{"time": f"2024-03-04T10:{m:02d}:00Z", "data": {"baseType": "RequestData", "baseData": {
    ...     "name": "POST /score", "duration": f"00:00:00.{(300 if 20 <= m < 30 else 40):03d}",
    ...     "success": True, "responseCode": "200"}}} for m in range(60)]
    >>> slow = MetricRule(name="slow-scoring", metric_name="requests/duration", time_aggregation="Average",
    ...                   operator="GreaterThan", threshold=100, window_size="PT5M", evaluation_frequency="PT5M")
    >>> with AppInsightsIngestion() as store:
    ...     answer = requests.post(store.url + "/v2.1/track", json=rows, timeout=5)
    ...     result = evaluate(slow, store, start="2024-03-04 10:00", end="2024-03-04 11:00")
    >>> for note in result.notifications:
    ...     print(note)
    Fired     Sev3 slow-scoring at 2024-03-04 10:25 UTC: Average requests/duration over PT5M = 300 (> 100)
    Resolved  Sev3 slow-scoring at 2024-03-04 10:45 UTC: Average requests/duration over PT5M = 40 (no longer > 100)

    Taught in lesson 05, §5.
    """
    rule = as_rule(rule)
    path = _path(store)
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        reader = _metric_frame if rule.signal_type == "Metric" else _log_frame
        if start is None or end is None:
            everything = reader(rule, db, pd.Timestamp.min + pd.Timedelta(days=1), pd.Timestamp.max)
            if everything.empty:
                raise ValidationError(f"the store holds no data for {rule.name!r}; pass start= and end=")
            start = everything["time"].min().floor(rule.evaluation_frequency) if start is None else start
            end = everything["time"].max() if end is None else end
        start, end = _utc(start, "start"), _utc(end, "end")
        times = pd.date_range(start + rule.evaluation_frequency, end, freq=rule.evaluation_frequency, unit="ns")
        if len(times) == 0:
            raise ValidationError(f"no check fits between start={start} and end={end}: the first check is one "
                                  f"evaluation_frequency ({rule.evaluation_frequency}) after start")
        signal = _Signal.from_frame(reader(rule, db, times[0] - rule.lookback, times[-1]))
    ends = times.asi8
    width = rule.window_size.as_unit("ns").value
    value = _aggregate(signal, ends, width, rule.time_aggregation)
    breached = np.array([rule.breached(v) for v in value])
    if rule.signal_type == "Log" and rule.number_of_evaluation_periods > 1:
        failing = sum(np.array([rule.breached(v) for v in _aggregate(signal, ends - j * width, width,
                                                                       rule.time_aggregation)])
                      for j in range(rule.number_of_evaluation_periods))
        breached = failing >= rule.min_failing_periods_to_alert
    return _run_states(rule, times, value, breached, scope, deliver_to_webhooks)


def _run_states(rule: AlertRule, times: pd.DatetimeIndex, value: np.ndarray, breached: np.ndarray, scope: str,
                send: bool) -> Evaluation:
    subscription = scope.split("/")[2] if scope.count("/") >= 2 else "local"
    alerts, notes, firing_after = [], [], np.zeros(len(times), dtype=bool)
    fired_k, misses = None, 0

    def note(condition, k, fired):
        notes.append(Notification(payload(rule, scope=scope, monitor_condition=condition, fired_at=times[fired],
                                          resolved_at=times[k] if condition == "Resolved" else None, value=value[k],
                                          window_end=times[k])))

    def alert(fired, resolved):
        alerts.append(Alert(rule.name, rule.severity, times[fired], None if resolved is None else times[resolved],
                            None if np.isnan(value[fired]) else float(value[fired]),
                            alert_id(rule, times[fired], subscription)))

    for k in range(len(times)):
        if breached[k]:
            misses = 0
            if not rule.auto_mitigate:
                note("Fired", k, k)
                alert(k, None)
            elif fired_k is None:
                fired_k = k
                note("Fired", k, k)
        elif fired_k is not None:
            misses += 1
            if misses >= rule.resolve_after:
                note("Resolved", k, fired_k)
                alert(fired_k, k)
                fired_k, misses = None, 0
        firing_after[k] = fired_k is not None if rule.auto_mitigate else breached[k]
    if fired_k is not None:
        alert(fired_k, None)
    if send and rule.actions:
        for item in notes:
            deliver(item, rule.actions)
    checks = pd.DataFrame({"time": times, "value": value, "breached": breached, "firing": firing_after})
    alerts.sort(key=lambda a: a.fired_at)
    return Evaluation(rule, checks, tuple(alerts), tuple(notes))
