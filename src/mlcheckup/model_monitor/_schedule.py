"""The ``MonitorSchedule`` itself: trigger, compute, target, notifications, default signals (private)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from .. import _sdk_yaml, _validate
from ..datacollector import MODEL_INPUTS, MODEL_OUTPUTS
from ..drift.windows import check_frequency
from ..errors import MonitorConfigError
from ._vocabulary import EMAIL_PATTERN, INSTANCE_TYPES, ML_TASKS, RUNTIME_VERSIONS, WEEK_DAYS


# --- schedule -------------------------------------------------------------------------------
def _check_emails(emails) -> list[str]:
    if isinstance(emails, str):
        emails = [emails]
    emails = list(emails or [])
    if not emails:
        raise MonitorConfigError(
            "emails is empty: without AlertNotification(emails=[...]) Azure fails with "
            "\"The value for '.emails' is missing\"; pass at least one address"
        )
    bad = [e for e in emails if not isinstance(e, str) or not EMAIL_PATTERN.match(e)]
    if bad:
        raise MonitorConfigError(f"these are not email addresses: {bad}")
    return emails


def monitor_schedule(
    name: str,
    *,
    signals: Mapping[str, object] | None = None,
    emails: Iterable[str],
    endpoint: str | None = None,
    deployment: str | None = None,
    ml_task: str | None = "classification",
    frequency: str = "day",
    interval: int = 1,
    hours: int | list[int] | None = 3,
    minutes: int | list[int] | None = 0,
    week_days: str | list[str] | None = None,
    time_zone: str = "UTC",
    cron: str | None = None,
    runtime_version: str = "3.4",
    instance_type: str = "standard_e4s_v3",
    description: str | None = None,
):
    """A ``MonitorSchedule`` running ``signals`` on serverless Spark, with email alerts.

    Parameters
    ----------
    name : str
        Schedule name.
    signals : dict, optional
        ``{"data-drift": data_drift_signal(...), ...}``; names are up to you. None (or ``{}``) is
        Azure's out-of-box monitor: the create call adds :data:`DEFAULT_SIGNALS` (it needs
        ``endpoint`` and ``deployment``, collecting both ``model_inputs`` and ``model_outputs``).
    emails : list of str
        Who gets the alerts (required; see the module notes).
    endpoint, deployment : str, optional
        The monitored deployment (``azureml:<endpoint>:<deployment>``).
    ml_task : {'classification', 'regression', 'questionanswering'} or None
        None (without endpoint) sends no monitoring target, as Microsoft's custom signal example.
    frequency, interval, hours, minutes : recurrence trigger
        Runs every ``interval`` ``frequency`` (at ``hours:minutes`` for day, week and month; lists
        such as ``hours=[8, 20]`` run at each; ``hours=None`` sets no time of day); the default
        production window follows from it (``drift.default_windows``).
    week_days : str or list of str, optional
        Days a weekly (or daily) recurrence runs on, e.g. ``["monday", "friday"]``.
    time_zone : str, default "UTC"
        Time zone of ``hours`` (a Windows time zone name such as ``"W. Europe Standard Time"``).
    cron : str, optional
        A cron expression instead of the recurrence (default window P7D).
    runtime_version : {'3.4', '3.5'}
        Serverless Spark runtime accepted by azure-ai-ml 1.35.2.
    instance_type : str
        One of :data:`INSTANCE_TYPES`.

    Returns
    -------
    azure.ai.ml.entities.MonitorSchedule

    Examples
    --------
    >>> schedule = monitor_schedule(
    ...     "avocado-monitor", endpoint="avocado", deployment="blue", emails=["ops@example.com"],
    ...     signals={"data-drift": data_drift_signal("azureml:avocado-train:1")})
    >>> validate(schedule).create_monitor.compute.runtime_version
    '3.4'

    Taught in lesson 04, §7.
    """
    from azure.ai.ml.entities import (
        AlertNotification,
        CronTrigger,
        MonitorDefinition,
        MonitoringTarget,
        MonitorSchedule,
        RecurrencePattern,
        RecurrenceTrigger,
        ServerlessSparkCompute,
    )

    if str(runtime_version) not in RUNTIME_VERSIONS:
        raise MonitorConfigError(
            f"runtime_version must be one of {RUNTIME_VERSIONS} for azure-ai-ml 1.35.2 (got {runtime_version!r}); "
            "the Learn docs still show '3.3', which fails with 'Compute runtime version must be one of: 3.4, 3.5'"
        )
    if instance_type not in INSTANCE_TYPES:
        raise MonitorConfigError(f"instance_type must be one of {INSTANCE_TYPES} (got {instance_type!r})")
    if ml_task is None and endpoint is not None:
        raise MonitorConfigError("ml_task=None sends no monitoring target, but an endpoint is given; "
                                 "pass ml_task='classification' or 'regression'")
    if ml_task is not None and ml_task not in ML_TASKS:
        hint = "; the schema spells it 'questionanswering'" if ml_task == "question_answering" else ""
        raise MonitorConfigError(f"ml_task must be one of {ML_TASKS} (got {ml_task!r}){hint}")
    if (endpoint is None) != (deployment is None):
        raise MonitorConfigError("give both endpoint and deployment (or neither)")
    if not signals and endpoint is None:
        raise MonitorConfigError(
            "signals is empty and no endpoint is given: Azure fills in its default signals only from a deployment "
            "that collects model_inputs and model_outputs; pass endpoint= and deployment=, or add a signal, e.g. "
            "{'data-drift': data_drift_signal(...)}")
    if not isinstance(time_zone, str) or not time_zone:
        raise MonitorConfigError(f"time_zone must be a time zone name such as 'UTC' (got {time_zone!r})")
    if cron is not None:
        trigger = CronTrigger(expression=cron, time_zone=time_zone)
    else:
        interval = _validate.whole("interval", interval, 1, words="of at least 1 (runs every interval units)")
        frequency = check_frequency(frequency)
        days = _week_days(week_days)
        if days and frequency not in ("day", "week"):
            raise MonitorConfigError(f"week_days applies to a daily or weekly recurrence (got frequency={frequency!r})")
        # a time-of-day pattern only makes sense for daily and longer recurrences
        pattern = None
        if frequency in ("day", "week", "month") and (hours is not None or days):
            pattern = RecurrencePattern(hours=_clock(hours, "hours", 23), minutes=_clock(minutes, "minutes", 59),
                                        week_days=days)
        trigger = RecurrenceTrigger(frequency=frequency, interval=interval, schedule=pattern, time_zone=time_zone)
    target = MonitoringTarget(ml_task=ml_task, endpoint_deployment_id=(
        f"azureml:{endpoint}:{deployment}" if endpoint else None)) if ml_task is not None else None
    definition = MonitorDefinition(
        compute=ServerlessSparkCompute(runtime_version=str(runtime_version), instance_type=instance_type),
        monitoring_target=target, monitoring_signals=dict(signals) if signals else None,
        alert_notification=AlertNotification(emails=_check_emails(emails)),
    )
    return MonitorSchedule(name=name, trigger=trigger, create_monitor=definition, description=description)


def _clock(value, name: str, top: int) -> list[int]:
    values = [0] if value is None else [value] if isinstance(value, int) else value
    if isinstance(values, str) or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= top
                                          for v in values) or not values:
        raise MonitorConfigError(f"{name} must be an integer 0-{top} or a list of them (got {value!r})")
    return list(values)


def _week_days(days) -> list[str] | None:
    if days is None:
        return None
    days = [days] if isinstance(days, str) else list(days)
    bad = [d for d in days if not isinstance(d, str) or d.lower() not in WEEK_DAYS]
    if bad or not days:
        raise MonitorConfigError(f"week_days must be names among {WEEK_DAYS} (got {bad or days!r})")
    return [d.lower() for d in days]


def with_default_signals(schedule, *, deployment=None):
    """A copy of ``schedule`` with the signals Azure's create call adds when it has none.

    ``ml_client.schedules.begin_create_or_update`` fills an out-of-box monitor (no signals) with
    :data:`DEFAULT_SIGNALS` (a token statistics signal for ``question_answering``), provided the
    target deployment collects both ``model_inputs`` and ``model_outputs``; production and
    reference data are the deployment's collected data, the reference being the recent past
    (see :func:`mlcheckup.drift.default_windows`). A schedule with signals is returned as a copy.

    Parameters
    ----------
    schedule : MonitorSchedule
    deployment : ManagedOnlineDeployment, optional
        The monitored deployment: its data collector is checked as the create call checks it
        (offline the deployment is otherwise assumed to collect both).

    Raises
    ------
    MonitorConfigError
        Without a target deployment, or if ``deployment`` does not collect both, with the SDK's reason.

    Examples
    --------
    >>> schedule = monitor_schedule("m", endpoint="credit-default", deployment="main", emails=["a@example.com"])
    >>> sorted(with_default_signals(schedule).create_monitor.monitoring_signals)
    ['data-drift-signal', 'data-quality-signal', 'prediction-drift-signal']
    """
    filled = copy.deepcopy(schedule)
    definition = filled.create_monitor
    if definition.monitoring_signals:
        return filled
    target = definition.monitoring_target
    if not (target and target.endpoint_deployment_id):
        raise MonitorConfigError(
            "this monitor has no signals and no monitoring_target.endpoint_deployment_id; Azure refuses it "
            "(\"An ARM id for a deployment with data collector enabled for model inputs and outputs must be given "
            "if monitoring_signals is None\"); name the deployment, or add signals")
    if deployment is not None:
        collections = getattr(getattr(deployment, "data_collector", None), "collections", None) or {}
        missing = [name for name in (MODEL_INPUTS, MODEL_OUTPUTS)
                   if str(getattr(collections.get(name), "enabled", "")).lower() != "true"]
        if missing:
            raise MonitorConfigError(
                f"this monitor has no signals, so Azure fills in its defaults from the deployment's collected data, "
                f"but deployment {getattr(deployment, 'name', '?')!r} does not collect {' and '.join(missing)}; "
                f"enable them (build_deployment(collections=('model_inputs', 'model_outputs'))), or add signals")
    with _sdk_yaml.quiet_sdk():
        filled._create_default_monitor_definition()
    return filled
