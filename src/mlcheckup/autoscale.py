"""Autoscale for an online deployment: Azure's setting, built offline, and replayed on a day of load.

An Azure Monitor autoscale setting (``azure.mgmt.monitor.models.AutoscaleSettingResource``) is
what scales a managed online deployment. :func:`autoscale_setting` and :func:`scale_rule` build
that real SDK object (``enabled=True``, capacities as strings), :func:`check_setting` refuses
what Azure would refuse or what cannot be meant (a scale-in rule that *increases*, as in the
Azure ML doc's own snippet; minimum above maximum; no cooldown), and :func:`simulate` replays
the same object, minute by minute, on a load trace (requests per minute, :func:`load_trace`).

Autoscale semantics replayed (Azure Monitor, *Understand autoscale settings*):

* the profile's ``minimum``/``maximum``/``default`` bound the instance count; the replay starts
  at ``default``;
* each rule aggregates its metric (1-minute grain, ``statistic`` across instances) over its
  ``time_window`` with ``time_aggregation`` and compares it to ``threshold`` with ``operator``;
* the engine decides once a minute: it scales **out** if ANY scale-out rule fires (to the largest
  count proposed) and **in** only if ALL scale-in rules fire (to the largest count proposed);
* before scaling in it estimates the per-instance metrics of the scale-out rules after the
  scale-in (value × current / new); if a scale-out rule would then fire, it does not scale in
  (Azure's flapping guard);
* after an action, no other action until the action's ``cooldown`` has passed;
* a new instance is billed at once but serves only after ``provision_minutes``; a removed
  instance stops at once;
* with ``enabled=False`` (the SDK's default) nothing scales: the deployment stays at ``default``.

The queueing model (documented, not Azure's): each ready instance is an M/M/c/K queue with
``c = workers`` requests scored at once (default ``max_concurrent``, Azure's
``max_concurrent_requests_per_instance``) and ``K = 2 × max_concurrent`` requests in the system,
the most Azure's front end lets through before it answers HTTP 429 (Learn, *Troubleshooting
online endpoints*, "429: Too many pending requests"); Poisson arrivals split evenly over the
ready instances, exponential service times of mean ``service_ms``. By default ``service_ms`` is the real inference server's measured p50 on the
course's digits model (:data:`SERVICE_MS`); pass the value you measure.

Metrics the rules may use (names as in Azure Monitor): ``RequestsPerMinute``,
``RequestLatency_P50``/``P90``/``P95``/``P99`` (ms, accepted requests), ``CpuUtilizationPercentage``
(per instance: busy workers / workers) and ``DeploymentCapacity`` (ready instances).

Taught in lesson 03, §5.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import gammainc, gammaincc, gammaln

from . import _validate
from .alerts import PLACEHOLDER_SUBSCRIPTION
from .cost import price_per_hour
from .errors import ValidationError

if TYPE_CHECKING:  # the SDK loads only when a setting is built or checked (the toolkit's rule)
    from azure.mgmt.monitor.models import AutoscaleProfile, AutoscaleSettingResource, ScaleRule

__all__ = [
    "DEPLOYMENT_ID", "ENDPOINT_ID", "METRICS", "SERVICE_MS", "Replay", "autoscale_setting", "check_setting",
    "load_trace", "queue_metrics", "scale_rule", "simulate",
]

#: Mean service time (ms) of one request on the real inference server with the digits model
#: (p50 of 200 sequential requests, 1 worker; shared/reference/local-runtime.md §1).
SERVICE_MS = 1.78
ENDPOINT_ID = (f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/rg/providers/"
               "Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/digits-endpoint")
DEPLOYMENT_ID = ENDPOINT_ID + "/deployments/blue"
#: Metric name -> True if it is a per-instance value (a deployment metric), False if endpoint-wide.
METRICS = {"RequestsPerMinute": False, "RequestLatency_P50": False, "RequestLatency_P90": False,
           "RequestLatency_P95": False, "RequestLatency_P99": False, "CpuUtilizationPercentage": True,
           "DeploymentCapacity": False}
_QUANTILES = {"RequestLatency_P50": 0.50, "RequestLatency_P90": 0.90, "RequestLatency_P95": 0.95,
              "RequestLatency_P99": 0.99}
_UP, _DOWN = ("GreaterThan", "GreaterThanOrEqual"), ("LessThan", "LessThanOrEqual")
_COMPARE = {"GreaterThan": np.greater, "GreaterThanOrEqual": np.greater_equal, "LessThan": np.less,
            "LessThanOrEqual": np.less_equal, "Equals": np.equal, "NotEquals": np.not_equal}
_AGGREGATE = {"Average": np.mean, "Minimum": np.min, "Maximum": np.max, "Total": np.sum,
              "Count": len, "Last": lambda values: values[-1]}


# --- building the Azure object -------------------------------------------------------------------
def scale_rule(metric: str, operator: str, threshold: float, direction: str, *, change: int = 1,
               cooldown="PT5M", time_window="PT5M", time_aggregation: str = "Average",
               statistic: str = "Average", time_grain="PT1M", change_type: str = "ChangeCount",
               resource_uri: str | None = None) -> ScaleRule:
    """One autoscale rule, as the SDK's ``ScaleRule`` (a ``MetricTrigger`` and a ``ScaleAction``).

    Parameters
    ----------
    metric : str
        An Azure Monitor metric name, e.g. ``"CpuUtilizationPercentage"`` (a key of :data:`METRICS`).
    operator : str
        ``GreaterThan``, ``GreaterThanOrEqual``, ``LessThan``, ``LessThanOrEqual``, ``Equals``, ``NotEquals``.
    threshold : float
        Compared with the aggregated metric.
    direction : str
        ``"Increase"`` (scale out) or ``"Decrease"`` (scale in).
    change : int
        How many instances to add or remove (``ChangeCount``), a percentage
        (``PercentChangeCount``) or the count to set (``ExactCount``).
    cooldown, time_window, time_grain : duration
        ISO-8601 text (``"PT5M"``), pandas text or a timedelta.
    resource_uri : str, optional
        The metric's resource; default the placeholder deployment (per-instance metrics) or
        endpoint (endpoint metrics) id.

    Returns
    -------
    azure.mgmt.monitor.models.ScaleRule
    """
    from azure.mgmt.monitor.models import MetricTrigger, ScaleAction, ScaleRule

    if resource_uri is None:
        resource_uri = DEPLOYMENT_ID if METRICS.get(metric) or metric == "DeploymentCapacity" else ENDPOINT_ID
    trigger = MetricTrigger(metric_name=metric, metric_resource_uri=resource_uri,
                            time_grain=_validate.duration(time_grain, "time_grain").to_pytimedelta(),
                            statistic=statistic, time_window=_validate.duration(time_window, "time_window").to_pytimedelta(),
                            time_aggregation=time_aggregation, operator=operator,
                            threshold=_validate.number("threshold", threshold))
    cool = None if cooldown is None else _validate.duration(cooldown, "cooldown").to_pytimedelta()
    change = _validate.whole("change", change, 0)
    return ScaleRule(metric_trigger=trigger,
                     scale_action=ScaleAction(direction=direction, type=change_type, value=str(change), cooldown=cool))


def autoscale_setting(*, minimum: int, maximum: int, default: int, rules: list[ScaleRule],
                      name: str = "digits-autoscale", location: str = "eastus",
                      target_resource_uri: str = DEPLOYMENT_ID) -> AutoscaleSettingResource:
    """An ``AutoscaleSettingResource`` for a deployment, checked by :func:`check_setting`.

    ``enabled=True`` is set (the SDK's default is ``False``, which creates a setting that never
    scales) and the capacities are written as strings, as Azure's REST API has them.

    Raises
    ------
    ValidationError
        What :func:`check_setting` refuses.

    Examples
    --------
    >>> setting = autoscale_setting(minimum=1, maximum=4, default=2, rules=[
    ...     scale_rule("CpuUtilizationPercentage", "GreaterThan", 70, "Increase"),
    ...     scale_rule("CpuUtilizationPercentage", "LessThan", 30, "Decrease")])
    >>> body = setting.serialize()
    >>> body["properties"]["enabled"], body["properties"]["profiles"][0]["capacity"]
    (True, {'minimum': '1', 'maximum': '4', 'default': '2'})
    """
    from azure.mgmt.monitor.models import AutoscaleProfile, AutoscaleSettingResource, ScaleCapacity

    capacity = ScaleCapacity(minimum=str(minimum), maximum=str(maximum), default=str(default))
    setting = AutoscaleSettingResource(
        location=location, enabled=True, name_properties_name=name, target_resource_uri=target_resource_uri,
        profiles=[AutoscaleProfile(name="default", capacity=capacity, rules=list(rules))])
    check_setting(setting)
    return setting


# --- checking it ---------------------------------------------------------------------------------
def _describe(index: int, rule: ScaleRule) -> str:
    trigger, action = rule.metric_trigger, rule.scale_action
    return (f"rule {index} ({getattr(trigger, 'metric_name', '?')} {getattr(trigger, 'operator', '?')} "
            f"{getattr(trigger, 'threshold', '?')} -> {getattr(action, 'direction', '?')} "
            f"{getattr(action, 'value', '?')})")


def _count(value, what: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number.is_integer() if math.isfinite(number) else True:
        raise ValidationError(f"{what} must be a whole number of instances, as a string such as '2' (got {value!r})")
    return int(number)


def _profile(setting: AutoscaleSettingResource) -> AutoscaleProfile:
    from azure.mgmt.monitor.models import AutoscaleSettingResource

    if not isinstance(setting, AutoscaleSettingResource):
        raise ValidationError("expected an azure.mgmt.monitor.models.AutoscaleSettingResource "
                              f"(got {type(setting).__name__}); build one with autoscale.autoscale_setting(...)")
    plain = [p for p in setting.profiles or [] if p.recurrence is None and p.fixed_date is None]
    if len(plain) != 1:
        raise ValidationError(f"the setting needs exactly one profile without a schedule (got {len(plain)} of "
                              f"{len(setting.profiles or [])}); scheduled profiles are not replayed here")
    return plain[0]


def check_setting(setting: AutoscaleSettingResource) -> None:
    """Refuse a setting Azure would refuse, or that cannot do what its author meant.

    Raises
    ------
    ValidationError
        Naming the profile or rule and how to fix it: minimum above maximum, default outside
        them, minimum below 1 (a managed online deployment keeps at least one instance), more
        than 10 rules, a scale-in rule with ``Increase`` (or a scale-out rule with ``Decrease``),
        a missing or sub-minute cooldown, a time window outside 5 minutes..12 hours, a grain
        other than 1 minute, an unknown metric, operator, aggregation or change type.
    """
    profile = _profile(setting)
    capacity = profile.capacity
    if capacity is None:
        raise ValidationError(f"profile {profile.name!r} has no capacity; pass ScaleCapacity(minimum=, maximum=, default=)")
    low = _count(capacity.minimum, "capacity minimum")
    high = _count(capacity.maximum, "capacity maximum")
    start = _count(capacity.default, "capacity default")
    if low > high:
        raise ValidationError(f"profile {profile.name!r}: minimum {low} is above maximum {high}; swap them")
    if low < 1:
        raise ValidationError(f"profile {profile.name!r}: minimum {low} is below 1; a managed online deployment "
                              "cannot scale to zero instances, use minimum='1'")
    if not low <= start <= high:
        raise ValidationError(f"profile {profile.name!r}: default {start} is outside minimum {low}..maximum {high}; "
                              "autoscale falls back to the default when metrics are missing, so keep it inside")
    rules = profile.rules or []
    if len(rules) > 10:
        raise ValidationError(f"profile {profile.name!r} has {len(rules)} rules; Azure accepts at most 10 per profile")
    for index, rule in enumerate(rules, start=1):
        _check_rule(index, rule)


def _check_rule(index: int, rule: ScaleRule) -> None:
    name = _describe(index, rule)
    trigger, action = rule.metric_trigger, rule.scale_action
    if trigger is None or action is None:
        raise ValidationError(f"{name} needs both a metric_trigger and a scale_action; build it with scale_rule(...)")
    if trigger.metric_name not in METRICS:
        raise ValidationError(f"{name}: metric {trigger.metric_name!r} is not replayed here; use one of {list(METRICS)}")
    checks = [("operator", trigger.operator, list(_COMPARE)), ("time_aggregation", trigger.time_aggregation, list(_AGGREGATE)),
              ("statistic", trigger.statistic, ["Average", "Min", "Max", "Sum", "Count"]),
              ("direction", action.direction, ["Increase", "Decrease"]),
              ("type", action.type, ["ChangeCount", "PercentChangeCount", "ExactCount"])]
    for what, value, allowed in checks:
        if value not in allowed:
            raise ValidationError(f"{name}: {what} must be one of {allowed} (got {value!r})")
    if action.direction == "Increase" and trigger.operator in _DOWN:
        raise ValidationError(f"{name} fires when {trigger.metric_name} is low but adds instances: a scale-in rule "
                              "needs direction='Decrease' (the Azure ML autoscale doc's snippet has this bug)")
    if action.direction == "Decrease" and trigger.operator in _UP:
        raise ValidationError(f"{name} fires when {trigger.metric_name} is high but removes instances: "
                              "a scale-out rule needs direction='Increase'")
    # bounds from azure-mgmt-monitor 7.0.0's ScaleAction and MetricTrigger docs
    if action.cooldown is None or not dt.timedelta(minutes=1) <= action.cooldown <= dt.timedelta(weeks=1):
        raise ValidationError(f"{name} has cooldown {action.cooldown!r}; Azure requires one from 1 minute to 1 week "
                              "(e.g. cooldown='PT5M'), without it the rule cannot be created")
    if trigger.time_grain != dt.timedelta(minutes=1):
        raise ValidationError(f"{name}: time_grain {trigger.time_grain!r} is not replayed here; use 'PT1M', "
                              "the grain of the endpoint metrics")
    if not dt.timedelta(minutes=5) <= (trigger.time_window or dt.timedelta(0)) <= dt.timedelta(hours=12):
        raise ValidationError(f"{name}: time_window {trigger.time_window!r} must be between 5 minutes and 12 hours "
                              "(e.g. 'PT10M')")
    _count(action.value, f"{name}: value")


# --- the queueing model --------------------------------------------------------------------------
def queue_metrics(arrivals_per_s, *, service_ms: float = SERVICE_MS, workers: int | None = None,
                  max_concurrent: int = 1, over_ms: float | None = None, percentiles: bool = True) -> pd.DataFrame:
    """Steady-state metrics of one instance (an M/M/c/K queue) at given arrival rates.

    Parameters
    ----------
    arrivals_per_s : array-like of shape (n,)
        Requests per second reaching this instance.
    service_ms : float
        Mean service time of one request (ms).
    workers : int, optional
        Requests scored at once (``c``); default ``max_concurrent``.
    max_concurrent : int
        Azure's ``max_concurrent_requests_per_instance``: ``2 × max_concurrent`` requests fit in
        the system (``K``), the next one gets 429.
    over_ms : float, optional
        Also return ``over_share``: the share of accepted requests slower than this.
    percentiles : bool
        Compute the latency percentiles (the slow part); False leaves them out.

    Returns
    -------
    pandas.DataFrame
        ``rejected_share``, ``utilization`` (busy workers / workers, 0..1), ``p50_ms``, ``p90_ms``,
        ``p95_ms``, ``p99_ms`` (of accepted requests, if ``percentiles``) and maybe ``over_share``.

    Examples
    --------
    >>> row = queue_metrics([100.0], service_ms=10.0).iloc[0]   # M/M/1/2 at load 1: a third refused
    >>> round(float(row["rejected_share"]), 3), round(float(row["utilization"]), 3)
    (0.333, 0.667)
    """
    lam = np.atleast_1d(np.asarray(arrivals_per_s, dtype=float))
    if lam.size and (not np.all(np.isfinite(lam)) or lam.min() < 0):
        raise ValidationError(f"arrivals_per_s must be finite rates >= 0 (got {lam[:3].tolist()}...)")
    service_ms = _validate.number("service_ms", service_ms, 1e-6)
    max_concurrent = _validate.whole("max_concurrent", max_concurrent, 1, words="of at least 1 (Azure's default is 1)")
    workers = max_concurrent if workers is None else _validate.whole("workers", workers, 1)
    over_ms = None if over_ms is None else _validate.number("over_ms", over_ms, 0)
    k = 2 * int(max_concurrent)
    c = min(int(workers), k)
    mu = 1000.0 / service_ms
    a = np.maximum(lam, 1e-12)[:, None] / mu
    states = np.arange(k + 1)[None, :]
    log_p = np.where(states <= c, states * np.log(a) - gammaln(states + 1),
                     c * np.log(a) - gammaln(c + 1) + (states - c) * np.log(a / c))
    p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    blocked = p[:, k]
    seen = p[:, :k] / np.maximum(1.0 - blocked, 1e-300)[:, None]       # states an accepted request finds
    busy = (p * np.minimum(np.arange(k + 1), c)[None, :]).sum(axis=1) / c

    def survival(t_s):  # P(sojourn > t) of an accepted request, per row, t in seconds (array of rows)
        t = np.asarray(t_s, dtype=float)[:, None]
        queued = np.arange(k)[None, :] - c + 1                          # Erlang stages waited (<=0: none)
        out = np.exp(-mu * t) * np.ones_like(seen)
        stages = np.maximum(queued, 1)
        rate = c * mu
        if c == 1:
            with_wait = gammaincc(stages, rate * t) + np.exp(-mu * t + stages * np.log(np.maximum(rate * t, 1e-300))
                                                            - gammaln(stages + 1))
        else:
            with_wait = gammaincc(stages, rate * t) + np.exp(-mu * t + stages * np.log(c / (c - 1.0))) * gammainc(
                stages, (rate - mu) * t)
        out = np.where(queued >= 1, with_wait, out)
        return (seen * np.minimum(out, 1.0)).sum(axis=1)

    result = {"rejected_share": blocked, "utilization": busy}
    upper = (service_ms / 1000.0) * (12.0 + 3.0 * k / c)
    for name, q in (("p50_ms", 0.50), ("p90_ms", 0.90), ("p95_ms", 0.95), ("p99_ms", 0.99)) if percentiles else ():
        lo, hi = np.zeros(len(lam)), np.full(len(lam), upper)
        for _ in range(40):                                              # bisection on every row at once
            mid = (lo + hi) / 2
            above = survival(mid) > 1.0 - q
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        result[name] = (lo + hi) / 2 * 1000.0
    if over_ms is not None:
        result["over_share"] = survival(np.full(len(lam), over_ms / 1000.0))
    return pd.DataFrame(result)


# --- load ----------------------------------------------------------------------------------------
def load_trace(seed: int, *, peak_rpm: float = 60_000, night_rpm: float = 6_000, start="2024-03-04",
               days: float = 1, spikes: int = 0, spike_factor: float = 2.5) -> pd.Series:
    """A seeded day of requests per minute: quiet nights, an early-afternoon peak, optional spikes.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.
    peak_rpm, night_rpm : float
        Mean requests per minute at the 13:00 peak and at night.
    spikes : int
        Short bursts (10 to 30 minutes, during the day) at ``spike_factor`` times the load.

    Returns
    -------
    pandas.Series
        Requests per minute (Poisson counts), indexed by minute, named ``requests``.

    Examples
    --------
    >>> trace = load_trace(1)
    >>> len(trace), bool(trace.max() > 5 * trace.min())
    (1440, True)
    """
    peak_rpm, night_rpm = _validate.number("peak_rpm", peak_rpm, 0), _validate.number("night_rpm", night_rpm, 0)
    if night_rpm > peak_rpm:
        raise ValidationError(f"need night_rpm <= peak_rpm (got {night_rpm}, {peak_rpm}); swap them")
    days = _validate.number("days", days, 1 / 1440, 366)
    spikes = _validate.whole("spikes", spikes, 0)
    spike_factor = _validate.number("spike_factor", spike_factor, 0)
    rng = np.random.default_rng(_validate.whole("seed", seed, 0))
    minutes = pd.date_range(start, periods=round(days * 1440), freq="min")
    hour = np.asarray(minutes.hour + minutes.minute / 60.0)
    rate = night_rpm + (peak_rpm - night_rpm) * np.exp(-(((hour - 13.0) / 3.5) ** 2))
    wobble = np.zeros(len(minutes))                    # slow +-5 % wander of the load (AR(1), phi 0.98)
    steps = rng.standard_normal(len(minutes)) * 0.05 * np.sqrt(1 - 0.98**2)
    for i in range(1, len(minutes)):
        wobble[i] = 0.98 * wobble[i - 1] + steps[i]
    rate = rate * np.exp(wobble)
    for _ in range(spikes):
        begin = int(rng.integers(8 * 60, 20 * 60)) + 1440 * int(rng.integers(0, max(int(days), 1)))
        rate[begin:begin + int(rng.integers(10, 31))] *= spike_factor
    return pd.Series(rng.poisson(rate), index=minutes, name="requests")


# --- the replay ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replay:
    """What an autoscale setting did to a day of load.

    Attributes
    ----------
    minutes : pandas.DataFrame
        One row per minute: ``requests``, ``instances`` (provisioned, billed), ``ready``,
        ``p50_ms``, ``p95_ms``, ``p99_ms``, ``rejected_share`` (HTTP 429), ``cpu_percent``,
        ``cost_usd`` and, if ``over_ms`` was given, ``over_share``.
    actions : pandas.DataFrame
        One row per scale action: ``time``, ``direction``, ``before``, ``after``, ``rule``.
    sku : str
        The VM size priced.
    """

    minutes: pd.DataFrame
    actions: pd.DataFrame
    sku: str

    @cached_property
    def instance_hours(self) -> float:
        """Instance-hours billed (provisioned instances, warming included)."""
        return float(self.minutes["instances"].sum() / 60.0)

    @cached_property
    def cost_usd(self) -> float:
        """Illustrative cost of the replay in USD (:mod:`mlcheckup.cost`)."""
        return float(self.minutes["cost_usd"].sum())

    def violations(self, p95_ms: float, rejected_share: float = 0.005) -> int:
        """Minutes whose p95 is above ``p95_ms`` or whose 429 share is above ``rejected_share``."""
        bad = (self.minutes["p95_ms"] > p95_ms) | (self.minutes["rejected_share"] > rejected_share)
        return int(bad.sum())

    def reversals(self, within="1h") -> int:
        """Flapping: scale-outs that come within ``within`` after a scale-in (the instance removed was needed)."""
        actions = self.actions
        if len(actions) < 2:
            return 0
        undone = actions["direction"].eq("out") & actions["direction"].shift().eq("in")
        soon = actions["time"].diff() <= _validate.duration(within, "within")
        return int((undone & soon).sum())

    def summary(self, p95_ms: float) -> dict:
        """Instance-hours, cost, minutes in violation of a p95 SLO, actions and reversals."""
        return {"instance_hours": round(self.instance_hours, 2), "cost_usd": round(self.cost_usd, 2),
                "violations": self.violations(p95_ms), "actions": len(self.actions), "reversals": self.reversals()}

    def plot(self, p95_ms: float | None = None, rejected_share: float = 0.005, title: str | None = None):
        """Four panels over time: instances (billed and ready), 429 share, p95 latency, cumulative cost."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        frame = self.minutes
        fig, axes = plt.subplots(4, 1, figsize=(9, 7.5), sharex=True)
        axes[0].step(frame.index, frame["instances"], where="post", label="billed", color="tab:blue")
        axes[0].step(frame.index, frame["ready"], where="post", label="ready", color="tab:green", ls="--")
        twin = axes[0].twinx()
        twin.plot(frame.index, frame["requests"] / 1000, color="0.6", lw=0.6)
        twin.set_ylabel("requests / min (k)", color="0.4")
        axes[0].set_ylabel("instances")
        axes[0].yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))   # whole instances
        axes[0].legend(loc="upper left", fontsize=8)
        axes[1].plot(frame.index, 100 * frame["rejected_share"], color="tab:orange", lw=0.8)
        axes[1].axhline(100 * rejected_share, color="k", ls="--", lw=0.8, label=f"SLO {100 * rejected_share:g} %")
        axes[1].set_ylabel("429 (% of requests)")
        axes[1].legend(loc="upper left", fontsize=8)
        axes[2].plot(frame.index, frame["p95_ms"], color="tab:red", lw=0.8)
        if p95_ms is not None:
            axes[2].axhline(p95_ms, color="k", ls="--", lw=0.8, label=f"SLO {p95_ms:g} ms")
            axes[2].legend(loc="upper left", fontsize=8)
        axes[2].set_ylim(bottom=0)
        axes[2].set_ylabel("p95 (ms)")
        axes[3].plot(frame.index, frame["cost_usd"].cumsum(), color="tab:purple")
        axes[3].set_ylabel(f"USD ({self.sku})")
        bad = self.violations(np.inf if p95_ms is None else p95_ms, rejected_share)
        axes[0].set_title(title or f"{self.instance_hours:.1f} instance-hours, {bad} minutes over the SLO")
        fig.autofmt_xdate()
        fig.tight_layout()
        return fig


class _Table:
    """queue_metrics on a log grid of per-instance arrival rates, interpolated (a day replays in well under 1 s)."""

    def __init__(self, settings: dict, top_rate: float, points: int = 600):
        self.rates = np.geomspace(1e-3, max(top_rate, 1e-2) * 1.01, points)
        table = queue_metrics(self.rates, **settings)
        table["cpu_percent"] = 100.0 * table.pop("utilization")
        self.columns = list(table.columns)
        self.values = table.to_numpy()

    def row(self, requests: float, ready: int) -> dict:
        rate = np.log(max(requests / 60.0 / max(ready, 1), 1e-3))
        logs = np.log(self.rates)
        return {name: float(np.interp(rate, logs, self.values[:, j])) for j, name in enumerate(self.columns)}


def _metric(frame: dict, name: str, t: int, window: int, statistic: str, divide: bool, ready: np.ndarray) -> np.ndarray:
    values = np.asarray(frame[name][t - window + 1:t + 1], dtype=float)
    counts = ready[t - window + 1:t + 1]
    if METRICS[name] and statistic == "Sum":
        values = values * counts
    elif statistic == "Count":
        values = counts.astype(float)
    if divide:
        values = values / np.maximum(counts, 1)
    return values


def _proposal(rule: ScaleRule, current: int) -> int:
    action = rule.scale_action
    value = _count(action.value, "value")
    sign = 1 if action.direction == "Increase" else -1
    if action.type == "ExactCount":
        return value
    if action.type == "PercentChangeCount":
        return current + sign * max(1, math.ceil(current * value / 100.0))
    return current + sign * value


def simulate(setting: AutoscaleSettingResource, load: pd.Series, *, service_ms: float = SERVICE_MS,
             workers: int | None = None, max_concurrent: int = 1, provision_minutes: int = 5,
             sku: str = "Standard_DS3_v2", over_ms: float | None = None) -> Replay:
    """Replay an autoscale setting on a per-minute load trace (semantics in the module docstring).

    Parameters
    ----------
    setting : AutoscaleSettingResource
        The real SDK object (e.g. from :func:`autoscale_setting`); checked by :func:`check_setting`.
    load : pandas.Series
        Requests per minute, indexed by consecutive minutes (:func:`load_trace`).
    service_ms, workers, max_concurrent : see :func:`queue_metrics`
    provision_minutes : int
        Minutes before a new instance serves (billed meanwhile).
    sku : str
        VM size for the cost (:data:`mlcheckup.cost.PRICES`).
    over_ms : float, optional
        Also record ``over_share``, the share of accepted requests slower than this (for an SLO).

    Returns
    -------
    Replay
    """
    check_setting(setting)
    provision_minutes = _validate.whole("provision_minutes", provision_minutes, 0)
    if not isinstance(load, pd.Series) or load.empty or (np.asarray(load) < 0).any():
        raise ValidationError("load must be a non-empty pandas Series of requests per minute >= 0, "
                              "e.g. autoscale.load_trace(seed)")
    profile = _profile(setting)
    low, high, start = (_count(getattr(profile.capacity, f), f) for f in ("minimum", "maximum", "default"))
    rules = list(profile.rules or []) if setting.enabled else []
    settings = {"service_ms": service_ms, "workers": workers, "max_concurrent": max_concurrent, "over_ms": over_ms}
    price = price_per_hour(sku)
    requests = load.to_numpy(dtype=float)
    n = len(requests)
    ready_at = [-10**9] * start                 # minute each provisioned instance becomes ready
    ready = np.zeros(n, dtype=int)
    rows, actions = [], []
    table = _Table(settings, float(requests.max()) / 60.0)
    frame = {name: np.zeros(n) for name in METRICS}
    quiet_until = -1
    for t in range(n):
        ready[t] = sum(1 for at in ready_at if at <= t)
        values = table.row(requests[t], ready[t])
        rows.append({"requests": requests[t], "instances": len(ready_at), "ready": ready[t], **values})
        frame["RequestsPerMinute"][t] = requests[t]
        frame["CpuUtilizationPercentage"][t] = values["cpu_percent"]
        frame["DeploymentCapacity"][t] = ready[t]
        for name, column in (("RequestLatency_P50", "p50_ms"), ("RequestLatency_P90", "p90_ms"),
                             ("RequestLatency_P95", "p95_ms"), ("RequestLatency_P99", "p99_ms")):
            frame[name][t] = values[column]
        if t < quiet_until or not rules:
            continue
        fired = {}
        for rule in rules:
            trigger = rule.metric_trigger
            window = int(trigger.time_window.total_seconds() // 60)
            if t + 1 < window:
                continue
            series = _metric(frame, trigger.metric_name, t, window, trigger.statistic,
                             bool(trigger.divide_per_instance), ready)
            value = float(_AGGREGATE[trigger.time_aggregation](series))
            fired[id(rule)] = (bool(_COMPARE[trigger.operator](value, trigger.threshold)), value)
        current = len(ready_at)
        outs = [r for r in rules if r.scale_action.direction == "Increase" and fired.get(id(r), (False,))[0]]
        ins = [r for r in rules if r.scale_action.direction == "Decrease"]
        chosen, target = None, current
        if outs:
            chosen = max(outs, key=lambda r: _proposal(r, current))
            target = min(high, max(low, _proposal(chosen, current)))
        elif ins and all(fired.get(id(r), (False,))[0] for r in ins):
            chosen = max(ins, key=lambda r: _proposal(r, current))
            target = min(high, max(low, _proposal(chosen, current)))
            if target < current and _would_flap(rules, fired, current, target):
                target = current
        if chosen is None or target == current:
            continue
        if target > current:
            ready_at += [t + 1 + provision_minutes] * (target - current)
        else:
            ready_at = sorted(ready_at)[:target]           # warming instances go first (latest ready times)
        actions.append({"time": load.index[t], "direction": "out" if target > current else "in",
                        "before": current, "after": target,
                        "rule": _describe(rules.index(chosen) + 1, chosen)})
        quiet_until = t + 1 + int(chosen.scale_action.cooldown.total_seconds() // 60)
    minutes = pd.DataFrame(rows, index=load.index)
    minutes["cost_usd"] = minutes["instances"] * price / 60.0
    columns = ["time", "direction", "before", "after", "rule"]
    return Replay(minutes=minutes, actions=pd.DataFrame(actions, columns=columns), sku=sku)


def _would_flap(rules, fired, current: int, target: int) -> bool:
    """Azure's flapping guard: would a per-instance scale-out rule fire after this scale-in?"""
    for rule in rules:
        trigger = rule.metric_trigger
        if rule.scale_action.direction != "Increase" or id(rule) not in fired:
            continue
        if METRICS[trigger.metric_name] or trigger.divide_per_instance:
            projected = fired[id(rule)][1] * current / target
            if _COMPARE[trigger.operator](projected, trigger.threshold):
                return True
    return False

