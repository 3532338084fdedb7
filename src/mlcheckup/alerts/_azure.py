"""The Azure resources for alert rules and action groups, built offline with azure-mgmt-monitor 7.0.0.

Private to :mod:`mlcheckup.alerts`; the public names are re-exported there.

=====================  ===========================================  ========================
local object           Azure resource (``azure.mgmt.monitor.models``)  REST API version
=====================  ===========================================  ========================
:class:`MetricRule`    ``MetricAlertResource`` with                 2018-03-01
                       ``MetricAlertSingleResourceMultipleMetricCriteria``
                       of one ``MetricCriteria``; ``MetricAlertAction`` per action group
:class:`LogRule`       ``ScheduledQueryRuleResource`` (kind             2023-12-01
                       ``LogAlert``) with one ``Condition`` (its ``kql``)
:class:`ActionGroup`   ``ActionGroupResource`` with one                2023-01-01
                       ``WebhookReceiver(use_common_alert_schema=True)`` per URL
=====================  ===========================================  ========================

:func:`azure_request` builds the PUT request that ``MonitorManagementClient`` would send, with the
SDK's own request builders and serializer, and returns it without sending it. Nothing here opens
a connection. A metric alert lives in location ``global``; a log alert in the region of the App
Insights resource it watches.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import ValidationError
from ._actions import ActionGroup
from ._vocabulary import AlertRule, as_rule

#: Subscription id of the placeholder resources (all zeros: nothing real is named).
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
_MANAGEMENT = "https://management.azure.com"
_SCOPE = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/([^/]+/[^/]+)/([^/]+)$", re.I)


def app_insights_id(subscription_id: str = PLACEHOLDER_SUBSCRIPTION, resource_group: str = "rg-mlcheckup",
                    name: str = "appi-digits") -> str:
    """The resource id of an Application Insights resource: the scope of its alert rules.

    The defaults are placeholders; use your own subscription, resource group and resource name.

    Examples
    --------
    >>> app_insights_id()
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlcheckup/providers/microsoft.insights/components/appi-digits'
    """
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/microsoft.insights/components/{name}"


def _scope_parts(scope: str) -> tuple[str, str]:
    match = _SCOPE.match(str(scope))
    if not match:
        raise ValidationError(f"scope must be a resource id like {app_insights_id()!r} (got {scope!r}); "
                              "build one with alerts.app_insights_id(subscription_id, resource_group, name)")
    return match.group(1), match.group(2)


def to_azure(rule: AlertRule, scope: str | None = None, *, location: str = "westeurope"):
    """The Azure resource for ``rule``: the body ``create_or_update`` takes. Built offline, never sent.

    Parameters
    ----------
    rule : MetricRule or LogRule
    scope : str, optional
        The App Insights resource the rule watches; :func:`app_insights_id` (a placeholder) by default.
    location : str, default "westeurope"
        Region of that resource, for a log rule (a metric rule is ``global``).

    Returns
    -------
    azure.mgmt.monitor.models.MetricAlertResource or ScheduledQueryRuleResource

    Raises
    ------
    ValidationError
        If the scope is not a resource id, or a log rule has no ``kql`` (Azure runs KQL).

    Examples
    --------
    >>> from mlcheckup.alerts import MetricRule
    >>> rule = MetricRule(name="slow-scoring", metric_name="requests/duration", time_aggregation="Average",
    ...                   operator="GreaterThan", threshold=100, window_size="PT1H", evaluation_frequency="PT15M")
    >>> body = to_azure(rule).serialize()
    >>> body["location"], body["properties"]["windowSize"], body["properties"]["criteria"]["allOf"][0]["metricName"]
    ('global', 'PT1H', 'requests/duration')

    Taught in lesson 05, §6.
    """
    from azure.mgmt.monitor import models

    rule = as_rule(rule)
    scope = scope or app_insights_id()
    subscription, group = _scope_parts(scope)
    action_ids = [action.resource_id(subscription, group) for action in rule.actions]
    common = {"description": rule.description or None, "severity": rule.severity, "enabled": True, "scopes": [scope],
              "evaluation_frequency": rule.evaluation_frequency.to_pytimedelta(),
              "window_size": rule.window_size.to_pytimedelta(), "auto_mitigate": rule.auto_mitigate}
    if rule.signal_type == "Metric":
        criterion = models.MetricCriteria(
            name="Metric1", metric_name=rule.metric_name, metric_namespace=rule.metric_namespace,
            time_aggregation=rule.time_aggregation, operator=rule.operator, threshold=rule.threshold,
            skip_metric_validation=True if not rule.is_standard else None)
        return models.MetricAlertResource(
            location="global", criteria=models.MetricAlertSingleResourceMultipleMetricCriteria(all_of=[criterion]),
            target_resource_type="microsoft.insights/components",
            actions=[models.MetricAlertAction(action_group_id=i) for i in action_ids] or None, **common)
    if rule.signal_type != "Log":  # pragma: no cover - only two kinds exist
        raise ValidationError(f"cannot build an Azure resource for {type(rule).__name__}")
    if not rule.kql:
        raise ValidationError(f"log rule {rule.name!r} has only SQL; Azure runs KQL: build it with kql='...' "
                              "(the same query over the App Insights tables)")
    condition = models.Condition(
        query=rule.kql, time_aggregation=rule.time_aggregation, metric_measure_column=rule.metric_measure_column,
        operator=rule.operator, threshold=rule.threshold,
        failing_periods=models.ConditionFailingPeriods(
            number_of_evaluation_periods=rule.number_of_evaluation_periods,
            min_failing_periods_to_alert=rule.min_failing_periods_to_alert))
    return models.ScheduledQueryRuleResource(
        location=location, kind="LogAlert", display_name=rule.name,
        criteria=models.ScheduledQueryRuleCriteria(all_of=[condition]),
        actions=models.Actions(action_groups=action_ids) if action_ids else None, **common)


@dataclass(frozen=True)
class AzureRequest:
    """An HTTP request to Azure Resource Manager, built and never sent.

    Attributes
    ----------
    method : str
    url : str
        ``https://management.azure.com/subscriptions/.../<resource>?api-version=...``
    body : dict
        The JSON body, as the SDK serializes the resource.
    """

    method: str
    url: str
    body: dict

    def __str__(self) -> str:
        return f"{self.method} {self.url}\n{json.dumps(self.body, indent=2)}"


def azure_request(item, scope: str | None = None, **options) -> AzureRequest:
    """The ``create_or_update`` request for a rule or an action group, as the SDK would send it.

    Parameters
    ----------
    item : MetricRule, LogRule or ActionGroup
    scope : str, optional
        The watched App Insights resource (a placeholder by default); its subscription and
        resource group also hold the new resource.
    **options
        Passed to :func:`to_azure` (``location``).

    Examples
    --------
    >>> from mlcheckup.alerts import ActionGroup
    >>> request = azure_request(ActionGroup("oncall", webhooks=["https://example.org/alerts"]))
    >>> request.method, request.url.split("/providers/")[1]
    ('PUT', 'Microsoft.Insights/actionGroups/oncall?api-version=2023-01-01')
    >>> request.body["properties"]["webhookReceivers"][0]["useCommonAlertSchema"]
    True

    Taught in lesson 05, §6.
    """
    from azure.mgmt.monitor.operations import (
        _action_groups_operations,
        _metric_alerts_operations,
        _scheduled_query_rules_operations,
    )

    scope = scope or app_insights_id()
    subscription, group = _scope_parts(scope)
    if isinstance(item, ActionGroup):
        resource = item.to_azure()
        request = _action_groups_operations.build_create_or_update_request(
            resource_group_name=group, action_group_name=item.name, subscription_id=subscription,
            content_type="application/json")
    else:
        rule = as_rule(item)
        resource = to_azure(rule, scope, **options)
        build = (_metric_alerts_operations if rule.signal_type == "Metric" else
                 _scheduled_query_rules_operations).build_create_or_update_request
        request = build(resource_group_name=group, rule_name=rule.name, subscription_id=subscription,
                        content_type="application/json")
    url = request.url if request.url.startswith("http") else _MANAGEMENT + request.url
    return AzureRequest(request.method, url, resource.serialize())
