"""Service level objectives of an endpoint: SLIs per minute, error budgets and burn-rate alerts.

An SLO says which share of requests must be *good* over a compliance window (30 days, say):
availability (not refused, not failed: HTTP 429, 408, 424 (the model failed) and 5xx are bad;
another 4xx is the caller's error and counts as good) and latency (answered within ``latency_ms``). The
error budget is the bad requests the SLO allows, ``(1 - objective) × requests``; the *burn
rate* of a window is its bad share divided by ``1 - objective``: at burn rate 1 the budget
lasts exactly the compliance window, at 14.4 a 30-day budget loses 2 % in one hour.

Multi-window burn-rate alerts (Google SRE workbook, *Alerting on SLOs*,
https://sre.google/workbook/alerting-on-slos/) fire when the burn rate is above a factor over a
long window *and* over a short one (1/12 of it): the long window makes the alert significant,
the short one makes it reset soon after the problem ends. :data:`WORKBOOK_ALERTS` holds the
workbook's two paging pairs (1 h & 5 min at 14.4; 6 h & 30 min at 6) and its ticket (3 d & 6 h
at 1). Scored with :func:`mlcheckup.scenarios.score_alerts` on :func:`scenario`, a few days of
an endpoint with a latency regression, bursts of 429s and short blips of 503s that are not incidents.

On Azure, a burn-rate page is a **log search alert** (``ScheduledQueryRuleResource``) whose KQL
runs over ``AmlOnlineEndpointTrafficLog`` once a minute: :meth:`BurnRateAlert.kql` writes that
query, :meth:`BurnRateAlert.log_rule` the rule (an :class:`mlcheckup.alerts.LogRule`, so
``alerts.to_azure`` builds the resource offline and Azure's limits apply: a window of at most two
days, so the workbook's 3-day ticket does not fit), and :func:`log_alert_times` runs the query here
with :func:`mlcheckup.kql.query` at each minute, as Azure would, on the rows of its window.

Direction: ``burn_rate`` is better lower (0 is best, 1 spends the budget exactly).

Taught in lesson 03, §3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _validate, alerts, kql
from ._progress import finish, progress
from .autoscale import SERVICE_MS, load_trace, queue_metrics
from .errors import ValidationError
from .scenarios import AlertScore, score_alerts

__all__ = ["LOG_ANALYTICS_WORKSPACE_ID", "WORKBOOK_ALERTS", "BurnRateAlert", "SloScenario", "burn_rate",
           "error_budget", "fire_times", "log_alert_times", "per_minute", "scenario"]

#: Placeholder id of the Log Analytics workspace the endpoint's diagnostic settings send its logs to
#: (the scope of a log search alert over ``AmlOnlineEndpointTrafficLog``).
LOG_ANALYTICS_WORKSPACE_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlcheckup"
                              "/providers/Microsoft.OperationalInsights/workspaces/law-mlcheckup")

_BAD_CODES = (408, 424, 429)  # timeout, model error (the model's 5xx, as Azure's front end answers it), throttled


def per_minute(log: pd.DataFrame, latency_ms: float, *, time_column: str = "TimeGenerated") -> pd.DataFrame:
    """Per-minute SLI counts from ``AmlOnlineEndpointTrafficLog`` rows.

    Parameters
    ----------
    log : pandas.DataFrame
        Rows with ``TimeGenerated``, ``ResponseCode`` and ``TotalDurationMs``.
    latency_ms : float
        The latency SLO's threshold: a request answered within it (and not bad) is fast.

    Returns
    -------
    pandas.DataFrame
        Indexed by minute (every minute from the first to the last, empty ones at 0):
        ``requests``, ``errors`` (429, 408, 424, 5xx) and ``slow`` (the other requests slower than
        ``latency_ms``).
    """
    missing = sorted({time_column, "ResponseCode", "TotalDurationMs"} - set(log.columns))
    if missing:
        raise ValidationError(f"the traffic log lacks columns {missing}; pass AmlOnlineEndpointTrafficLog rows")
    latency_ms = _validate.number("latency_ms", latency_ms, 0)
    code = pd.to_numeric(log["ResponseCode"], errors="coerce")
    error = code.isin(_BAD_CODES) | (code >= 500)
    slow = ~error & (pd.to_numeric(log["TotalDurationMs"], errors="coerce") > latency_ms)
    frame = pd.DataFrame({"requests": 1, "errors": error.astype(int), "slow": slow.astype(int)})
    frame.index = pd.to_datetime(log[time_column]).dt.floor("min")
    return frame.groupby(level=0).sum().asfreq("min", fill_value=0)


def error_budget(bad, requests, objective: float) -> dict:
    """How much of the error budget a period spent.

    Parameters
    ----------
    bad, requests : array-like or int
        Bad requests and all requests (summed over the period).
    objective : float
        The SLO, e.g. 0.999.

    Returns
    -------
    dict
        ``allowed`` bad requests and ``spent`` (counts), ``left_share`` (the *share* of the
        budget left, not a count: 1 is untouched, 0 spent exactly, negative when the SLO is broken)
        and ``sli`` (good share).

    Examples
    --------
    >>> error_budget(bad=30, requests=100_000, objective=0.999)
    {'allowed': 100.0, 'spent': 30, 'left_share': 0.7, 'sli': 0.9997}
    """
    _objective(objective)
    bad, total = int(np.sum(bad)), int(np.sum(requests))
    allowed = (1.0 - objective) * total
    left = 1.0 - bad / allowed if allowed > 0 else 1.0
    return {"allowed": round(allowed, 6), "spent": bad, "left_share": round(left, 6),
            "sli": round(1.0 - bad / total, 6) if total else 1.0}


def _objective(objective: float) -> None:
    if not 0.0 < _validate.number("objective", objective, 0, 1) < 1.0:
        raise ValidationError(f"objective must be a share strictly between 0 and 1, such as 0.999 (got {objective!r})")


def burn_rate(bad: pd.Series, requests: pd.Series, objective: float, window) -> pd.Series:
    """Burn rate over the trailing ``window`` at each minute: bad share of the window / (1 - objective).

    The bad share is the window's bad requests over its requests (sums first, then the ratio;
    the mean of per-minute ratios would weigh a quiet minute like a busy one). A window with no
    request burns 0.

    Examples
    --------
    >>> minutes = pd.date_range("2024-03-04", periods=4, freq="min")
    >>> bad, total = pd.Series([0, 1, 0, 9], minutes), pd.Series([100, 100, 10, 90], minutes)
    >>> burn_rate(bad, total, 0.99, "2min").round(2).tolist()
    [0.0, 0.5, 0.91, 9.0]
    """
    _objective(objective)
    span = _validate.duration(window, "window")
    bad_sum = bad.rolling(span).sum()
    total_sum = requests.rolling(span).sum()
    share = (bad_sum / total_sum.where(total_sum > 0)).fillna(0.0)
    return share / (1.0 - objective)


@dataclass(frozen=True)
class BurnRateAlert:
    """Fire when the burn rate is above ``factor`` over ``long`` AND over ``short``.

    Parameters
    ----------
    long, short : duration
        The two windows (``"1h"``, ``"PT5M"``...); the workbook uses ``short = long / 12``.
    factor : float
        The burn rate both must exceed.
    """

    long: str
    short: str
    factor: float

    def firing(self, bad: pd.Series, requests: pd.Series, objective: float) -> pd.Series:
        """Per minute, whether the alert condition holds."""
        if not _validate.number("factor", self.factor, 0) > 0:
            raise ValidationError(f"factor must be > 0 (got {self.factor!r}); the workbook pages at 14.4 and 6")
        if _validate.duration(self.short, "short") > _validate.duration(self.long, "long"):
            raise ValidationError(f"short window {self.short!r} is longer than long window {self.long!r}; swap them")
        return ((burn_rate(bad, requests, objective, self.long) > self.factor)
                & (burn_rate(bad, requests, objective, self.short) > self.factor))

    def kql(self, objective: float) -> str:
        """The availability condition as the KQL of a log search alert over ``AmlOnlineEndpointTrafficLog``.

        The rule's window (``window_size``, the long window) gives the query its rows; the
        short window is the last ``short`` of them (``ago()``). One row comes back when both burn
        rates are above ``factor``, none otherwise, so the rule fires on ``Count > 0``.

        Examples
        --------
        >>> print(BurnRateAlert("1h", "5min", 14.4).kql(0.999).splitlines()[0])
        let objective = 0.999;
        """
        _objective(objective)
        short = _validate.duration(self.short, "short")
        minutes = short / pd.Timedelta(minutes=1)
        if minutes != int(minutes):
            raise ValidationError(f"short window {self.short!r} is not a whole number of minutes; Azure's windows are")
        return (f"let objective = {objective!r};\n"
                f"let factor = {float(self.factor)!r};\n"
                "AmlOnlineEndpointTrafficLog\n"
                "| extend code = toint(ResponseCode)\n"
                f"| extend bad = code in (408, 424, 429) or code >= 500, recent = TimeGenerated >= ago({int(minutes)}m)\n"
                "| summarize requests = count(), errors = countif(bad), recent_requests = countif(recent),\n"
                "            recent_errors = countif(bad and recent)\n"
                "| extend long_burn = todouble(errors) / requests / (1 - objective),\n"
                "         short_burn = todouble(recent_errors) / recent_requests / (1 - objective)\n"
                "| where long_burn > factor and short_burn > factor")

    def log_rule(self, objective: float, *, name: str | None = None, severity: int = 1,
                 evaluation_frequency="PT1M", actions=()) -> alerts.LogRule:
        """This alert as a log search alert rule: :meth:`kql`, over the long window, firing on ``Count > 0``.

        ``alerts.to_azure(rule, slo.LOG_ANALYTICS_WORKSPACE_ID, location=...)`` builds the
        ``ScheduledQueryRuleResource`` offline. Azure's limits apply (``LogRule`` checks them): a
        window from 1 minute to 2 days, checked every 1 minute to 1 day.

        Raises
        ------
        ValidationError
            The long window is over 2 days (the workbook's 3-day ticket: use a daily report, or
            a shorter window with a lower factor), or a value Azure refuses.
        """
        text = self.kql(objective)
        return alerts.LogRule(
            name=name or f"burn-{self.long}-{self.short}-{self.factor:g}".replace(".", "_"), kql=text,
            time_aggregation="Count", operator="GreaterThan", threshold=0,
            window_size=_validate.duration(self.long, "long"), evaluation_frequency=evaluation_frequency,
            severity=severity, actions=actions, auto_mitigate=True,
            description=f"availability {objective:.3%}: burn rate above {self.factor:g} over {self.long} and {self.short}")


#: The SRE workbook's multi-window alerts for a 30-day SLO: two pages and a ticket.
WORKBOOK_ALERTS = (BurnRateAlert("1h", "5min", 14.4), BurnRateAlert("6h", "30min", 6.0),
                   BurnRateAlert("3D", "6h", 1.0))


def fire_times(alerts, bad: pd.Series, requests: pd.Series, objective: float) -> list[pd.Timestamp]:
    """When a set of alerts starts firing: the first minute of each episode of any of them.

    Returns
    -------
    list of pandas.Timestamp
        Minutes where the OR of the alerts turns from quiet to firing.
    """
    alerts = [alerts] if isinstance(alerts, BurnRateAlert) else list(alerts)
    if not alerts or not all(isinstance(a, BurnRateAlert) for a in alerts):
        raise ValidationError(f"pass one or more slo.BurnRateAlert objects (got {alerts!r})")
    on = np.zeros(len(bad), dtype=bool)
    for alert in alerts:
        on |= alert.firing(bad, requests, objective).to_numpy()
    starts = on & ~np.concatenate([[False], on[:-1]])
    return list(bad.index[starts])


def log_alert_times(alert: BurnRateAlert, objective: float, log: pd.DataFrame, start, end) -> pd.DatetimeIndex:
    """Minutes where the log search alert of ``alert`` finds its condition, its KQL run here at each minute.

    At each minute ``m`` from ``start`` to ``end`` (excluded), the query of
    :meth:`BurnRateAlert.kql` runs with :func:`mlcheckup.kql.query` at ``now = m + 1 min`` on the
    rows of ``log`` in the rule's window ``[now - long, now)``, as Azure runs it once a minute.
    The minutes it returns a row are those where ``alert.firing`` holds on :func:`per_minute`.

    Parameters
    ----------
    alert : BurnRateAlert
    objective : float
    log : pandas.DataFrame
        ``AmlOnlineEndpointTrafficLog`` rows (``TimeGenerated``, ``ResponseCode``).
    start, end : time
        The minutes to evaluate (one KQL query each: keep it to hours, not days).

    Returns
    -------
    pandas.DatetimeIndex
        The minutes (UTC) where the query returned a row.
    """
    if not isinstance(alert, BurnRateAlert):
        raise ValidationError(f"alert must be a slo.BurnRateAlert (got {type(alert).__name__})")
    text, long = alert.kql(objective), _validate.duration(alert.long, "long")
    minutes = pd.date_range(pd.Timestamp(start).floor("min"), pd.Timestamp(end), freq="min", inclusive="left")
    if len(minutes) > 24 * 60:
        raise ValidationError(f"log_alert_times runs one query per minute: {len(minutes)} minutes is too many "
                              "(at most a day); narrow start and end")
    missing = sorted({"TimeGenerated", "ResponseCode"} - set(log.columns))
    if missing:
        raise ValidationError(f"the traffic log lacks columns {missing}; pass AmlOnlineEndpointTrafficLog rows")
    times = pd.to_datetime(log["TimeGenerated"], utc=True)
    log = pd.DataFrame({"TimeGenerated": times, "ResponseCode": log["ResponseCode"]})  # what the query reads
    fired = []
    with progress(len(minutes), "log alert checks", unit="check") as bar:
        for minute in minutes.tz_localize("UTC") if minutes.tz is None else minutes:
            now = minute + pd.Timedelta(minutes=1)
            rows = log[(times >= now - long) & (times < now)]
            if len(rows) and len(kql.query(text, {"AmlOnlineEndpointTrafficLog": rows}, now=now)):
                fired.append(minute)
            bar.update()
        finish(bar)
    return pd.DatetimeIndex(fired, tz="UTC")


@dataclass(frozen=True)
class SloScenario:
    """Minutes of an endpoint's SLI counts with known incidents (an answer key to score alerts).

    Attributes
    ----------
    minutes : pandas.DataFrame
        Per minute: ``requests``, ``errors`` (429 bursts and rare 5xx), ``slow`` (over ``latency_ms``).
    incidents : pandas.DataFrame
        ``incident, shift, pattern, start, end, description`` (shift ``latency`` or ``errors``).
    latency_ms : float
        The latency SLO's threshold the ``slow`` column counts against.
    """

    minutes: pd.DataFrame
    incidents: pd.DataFrame
    latency_ms: float

    @property
    def start(self) -> pd.Timestamp:
        return self.minutes.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.minutes.index[-1] + pd.Timedelta(minutes=1)

    def alert_times(self, alerts, availability: float = 0.999, latency: float = 0.99) -> list[pd.Timestamp]:
        """When ``alerts`` start firing on either SLO (errors against ``availability``, slow against ``latency``)."""
        minutes = self.minutes
        return sorted(fire_times(alerts, minutes["errors"], minutes["requests"], availability)
                      + fire_times(alerts, minutes["slow"], minutes["requests"], latency))

    def score(self, fired_at, grace="1h") -> AlertScore:
        """Detection delay, misses and false alarms of these alert times (``scenarios.score_alerts``)."""
        return score_alerts(self.incidents, list(fired_at), period=(self.start, self.end), grace=pd.Timedelta(grace))


def scenario(seed: int, *, days: int = 4, instances: int = 3, latency_ms: float = 25.0, severity: float = 1.8,
             regression_hours: float = 6, bursts: int = 2, blips: int = 4, peak_rpm: float = 200_000,
             max_concurrent: int = 4) -> SloScenario:
    """A seeded few days of an endpoint at fixed capacity, with a latency regression, 429 bursts and blips.

    The load is :func:`~mlcheckup.autoscale.load_trace`; each minute's 429 share and slow share
    come from :func:`~mlcheckup.autoscale.queue_metrics` (``instances`` instances,
    ``max_concurrent`` requests scored at once on each, the server's measured service time), and counts are drawn from
    them. The regression multiplies the service time by ``severity`` for ``regression_hours``; it
    is rolled out between 11:00 and 14:00, when the load is high enough for the slower model to
    meet the front end's limit (rolled out at night, it would burn no budget until the load rose).
    Each burst quadruples the load for 10 to 25 minutes. Each *blip* is 2 or 3 minutes of 503s on
    5 % of the requests (an instance restarting): over before anyone could act, so it is not an
    incident, and a page for it is a false alarm. A 5xx rate of 1 in 20,000 runs throughout.

    Examples
    --------
    >>> case = scenario(1)
    >>> case.incidents["shift"].tolist()
    ['latency', 'errors', 'errors']
    """
    seed, days = _validate.whole("seed", seed, 0), _validate.whole("days", days, 2, 60)
    instances, bursts = _validate.whole("instances", instances, 1), _validate.whole("bursts", bursts, 0, 5)
    blips = _validate.whole("blips", blips, 0, 20)
    regression_hours = _validate.number("regression_hours", regression_hours, 1 / 60, 10)
    severity = _validate.number("severity", severity, 0)
    rng = np.random.default_rng([seed, 3])
    load = load_trace(seed, peak_rpm=peak_rpm, night_rpm=peak_rpm / 10, days=days)
    index = load.index
    requests = load.to_numpy().copy()
    service = np.full(len(index), SERVICE_MS)
    day = rng.integers(1, days)                                  # never on the first day (a quiet baseline)
    onset = int(day * 1440 + rng.integers(11 * 60, 14 * 60))
    length = int(regression_hours * 60)
    service[onset:onset + length] *= severity
    incidents = [("latency", "sudden", onset, onset + length,
                  f"a new model version scores {severity:g}x slower for {regression_hours:g} h")]
    for _ in range(bursts):
        begin = int(rng.integers(1, days) * 1440 + rng.integers(10 * 60, 17 * 60))
        while any(begin < end + 120 and start < begin + 145 for _, _, start, end, _ in incidents):
            begin = int(rng.integers(1, days) * 1440 + rng.integers(10 * 60, 17 * 60))
        span = int(rng.integers(10, 26))
        requests[begin:begin + span] = rng.poisson(requests[begin:begin + span] * 4.0)
        incidents.append(("errors", "sudden", begin, begin + span, f"a client retries in a loop: 4x load for {span} min"))
    rates = requests / 60.0 / instances
    shares = pd.DataFrame(index=range(len(index)), columns=["rejected_share", "over_share"], dtype=float)
    for value in np.unique(service):
        rows = np.flatnonzero(service == value)
        metrics = queue_metrics(rates[rows], service_ms=value, max_concurrent=max_concurrent, over_ms=latency_ms,
                                percentiles=False)
        shares.loc[rows, ["rejected_share", "over_share"]] = metrics[["rejected_share", "over_share"]].to_numpy()
    rejected = rng.binomial(requests, shares["rejected_share"].to_numpy())
    failure = np.full(len(index), 5e-5)
    for _ in range(blips):
        begin = int(rng.integers(0, days) * 1440 + rng.integers(6 * 60, 22 * 60))
        failure[begin:begin + int(rng.integers(2, 4))] = 0.05
    failed = rng.binomial(requests - rejected, failure)
    slow = rng.binomial(requests - rejected - failed, shares["over_share"].to_numpy())
    minutes = pd.DataFrame({"requests": requests, "errors": rejected + failed, "slow": slow}, index=index)
    table = pd.DataFrame(sorted(incidents, key=lambda item: item[2]),
                         columns=["shift", "pattern", "start", "end", "description"])
    table["start"], table["end"] = index[table["start"]], index[table["end"]]
    table.insert(0, "incident", range(1, len(table) + 1))
    return SloScenario(minutes=minutes, incidents=table, latency_ms=latency_ms)
