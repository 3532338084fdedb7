"""Azure Monitor alert rules, checked over App Insights telemetry on a simulated clock.

An alert rule watches one number and says when it is wrong. Azure Monitor has two kinds that
matter for a deployed model, and this package has one object for each, with Azure's settings
under Azure's names:

* :class:`MetricRule`, a metric alert: ``requests/duration``, ``requests/failed``... or a custom
  metric, aggregated over ``window_size`` every ``evaluation_frequency``, against ``threshold``;
* :class:`LogRule`, a log search alert: a query over the telemetry tables (SQL here, KQL in
  Azure) whose rows are counted, or whose measure column is aggregated, per window.

:func:`evaluate` (or ``rule.evaluate``) runs a rule over a telemetry store from ``start`` to
``end`` without waiting: every check reads only the data before its own time. It returns an
:class:`Evaluation` (every check, every :class:`Alert`, every :class:`Notification`) and posts the
Fired and Resolved notifications, in Azure's common alert schema, to the webhooks of the rule's
:class:`ActionGroup`; a :class:`WebhookReceiver` on 127.0.0.1 plays the receiving service::

    with WebhookReceiver() as inbox:
        rule = LogRule(name="failed-requests", query=..., actions=[ActionGroup("oncall", [inbox.url])], ...)
        result = rule.evaluate(store, start=scenario.start, end=scenario.end)
        for note in inbox.notifications:
            print(note)                     # Fired ... / Resolved ...
    scenario.score(result.fired_at)         # detection delay, misses, false alarms

:func:`to_azure` and :func:`azure_request` build the matching ``azure-mgmt-monitor`` resources
(``MetricAlertResource``, ``ScheduledQueryRuleResource``, ``ActionGroupResource``) and the PUT
request that would create them, offline. :func:`replay_scenario` fills a store with a scenario's
traffic on the scenario's clock, so that a rule can be judged on weeks of known incidents.

Direction: a rule *breaches* when ``value <operator> threshold`` holds. Severities run from 0
(Critical) to 4 (Verbose).

Taught in lesson 05.
"""

from ._actions import ActionGroup
from ._azure import PLACEHOLDER_SUBSCRIPTION, AzureRequest, app_insights_id, azure_request, to_azure
from ._evaluate import LOCAL_SCOPE, Alert, Evaluation, evaluate
from ._notify import SCHEMA_ID, Notification, WebhookReceiver, payload
from ._replay import replay_scenario
from ._rules import LogRule, MetricRule, Rule
from ._vocabulary import (
    AGGREGATIONS,
    CUSTOM_NAMESPACE,
    METRIC_FREQUENCIES,
    METRIC_WINDOWS,
    OPERATORS,
    SEVERITIES,
    STANDARD_METRICS,
    STANDARD_NAMESPACE,
    duration,
    iso_duration,
)

__all__ = [
    "AGGREGATIONS",
    "CUSTOM_NAMESPACE",
    "LOCAL_SCOPE",
    "METRIC_FREQUENCIES",
    "METRIC_WINDOWS",
    "OPERATORS",
    "PLACEHOLDER_SUBSCRIPTION",
    "SCHEMA_ID",
    "SEVERITIES",
    "STANDARD_METRICS",
    "STANDARD_NAMESPACE",
    "ActionGroup",
    "Alert",
    "AzureRequest",
    "Evaluation",
    "LogRule",
    "MetricRule",
    "Notification",
    "Rule",
    "WebhookReceiver",
    "app_insights_id",
    "azure_request",
    "duration",
    "evaluate",
    "iso_duration",
    "payload",
    "replay_scenario",
    "to_azure",
]
