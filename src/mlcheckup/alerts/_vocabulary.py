"""The words every alert module shares: operators, aggregations, severities, metrics, durations.

Private to :mod:`mlcheckup.alerts` (the public names are re-exported there), and the bottom of
its ladder: ``_vocabulary`` → ``_actions`` → ``_notify`` → ``_evaluate``, ``_azure`` → ``_rules``.
A module imports only modules to its left, so nothing here may import another alerts module.

:class:`AlertRule` is the common base of :class:`~mlcheckup.alerts.MetricRule` and
:class:`~mlcheckup.alerts.LogRule`, so that the lower modules can check what they are given
(:func:`as_rule`) without importing the rules; they tell the two kinds apart by
``rule.signal_type`` (``"Metric"`` or ``"Log"``).

Durations follow the course's one vocabulary (:mod:`mlcheckup._validate`): ISO 8601 as Azure
writes it (``"PT5M"``), pandas text (``"5min"``), a unit word (``"hour"``) or a timedelta.
"""

from __future__ import annotations

import operator as op

import pandas as pd

from .._validate import duration, iso_duration
from ..errors import ValidationError

__all__ = ["AGGREGATIONS", "CUSTOM_NAMESPACE", "METRIC_FREQUENCIES", "METRIC_RESOLVE_CHECKS", "METRIC_WINDOWS",
           "OPERATORS", "SEVERITIES", "SIGNS", "STANDARD_METRICS", "STANDARD_NAMESPACE", "AlertRule", "as_rule",
           "duration", "iso_duration"]

#: Condition operators, by their Azure names.
OPERATORS = {
    "GreaterThan": op.gt, "GreaterThanOrEqual": op.ge, "LessThan": op.lt, "LessThanOrEqual": op.le,
    "Equals": op.eq,
}
#: The sign of each operator, for messages.
SIGNS = {"GreaterThan": ">", "GreaterThanOrEqual": "≥", "LessThan": "<", "LessThanOrEqual": "≤", "Equals": "="}
#: How the rows of one window become one number (Azure's ``timeAggregation``).
AGGREGATIONS = ("Average", "Count", "Minimum", "Maximum", "Total")
#: Alert severities: ``Sev0`` is the most urgent.
SEVERITIES = {0: "Critical", 1: "Error", 2: "Warning", 3: "Informational", 4: "Verbose"}
#: App Insights standard metrics (namespace ``microsoft.insights/components``), and the stored rows
#: each is computed from here: (table, value of one item, filter). Azure's exporter pre-aggregates
#: them from the spans instead; the rows hold the same spans.
STANDARD_METRICS = {
    "requests/count": ("requests", "1.0", None),
    "requests/duration": ("requests", "duration", None),
    "requests/failed": ("requests", "1.0", "success = 0"),
    "dependencies/count": ("dependencies", "1.0", None),
    "dependencies/duration": ("dependencies", "duration", None),
    "dependencies/failed": ("dependencies", "1.0", "success = 0"),
    "exceptions/count": ("exceptions", "1.0", None),
    "customEvents/count": ("customEvents", "1.0", None),
}
#: Metric namespaces in Azure: standard metrics, and custom metrics sent by OpenTelemetry.
STANDARD_NAMESPACE = "microsoft.insights/components"
CUSTOM_NAMESPACE = "azure.applicationinsights"
#: What a metric alert may use (Azure refuses anything else).
METRIC_FREQUENCIES = tuple(pd.Timedelta(minutes=m) for m in (1, 5, 15, 30, 60))
METRIC_WINDOWS = tuple(pd.Timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 360, 720, 1440))
#: A metric alert resolves after this many checks in a row that do not meet its condition.
METRIC_RESOLVE_CHECKS = 3




class AlertRule:
    """The common base of every alert rule (:class:`~mlcheckup.alerts.Rule` derives from it)."""

    __slots__ = ()


def as_rule(rule) -> AlertRule:
    """``rule`` if it is an alert rule, else a :class:`ValidationError` saying how to build one."""
    if not isinstance(rule, AlertRule):
        raise ValidationError(f"expected a MetricRule or a LogRule (got {type(rule).__name__}: {rule!r}); "
                              "build one with alerts.MetricRule(...) or alerts.LogRule(...)")
    return rule
