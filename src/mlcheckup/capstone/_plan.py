"""The student's monitoring plan and the checks of each of its parts (private to :mod:`mlcheckup.capstone`).

A plan has five parts; :func:`check_plan` checks each on its own, so that one broken part is
reported (what, the value received, how to fix it) and the others are still run and scored.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MlCheckupError

#: What ``on_event`` may answer.
ACTIONS = ("page", "retrain", "rollback", "ignore")
#: The parts of a plan, in the order they are reported.
PARTS = ("score_script", "schedule", "alerts", "autoscale", "on_event")


@dataclass
class MonitoringPlan:
    """What ``build_monitoring()`` returns: how a deployment is watched and what happens on a signal.

    Attributes
    ----------
    score_script : path
        The deployment's ``score.py`` (served for real by the harness): it must refuse bad
        input with a 4xx and a message, and emit custom events.
    schedule : azure.ai.ml.entities.MonitorSchedule, or a list of them
        The model monitor(s), built with :mod:`mlcheckup.model_monitor` (drift, prediction drift,
        data quality, performance signals); checked with ``model_monitor.validate``. A failed run
        carries the message of ONE breaching signal, so signals that call for different actions
        belong in different monitors.
    alerts : list of mlcheckup.alerts.MetricRule or LogRule
        Alert rules over the deployment's App Insights telemetry.
    autoscale : azure.mgmt.monitor.models.AutoscaleSettingResource
        Built with :func:`mlcheckup.autoscale.autoscale_setting`.
    on_event : callable
        ``on_event(event) -> "page" | "retrain" | "rollback" | "ignore"``: called with an
        ``azure.eventgrid.EventGridEvent`` for each Event Grid delivery of a monitor's breach
        (at least once: duplicates and out of order) and with an :class:`mlcheckup.alerts.Notification`
        for each alert notification (Fired and Resolved). It answers the action it *took*:
        ``"ignore"`` for an event it has already handled.
    """

    score_script: str | Path
    schedule: object
    alerts: list = field(default_factory=list)
    autoscale: object = None
    on_event: Callable | None = None


def _check_score_script(value) -> str | None:
    path = Path(value) if isinstance(value, (str, Path)) else None
    if path is None or not path.is_file() or path.suffix != ".py":
        return (f"score_script must be the path of a score.py file (got {value!r}); write one, e.g. with "
                "projects.write_payments_project(folder).score_script")
    text = path.read_text()
    missing = [name for name in ("def init", "def run") if name not in text]
    if missing:
        return f"score_script {path.name} has no {' / '.join(missing)}(); the inference server calls init() and run()"
    return None


def _check_schedule(value) -> str | None:
    from .. import model_monitor

    schedules = list(value) if isinstance(value, (list, tuple)) else [value]
    names = [getattr(schedule, "name", None) for schedule in schedules]
    for schedule in schedules:
        if type(schedule).__name__ != "MonitorSchedule":
            return (f"schedule must be an azure.ai.ml MonitorSchedule or a list of them (got "
                    f"{type(schedule).__name__}); build it with model_monitor.monitor_schedule(...)")
        try:
            model_monitor.validate(schedule)
            signals = schedule.create_monitor.monitoring_signals.values()
            if any(type(signal).__name__ == "ModelPerformanceSignal" for signal in signals):
                model_monitor.validate_performance(schedule)
        except (MlCheckupError, ValueError, TypeError) as error:
            return f"schedule {schedule.name!r} failed the SDK's validation: {error}"
    if not schedules or len(set(names)) < len(names):
        return f"give one schedule or several with different names (got names {names})"
    return None


def _check_alerts(value) -> tuple[list, str | None]:
    from ..alerts import Rule

    if not isinstance(value, (list, tuple)):
        return [], (f"alerts must be a list of alerts.MetricRule / alerts.LogRule (got {type(value).__name__}); "
                    "use [] for none")
    good = [rule for rule in value if isinstance(rule, Rule)]
    bad = [type(rule).__name__ for rule in value if not isinstance(rule, Rule)]
    return good, (f"alerts holds {len(bad)} item(s) that are not alert rules (got {bad}); build them with "
                  "alerts.MetricRule(...) or alerts.LogRule(...)" if bad else None)


def _check_autoscale(value) -> str | None:
    from .. import autoscale

    try:
        autoscale.check_setting(value)
    except (MlCheckupError, AttributeError, TypeError) as error:
        return f"autoscale is not a valid AutoscaleSettingResource: {error}"
    return None


def _check_on_event(value) -> str | None:
    if not callable(value):
        return f"on_event must be a function on_event(event) -> action (got {type(value).__name__})"
    try:
        inspect.signature(value).bind(object())
    except TypeError:
        return f"on_event must take one argument, the event (its signature is {inspect.signature(value)})"
    except ValueError:
        pass
    return None


def check_plan(plan) -> tuple[dict, dict]:
    """Check each part of ``plan``; return ``(usable parts, problems)``, both keyed by part name.

    A part with a problem is absent from the usable parts (``alerts`` keeps its valid rules).
    Never raises: a plan of the wrong type has every part missing.
    """
    if not isinstance(plan, MonitoringPlan):
        message = (f"build_monitoring() must return a capstone.MonitoringPlan (got {type(plan).__name__}); "
                   "return MonitoringPlan(score_script=..., schedule=..., alerts=[...], autoscale=..., on_event=...)")
        return {}, dict.fromkeys(PARTS, message)
    usable, problems = {}, {}
    for part, check in (("score_script", _check_score_script), ("schedule", _check_schedule),
                        ("autoscale", _check_autoscale), ("on_event", _check_on_event)):
        value = getattr(plan, part)
        try:
            problem = check(value)
        except Exception as error:  # a broken part never stops the others
            problem = f"{part} could not be checked: {type(error).__name__}: {error}"
        if problem:
            problems[part] = problem
        else:
            usable[part] = list(value) if part == "schedule" and isinstance(value, (list, tuple)) else (
                [value] if part == "schedule" else value)
    rules, problem = _check_alerts(plan.alerts)
    usable["alerts"] = rules
    if problem:
        problems["alerts"] = problem
    return usable, problems
