"""Alert notifications: Azure's common alert schema, action groups, and a local webhook receiver.

Private to :mod:`mlcheckup.alerts`; the public names are re-exported there.

When a stateful rule fires, and again when it resolves, Azure Monitor sends each webhook of the
rule's action groups one POST whose JSON follows the *common alert schema*::

    {"schemaId": "azureMonitorCommonAlertSchema",
     "data": {"essentials":   {"alertRule", "severity": "Sev2", "signalType", "monitorCondition":
                               "Fired" | "Resolved", "firedDateTime", "resolvedDateTime", ...},
              "alertContext": {"conditionType", "condition": {"windowSize", "allOf": [{..., "metricValue"}],
                               "windowStartTime", "windowEndTime"}},
              "customProperties": null}}

The shapes follow Microsoft's sample payloads for a metric alert (``conditionType``
``SingleResourceMultipleMetricCriteria``, monitoring service ``Platform``) and for a log search
alert of API 2021-08-01 and later (``LogQueryCriteria``, ``Log Alerts V2``). Links to the portal
and to search results, which exist only in Azure, are left out.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field

import pandas as pd

from .._loopback import LoopbackService, RequestRefused, load_json
from ..errors import ServerError, ValidationError
from ._vocabulary import SIGNS, AlertRule, iso_duration

SCHEMA_ID = "azureMonitorCommonAlertSchema"
_CONDITION_TYPES = {"Metric": "SingleResourceMultipleMetricCriteria", "Log": "LogQueryCriteria"}


def _iso_time(stamp: pd.Timestamp) -> str:
    return pd.Timestamp(stamp).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _number(value: float) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def alert_id(rule: AlertRule, fired_at: pd.Timestamp, subscription_id: str) -> str:
    """A stable alert id: the same rule firing at the same time always gets the same id."""
    token = uuid.uuid5(uuid.NAMESPACE_URL, f"mlcheckup-alert/{rule.name}/{pd.Timestamp(fired_at).isoformat()}")
    return f"/subscriptions/{subscription_id}/providers/Microsoft.AlertsManagement/alerts/{token}"


def _criterion(rule: AlertRule, value: float) -> dict:
    common = {"operator": rule.operator, "threshold": f"{rule.threshold:g}", "timeAggregation": rule.time_aggregation,
              "dimensions": [], "metricValue": _number(value)}
    if rule.signal_type == "Metric":
        return {"metricName": rule.metric_name, "metricNamespace": rule.metric_namespace, **common}
    return {"searchQuery": rule.kql or rule.query, "metricMeasureColumn": rule.metric_measure_column,
            "targetResourceTypes": "['microsoft.insights/components']", **common,
            "failingPeriods": {"numberOfEvaluationPeriods": rule.number_of_evaluation_periods,
                               "minFailingPeriodsToAlert": rule.min_failing_periods_to_alert}}


def payload(rule: AlertRule, *, scope: str, monitor_condition: str, fired_at, resolved_at=None, value: float,
            window_end) -> dict:
    """One notification in the common alert schema (see the module docstring).

    Parameters
    ----------
    rule : Rule
    scope : str
        The monitored resource (an App Insights resource id).
    monitor_condition : {"Fired", "Resolved"}
    fired_at, resolved_at : timestamps
        When the alert fired, and (for ``Resolved``) when it resolved.
    value : float
        The value of the check that fired (or resolved) the alert.
    window_end : timestamp
        The end of that check's window.
    """
    subscription = scope.split("/")[2] if scope.count("/") >= 2 else "local"
    target = scope.lower()
    window_end = pd.Timestamp(window_end)
    essentials = {
        "alertId": alert_id(rule, fired_at, subscription),
        "alertRule": rule.name,
        "severity": f"Sev{rule.severity}",
        "signalType": rule.signal_type,
        "monitorCondition": monitor_condition,
        "monitoringService": rule.monitoring_service,
        "alertTargetIDs": [target],
        "configurationItems": [target.rsplit("/", 1)[-1]],
        "originAlertId": f"{subscription}_{rule.name}_{pd.Timestamp(fired_at):%Y%m%d%H%M%S}",
        "firedDateTime": _iso_time(fired_at),
        "description": rule.description,
        "essentialsVersion": "1.0",
        "alertContextVersion": "1.0",
    }
    if resolved_at is not None:
        essentials["resolvedDateTime"] = _iso_time(resolved_at)
    context = {
        "properties": None if rule.signal_type == "Metric" else {},
        "conditionType": _CONDITION_TYPES[rule.signal_type],
        "condition": {"windowSize": iso_duration(rule.window_size), "allOf": [_criterion(rule, value)],
                      "windowStartTime": _iso_time(window_end - rule.window_size),
                      "windowEndTime": _iso_time(window_end)},
    }
    return {"schemaId": SCHEMA_ID, "data": {"essentials": essentials, "alertContext": context,
                                           "customProperties": None}}


def _schema_problem(sent: dict) -> str | None:
    """What a common-alert-schema payload lacks that :class:`Notification` reads, or None."""
    data = sent.get("data")
    essentials = data.get("essentials") if isinstance(data, dict) else None
    if not isinstance(essentials, dict):
        return "data.essentials is missing"
    if not isinstance(essentials.get("alertRule"), str) or not essentials["alertRule"]:
        return "data.essentials.alertRule must be the rule's name"
    if not re.fullmatch(r"Sev[0-4]", str(essentials.get("severity"))):
        return f"data.essentials.severity must be Sev0 to Sev4 (got {essentials.get('severity')!r})"
    condition = essentials.get("monitorCondition")
    if condition not in ("Fired", "Resolved"):
        return f"data.essentials.monitorCondition must be 'Fired' or 'Resolved' (got {condition!r})"
    key = "resolvedDateTime" if condition == "Resolved" else "firedDateTime"
    stamp = essentials.get(key)
    try:
        ok = isinstance(stamp, str) and pd.Timestamp(stamp) is not pd.NaT
    except (ValueError, TypeError, OverflowError):
        ok = False
    if not ok:
        return f"data.essentials.{key} must be an ISO-8601 time (got {stamp!r})"
    context = data.get("alertContext")
    found = context.get("condition") if isinstance(context, dict) else None
    if not isinstance(found, dict) or not isinstance(found.get("windowSize"), str):
        return "data.alertContext.condition with its windowSize is missing"
    criteria = found.get("allOf")
    if not isinstance(criteria, list) or not criteria or not isinstance(criteria[0], dict):
        return "data.alertContext.condition.allOf must list the criteria"
    first = criteria[0]
    missing = [key for key in ("operator", "threshold", "timeAggregation") if key not in first]
    if missing:
        return f"data.alertContext.condition.allOf[0] lacks {', '.join(missing)}"
    value = first.get("metricValue")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"data.alertContext.condition.allOf[0].metricValue must be a number or null (got {value!r})"
    return None


@dataclass(frozen=True, repr=False)
class Notification:
    """One alert notification as a webhook receives it: a common-alert-schema ``payload``.

    Printing it gives one line a person on call can read; :attr:`payload` is what Azure sends.

    Examples
    --------
    >>> from mlcheckup.alerts import MetricRule
    >>> rule = MetricRule(name="slow-scoring", metric_name="requests/duration", time_aggregation="Average",
    ...                   operator="GreaterThan", threshold=100, window_size="PT1H", evaluation_frequency="PT15M",
    ...                   severity=2)
    >>> note = Notification(payload(rule, scope="/subscriptions/0/resourceGroups/rg/providers/"
    ...                     "microsoft.insights/components/appi", monitor_condition="Fired",
    ...                     fired_at="2024-03-12 10:15", value=131.2, window_end="2024-03-12 10:15"))
    >>> print(note)
    Fired     Sev2 slow-scoring at 2024-03-12 10:15 UTC: Average requests/duration over PT1H = 131.2 (> 100)
    >>> note.essentials["monitorCondition"], note.condition["allOf"][0]["metricValue"]
    ('Fired', 131.2)

    Taught in lesson 05, §5.
    """

    payload: dict = field(hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.payload, dict) or self.payload.get("schemaId") != SCHEMA_ID:
            raise ValidationError(f"a notification must be a common alert schema payload with schemaId "
                                  f"{SCHEMA_ID!r} (got {str(self.payload)[:120]!r})")
        problem = _schema_problem(self.payload)
        if problem:
            raise ValidationError(f"not a complete common alert schema payload: {problem}; send what "
                                  "mlcheckup.alerts.payload() (or Azure Monitor) builds")

    @property
    def essentials(self) -> dict:
        """The ``essentials`` section: rule, severity, monitor condition, times."""
        return self.payload["data"]["essentials"]

    @property
    def condition(self) -> dict:
        """The ``alertContext.condition`` section: window, criterion and the measured value."""
        return self.payload["data"]["alertContext"]["condition"]

    @property
    def rule(self) -> str:
        """The alert rule's name."""
        return self.essentials["alertRule"]

    @property
    def monitor_condition(self) -> str:
        """``"Fired"`` or ``"Resolved"``."""
        return self.essentials["monitorCondition"]

    @property
    def severity(self) -> int:
        """0 (Critical) to 4 (Verbose)."""
        return int(self.essentials["severity"].removeprefix("Sev"))

    @property
    def time(self) -> pd.Timestamp:
        """When it happened on the (simulated) clock: the firing time, or the resolving time."""
        key = "resolvedDateTime" if self.monitor_condition == "Resolved" else "firedDateTime"
        return pd.Timestamp(self.essentials[key]).tz_localize(None)

    @property
    def value(self) -> float | None:
        """The measured value of the check behind this notification."""
        return self.condition["allOf"][0]["metricValue"]

    def __str__(self) -> str:
        criterion = self.condition["allOf"][0]
        measured = criterion.get("metricName") or criterion.get("metricMeasureColumn") or "rows"
        sign = SIGNS.get(criterion["operator"], criterion["operator"])
        value = "no data" if self.value is None else f"{self.value:.4g}"
        verdict = f"({sign} {criterion['threshold']})" if self.monitor_condition == "Fired" else \
            f"(no longer {sign} {criterion['threshold']})"
        return (f"{self.monitor_condition:<9} {self.essentials['severity']} {self.rule} at {self.time:%Y-%m-%d %H:%M} "
                f"UTC: {criterion['timeAggregation']} {measured} over {self.condition['windowSize']} = {value} "
                f"{verdict}")

    def __repr__(self) -> str:
        return f"<Notification {self}>"

    def to_json(self, indent: int | None = 2) -> str:
        """The payload as the JSON text of the webhook's request body."""
        return json.dumps(self.payload, indent=indent)


def deliver(notification: Notification, groups) -> None:
    """POST ``notification`` to every webhook of ``groups``; raise :class:`ServerError` if one refuses it."""
    import requests

    with requests.Session() as session:
        session.trust_env = False  # loopback receivers must not be reached through a proxy
        for group in groups:
            for url in group.webhooks:
                try:
                    answer = session.post(url, json=notification.payload, timeout=5)
                except requests.RequestException as error:
                    raise ServerError(f"could not deliver the {notification.monitor_condition} notification of "
                                      f"{notification.rule} to {url} ({type(error).__name__}); is the receiver "
                                      "running? Start it with `with WebhookReceiver() as inbox:`") from None
                if answer.status_code >= 300:
                    raise ServerError(f"the webhook {url} answered HTTP {answer.status_code} to the "
                                      f"{notification.monitor_condition} notification of {notification.rule}: "
                                      f"{answer.text[:200]}")


class WebhookReceiver(LoopbackService):
    """A webhook on 127.0.0.1 that keeps every alert notification it receives.

    It plays the part of the service an action group calls (a chat channel, an incident tool):
    each POST must carry a common-alert-schema payload; the receiver answers 200 and keeps it.

    Parameters
    ----------
    port : int, default 0
        Port on 127.0.0.1; 0 picks a free one (read it back from :attr:`url`).
    path : str, default "/alerts"
        The path notifications are posted to.

    Examples
    --------
    >>> import requests
    >>> from mlcheckup.alerts import MetricRule
    >>> rule = MetricRule(name="slow", metric_name="requests/duration", time_aggregation="Average",
    ...                   operator="GreaterThan", threshold=100)
    >>> with WebhookReceiver() as inbox:
    ...     sent = payload(rule, scope="/subscriptions/0/x", monitor_condition="Fired", fired_at="2024-03-12",
    ...                    value=120.0, window_end="2024-03-12")
    ...     answer = requests.post(inbox.url, json=sent, timeout=5)
    ...     [note.monitor_condition for note in inbox.notifications]
    ['Fired']

    Taught in lesson 05, §5.
    """

    label = "webhook receiver"

    def __init__(self, port: int = 0, path: str = "/alerts") -> None:
        super().__init__(port)
        self.path = "/" + path.strip("/")
        self._received: list[dict] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The webhook's URL, ``http://127.0.0.1:<port>/alerts``: give it to an :class:`ActionGroup`."""
        return f"{super().url}{self.path}"

    def route(self, method, path):
        if method != "POST" or path.split("?")[0].rstrip("/") != self.path:
            return 404, {"error": f"{method} {path}: POST notifications to {self.path}"}
        return None

    def handle(self, method, path, headers, body):
        try:
            note = Notification(load_json(body or b"null", headers, "the notification"))
        except (RequestRefused, ValidationError) as error:
            return 400, {"error": f"not a common alert schema notification: {error}"}
        with self._lock:
            self._received.append(note.payload)
        return 200, {"status": "received"}

    @property
    def payloads(self) -> list[dict]:
        """The JSON bodies received so far, oldest first."""
        with self._lock:
            return [json.loads(json.dumps(item)) for item in self._received]

    @property
    def notifications(self) -> list[Notification]:
        """The notifications received so far, oldest first."""
        return [Notification(item) for item in self.payloads]

    def clear(self) -> None:
        """Forget what was received."""
        with self._lock:
            self._received.clear()
