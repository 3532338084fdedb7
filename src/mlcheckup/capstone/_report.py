"""The incident report of a replayed month and the harness's score (private to :mod:`mlcheckup.capstone`).

Every notification the handler saw (an Event Grid breach or an alert) has a time, a *channel* (``alert``
or the type of the signal that breached) and the action the handler took. A notification at time
``t`` *detects* an incident when its channel can see that kind of incident and
``start <= t <= end + allowed delay``; an incident is caught in time when its first detection comes
within the allowed delay (the score gives it 1 for an instant catch, 0.5 at the allowed delay). A non-``ignore`` action on a notification that detects nothing (or on a
*Resolved* alert) is a false alarm; repeats from one source on one day count once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..cost import PRICES

#: Points of each component of the harness's score (100 in all).
WEIGHTS = {"valid_parts": 10, "refuses_bad_input": 10, "detection": 30, "false_alarms": 15, "actions": 15,
           "duplicates": 10, "cost": 10}
#: Monthly budget (USD): serving instances plus monitoring compute.
BUDGET_USD = 500.0
_ACTING = ("page", "retrain", "rollback")
_PARTS = 5


@dataclass
class Report:
    """The harness's incident report for one month.

    Attributes
    ----------
    incidents : pandas.DataFrame
        Per incident: ``kind, start, detected, delay, in_time, action, expected_action, right_action``.
    calls : pandas.DataFrame
        Every call of ``on_event``: ``time, channel, source, condition, event_id, action, detects``.
    false_alarms, false_alarms_per_week : int, float
        (A plan that detects nothing earns no points for few false alarms, for ignoring the harmless
        shift or for duplicates: it was not watching.)
    duplicates_acted_twice : int
        Event Grid events the handler acted on more than once.
    instance_hours, serving_cost_usd, monitoring_cost_usd : float
        NaN when the autoscale setting was unusable.
    problems : dict
        Part name -> what was wrong with it (empty when every part worked).
    scores : dict
        Component -> points (see :data:`WEIGHTS`); ``total`` is their sum.
    """

    incidents: pd.DataFrame
    calls: pd.DataFrame
    false_alarms: int
    false_alarms_per_week: float
    duplicates_acted_twice: int
    instance_hours: float
    serving_cost_usd: float
    monitoring_cost_usd: float
    problems: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)

    @property
    def total(self) -> float:
        """The harness's score out of 100."""
        return round(float(sum(self.scores.values())), 1)

    def __str__(self) -> str:
        shown = self.incidents.assign(delay=self.incidents["delay"].map(
            lambda d: "-" if pd.isna(d) else f"{d.total_seconds() / 3600:.1f} h"))
        lines = [shown[["kind", "start", "detected", "delay", "in_time", "action", "expected_action"]].to_string(
                 index=False),
                 f"false alarms: {self.false_alarms} ({self.false_alarms_per_week:.2f} per week); Event Grid events "
                 f"acted on twice: {self.duplicates_acted_twice}",
                 f"serving: {self.instance_hours:.0f} instance-hours, ${self.serving_cost_usd:.0f}; monitoring "
                 f"compute: ${self.monitoring_cost_usd:.0f} (budget ${BUDGET_USD:.0f})",
                 "score: " + ", ".join(f"{k} {v:g}/{WEIGHTS[k]}" for k, v in self.scores.items())
                 + f" -> {self.total:g}/100"]
        lines += [f"problem in {part}: {text}" for part, text in self.problems.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + str(self).replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


def _price(sku: str) -> float:
    prices = {name.lower(): price for name, price in PRICES.items()}
    match = re.fullmatch(r"standard_e(\d+)s_v3", str(sku).lower())
    return prices.get(str(sku).lower(), prices["standard_e4s_v3"] * (int(match.group(1)) / 4 if match else 1))


def _calls(breach_calls: pd.DataFrame, alert_calls: pd.DataFrame) -> pd.DataFrame:
    breaches = pd.DataFrame({"time": pd.to_datetime(breach_calls["time"]), "channel": breach_calls["channel"],
                             "source": breach_calls["source"], "condition": "Breached",
                             "event_id": breach_calls["event_id"], "action": breach_calls["action"]})
    alerts = pd.DataFrame({"time": pd.to_datetime(alert_calls["time"]), "channel": "alert", "source": alert_calls["rule"],
                           "condition": alert_calls["condition"], "event_id": "", "action": alert_calls["action"]})
    frames = [frame for frame in (breaches, alerts) if len(frame)]
    calls = pd.concat(frames, ignore_index=True) if frames else breaches.iloc[:0]
    return calls.sort_values("time", kind="stable").reset_index(drop=True)


def score_report(month, *, breach_calls, alert_calls, signal_runs, spark_sku, serving, problems,
                 refuses_bad_input, hours_per_signal_run) -> Report:
    """Match the handler's calls to the month's answer key and score them (see the module docstring)."""
    calls = _calls(breach_calls, alert_calls)
    calls["detects"] = [[] for _ in range(len(calls))]
    seen = {}
    for incident in month.incidents.itertuples():
        seen[incident.incident] = ((calls["condition"] != "Resolved") & calls["channel"].isin(incident.channels)
                                   & (calls["time"] >= incident.start)
                                   & (calls["time"] <= incident.end + incident.allowed_delay))
        for i in np.flatnonzero(seen[incident.incident].to_numpy()):
            calls.at[i, "detects"] = [*calls.at[i, "detects"], int(incident.incident)]
    rows = []
    for incident in month.incidents.itertuples():
        if incident.kind == "harmless":
            inside = calls[(calls["time"] >= incident.start) & (calls["time"] <= incident.end)]
            acted = inside[inside["action"].isin(_ACTING) & (inside["detects"].map(len) == 0)]
            action = acted["action"].iloc[0] if len(acted) else "ignore"
            rows.append({"kind": incident.kind, "start": incident.start, "detected": False, "delay": pd.NaT,
                         "in_time": False, "action": action, "expected_action": "ignore",
                         "right_action": action == "ignore"})
            continue
        found = calls[seen[incident.incident]]
        acted = found[found["action"] != "ignore"]
        delay = found["time"].iloc[0] - incident.start if len(found) else pd.NaT
        action = acted["action"].iloc[0] if len(acted) else ("ignore" if len(found) else "-")
        rows.append({"kind": incident.kind, "start": incident.start, "detected": bool(len(found)), "delay": delay,
                     "in_time": bool(len(found)) and delay <= incident.allowed_delay, "action": action,
                     "expected_action": incident.expected_action, "right_action": action == incident.expected_action})
    incidents = pd.DataFrame(rows)
    lonely = calls["action"].isin(_ACTING) & ((calls["detects"].map(len) == 0) | (calls["condition"] == "Resolved"))
    false = calls[lonely]
    false_alarms = int(false.assign(day=false["time"].dt.normalize()).drop_duplicates(["source", "day"]).shape[0])
    weeks = (month.end - month.start) / pd.Timedelta(days=7)
    per_week = false_alarms / weeks
    events = calls[calls["event_id"] != ""]
    acted_on = events[events["action"].isin(_ACTING)].groupby("event_id").size()
    twice = int((acted_on > 1).sum())
    duplicated = events.groupby("event_id").size()
    duplicated_acted = [eid for eid in duplicated[duplicated > 1].index if eid in acted_on.index]
    monitoring = signal_runs * hours_per_signal_run * _price(spark_sku)
    hours = serving.instance_hours if serving is not None else float("nan")
    serving_cost = serving.cost_usd if serving is not None else float("nan")
    allowed = month.incidents.set_index("incident")["allowed_delay"].to_numpy()
    late = np.array([d / a if ok and a > pd.Timedelta(0) else 1.0
                     for d, a, ok in zip(incidents["delay"], allowed, incidents["in_time"], strict=True)])
    timely = (incidents["in_time"].to_numpy() * (1 - 0.5 * np.clip(late, 0, 1)))[incidents["kind"] != "harmless"]
    caught = float(timely.mean())   # full marks for an instant catch, half for one at the allowed delay
    watching = float(incidents["detected"].any())    # a plan that sees nothing earns no quiet-time points
    scores = {
        "valid_parts": WEIGHTS["valid_parts"] * (1 - min(len({p.split("[")[0] for p in problems}), _PARTS) / _PARTS),
        "refuses_bad_input": WEIGHTS["refuses_bad_input"] * bool(refuses_bad_input),
        "detection": WEIGHTS["detection"] * float(caught),
        "false_alarms": WEIGHTS["false_alarms"] * watching * float(np.clip(1 - (per_week - 1) / 2, 0, 1)),
        "actions": WEIGHTS["actions"] * float((incidents["right_action"] & (watching > 0)).mean()),
        "duplicates": WEIGHTS["duplicates"] * (1 - twice / len(duplicated_acted) if duplicated_acted
                                               else float(len(events) > 0)),
        "cost": WEIGHTS["cost"] * bool(serving is not None and serving_cost + monitoring <= BUDGET_USD),
    }
    scores = {name: round(value, 1) for name, value in scores.items()}
    return Report(incidents, calls, false_alarms, round(per_week, 2), twice, hours, serving_cost, monitoring,
                  dict(problems), scores)
