"""Alert rules shaped like Azure Monitor's: metric alerts and log search (scheduled query) alerts.

Private to :mod:`mlcheckup.alerts`; the public names are re-exported there.

Both kinds share the settings of an Azure alert rule, under the names of ``azure-mgmt-monitor``:
``operator`` and ``threshold`` (the condition), ``window_size`` (how much data one check reads),
``evaluation_frequency`` (how often it checks), ``severity`` (0 Critical ... 4 Verbose) and
``auto_mitigate`` (stateful: resolve on its own; stateless: notify at every breach). They differ in
what they measure:

* :class:`MetricRule`, a *metric alert* (``MetricAlertResource``), aggregates one App Insights
  metric over the window: a standard metric (``requests/duration``, ``requests/failed``...) or a
  custom metric of ``customMetrics``. In Azure the exporter pre-aggregates the standard metrics
  from the spans it sends and App Insights stores them as metrics, not computed from the tables
  (learn.microsoft.com/azure/azure-monitor/app/pre-aggregated-metrics-log-metrics). Here they are
  computed from the stored ``requests``/``dependencies``/``exceptions`` rows, which hold the
  same spans: equal when every span is kept, different under sampling or ingestion loss;
* :class:`LogRule`, a *log search alert* (``ScheduledQueryRuleResource``), runs a query (SQL here,
  ``kql`` for Azure) whose rows each carry a ``timestamp``, and aggregates them per window: their
  number (``Count``) or a numeric column (``metric_measure_column``). It can demand several
  breaching windows out of the last few (``min_failing_periods_to_alert`` of
  ``number_of_evaluation_periods``).

Durations accept ISO-8601 text as Azure writes it (``"PT5M"``), pandas text (``"5min"``), a unit
word (``"hour"``) or a timedelta (:mod:`mlcheckup._validate`). Values the Azure API refuses are
refused here, with the reason. The constants and the base class live in ``_vocabulary``, below
the modules that evaluate, notify and build Azure resources, which this module uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validate import choice, duration, iso_duration, threshold
from ..errors import ValidationError
from ._actions import ActionGroup
from ._azure import to_azure
from ._evaluate import evaluate
from ._vocabulary import (
    AGGREGATIONS,
    CUSTOM_NAMESPACE,
    METRIC_FREQUENCIES,
    METRIC_RESOLVE_CHECKS,
    METRIC_WINDOWS,
    OPERATORS,
    SEVERITIES,
    SIGNS,
    STANDARD_METRICS,
    STANDARD_NAMESPACE,
    AlertRule,
)

_MAX_LOG_WINDOW = pd.Timedelta(days=2)
_ONE_MINUTE, _FIVE_MINUTES = pd.Timedelta(minutes=1), pd.Timedelta(minutes=5)


def _list(values) -> str:
    return ", ".join(iso_duration(v) for v in values)


@dataclass(frozen=True, kw_only=True)
class Rule(AlertRule):
    """What every alert rule has: a name, a condition, a window, a schedule, a severity.

    Use :class:`MetricRule` or :class:`LogRule`; see the module docstring for the fields.
    """

    name: str
    operator: str
    threshold: float
    window_size: pd.Timedelta = _FIVE_MINUTES
    evaluation_frequency: pd.Timedelta = _ONE_MINUTE
    severity: int = 3
    auto_mitigate: bool = True
    description: str = ""
    actions: tuple = field(default=())

    #: ``signalType`` and ``monitoringService`` of this rule's notifications.
    signal_type = "Metric"
    monitoring_service = "Platform"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or any(c in self.name for c in "<>*%&:\\?/#|"):
            raise ValidationError(f"name must be a non-empty text without <>*%&:\\?/#| (got {self.name!r}); "
                                  "Azure uses it in the rule's resource id")
        hint = "use Azure's name, e.g. 'GreaterThan' for >" if self.operator in (">", "<", ">=", "<=", "==") else ""
        choice("operator", self.operator, tuple(OPERATORS), hint)
        object.__setattr__(self, "threshold", threshold("threshold", self.threshold))
        choice("severity", self.severity, SEVERITIES, "Sev0 is the most urgent")
        object.__setattr__(self, "window_size", duration(self.window_size, "window_size"))
        object.__setattr__(self, "evaluation_frequency", duration(self.evaluation_frequency, "evaluation_frequency"))
        object.__setattr__(self, "actions", tuple(self.actions if isinstance(self.actions, list | tuple)
                                                  else (self.actions,)))
        for group in self.actions:
            if not isinstance(group, ActionGroup):
                raise ValidationError(f"actions must be ActionGroup objects (got {type(group).__name__}); "
                                      "e.g. actions=[ActionGroup('oncall', webhooks=[receiver.url])]")

    # -- what subclasses provide (and a ``time_aggregation`` field) ------------------------------
    @property
    def measured(self) -> str:
        """What the rule measures, in words (the metric, or the query's measure)."""
        raise NotImplementedError  # pragma: no cover - overridden

    @property
    def lookback(self) -> pd.Timedelta:
        """How far back one check reads."""
        return self.window_size

    @property
    def resolve_after(self) -> int:
        """How many checks in a row must miss the condition before a fired alert resolves."""
        return METRIC_RESOLVE_CHECKS

    # -- shared behaviour ---------------------------------------------------------------------
    def breached(self, value: float) -> bool:
        """Whether ``value`` meets the condition (a missing value never does).

        >>> MetricRule(name="slow", metric_name="requests/duration", time_aggregation="Average",
        ...            operator="GreaterThan", threshold=100).breached(120.0)
        True
        """
        return bool(value is not None and not np.isnan(value) and OPERATORS[self.operator](value, self.threshold))

    def condition(self) -> str:
        """The condition in words, e.g. ``Average requests/duration over PT15M > 100``."""
        return (f"{self.time_aggregation} {self.measured} over {iso_duration(self.window_size)} "
                f"{SIGNS[self.operator]} {self.threshold:g}")

    def evaluate(self, store, **options):
        """Check this rule over stored telemetry on a simulated clock (see :func:`evaluate`)."""
        return evaluate(self, store, **options)

    def to_azure(self, scope: str | None = None, **options):
        """The Azure resource for this rule, built offline (see :func:`mlcheckup.alerts.to_azure`)."""
        return to_azure(self, scope, **options)


@dataclass(frozen=True, kw_only=True)
class MetricRule(Rule):
    """A metric alert: one App Insights metric, aggregated over a window, against a threshold.

    Parameters
    ----------
    name : str
        The rule's name (its Azure resource name).
    metric_name : str
        A standard metric (:data:`STANDARD_METRICS`: ``requests/duration`` in ms,
        ``requests/failed``, ``requests/count``, ``exceptions/count``...) or the name of a
        custom metric in ``customMetrics`` (e.g. an OpenTelemetry histogram).
    time_aggregation : {"Average", "Count", "Minimum", "Maximum", "Total"}
        How the window's values become one number.
    operator : {"GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "Equals"}
    threshold : float
        In the metric's unit (milliseconds for durations).
    window_size : duration, default 5 min
        One of 1, 5, 15, 30 min, 1, 6, 12 h, 1 day; at least ``evaluation_frequency``.
    evaluation_frequency : duration, default 1 min
        One of 1, 5, 15, 30 min, 1 h.
    severity : int, default 3
        0 Critical, 1 Error, 2 Warning, 3 Informational, 4 Verbose.
    auto_mitigate : bool, default True
        Stateful: fire once, resolve after 3 checks in a row without a breach. False: stateless,
        a notification at every check that breaches.
    description : str
    actions : sequence of ActionGroup
        Who is notified.

    Examples
    --------
    >>> slow = MetricRule(name="slow-scoring", metric_name="requests/duration", time_aggregation="Average",
    ...                   operator="GreaterThan", threshold=100, window_size="PT1H", evaluation_frequency="PT15M")
    >>> slow.condition()
    'Average requests/duration over PT1H > 100'
    >>> MetricRule(name="x", metric_name="requests/duration", time_aggregation="Average",
    ...            operator="GreaterThan", threshold=1, evaluation_frequency="PT10M")
    Traceback (most recent call last):
    ...
    mlcheckup.errors.ValidationError: a metric alert's evaluation_frequency must be one of PT1M, PT5M, PT15M, PT30M, PT1H (got PT10M)

    Taught in lesson 05, §5.
    """

    metric_name: str
    time_aggregation: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.metric_name, str) or not self.metric_name.strip():
            raise ValidationError(f"metric_name must be a metric's name such as 'requests/duration' "
                                  f"(got {self.metric_name!r}); standard metrics: {', '.join(STANDARD_METRICS)}")
        choice("time_aggregation", self.time_aggregation, AGGREGATIONS,
                "Azure spells them out: 'Average', not 'Avg'" if self.time_aggregation in ("Avg", "Sum", "Min", "Max")
                else "")
        if self.evaluation_frequency not in METRIC_FREQUENCIES:
            raise ValidationError(f"a metric alert's evaluation_frequency must be one of {_list(METRIC_FREQUENCIES)} "
                                  f"(got {iso_duration(self.evaluation_frequency)})")
        if self.window_size not in METRIC_WINDOWS:
            raise ValidationError(f"a metric alert's window_size must be one of {_list(METRIC_WINDOWS)} "
                                  f"(got {iso_duration(self.window_size)})")
        if self.window_size < self.evaluation_frequency:
            raise ValidationError(f"window_size ({iso_duration(self.window_size)}) must be at least "
                                  f"evaluation_frequency ({iso_duration(self.evaluation_frequency)}); "
                                  "otherwise some data would never be checked")

    @property
    def measured(self) -> str:
        return self.metric_name

    @property
    def is_standard(self) -> bool:
        """True for an App Insights standard metric, False for a custom one."""
        return self.metric_name in STANDARD_METRICS

    @property
    def metric_namespace(self) -> str:
        """The metric's namespace in Azure."""
        return STANDARD_NAMESPACE if self.is_standard else CUSTOM_NAMESPACE


@dataclass(frozen=True, kw_only=True)
class LogRule(Rule):
    """A log search alert: a query over the telemetry tables, aggregated per window.

    Parameters
    ----------
    name : str
    query : str, optional
        SQL over the local tables; its rows must include a ``timestamp`` column (the time each
        row belongs to). Do not filter on time: each check reads its own window, as in Azure.
        Without it (a rule over tables the local store does not hold, such as
        ``AmlOnlineEndpointTrafficLog``), :func:`evaluate` refuses the rule; run its ``kql`` with
        :func:`mlcheckup.kql.query` instead.
    kql : str, optional
        The same query in KQL, for the Azure resource (:meth:`to_azure` needs it). ``query`` or
        ``kql`` is required.
    time_aggregation : {"Count", "Average", "Minimum", "Maximum", "Total"}, default "Count"
        ``Count``: the number of rows; the others need ``metric_measure_column``.
    metric_measure_column : str, optional
        The numeric column to aggregate.
    operator, threshold
        The condition, as for :class:`MetricRule`.
    window_size : duration, default 5 min
        The aggregation granularity: 1 min to 2 days.
    evaluation_frequency : duration, default 5 min
        1 min to 1 day.
    number_of_evaluation_periods, min_failing_periods_to_alert : int, default 1
        Breach when at least ``min_failing_periods_to_alert`` of the last
        ``number_of_evaluation_periods`` windows meet the condition.
    severity, auto_mitigate, description, actions
        As for :class:`MetricRule`. A stateful log alert resolves once the condition has been
        missed for 10 min (1-minute checks), 3 checks (up to 15 min), 2 checks (up to 11 h) or
        1 check (longer), as Azure does.

    Examples
    --------
    >>> failing = LogRule(name="failed-requests", severity=1,
    ...     query="SELECT timestamp, CASE WHEN success THEN 0.0 ELSE 100.0 END AS failed_pct FROM requests",
    ...     kql="requests | project timestamp, failed_pct = iff(success, 0.0, 100.0)",
    ...     time_aggregation="Average", metric_measure_column="failed_pct", operator="GreaterThan",
    ...     threshold=10, window_size="PT15M", evaluation_frequency="PT5M")
    >>> failing.condition(), failing.resolve_after
    ('Average failed_pct over PT15M > 10', 3)

    Taught in lesson 05, §5.
    """

    query: str | None = None
    kql: str | None = None
    time_aggregation: str = "Count"
    metric_measure_column: str | None = None
    evaluation_frequency: pd.Timedelta = _FIVE_MINUTES
    number_of_evaluation_periods: int = 1
    min_failing_periods_to_alert: int = 1

    signal_type = "Log"
    monitoring_service = "Log Alerts V2"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.query is None and not (isinstance(self.kql, str) and self.kql.strip()):
            raise ValidationError(f"log rule {self.name!r} needs query (SQL, evaluated here) or kql (run by Azure), "
                                  "or both")
        if self.query is not None and (not isinstance(self.query, str) or "select" not in self.query.lower()):
            raise ValidationError(f"query must be SQL text with a SELECT (got {self.query!r}); "
                                  "e.g. 'SELECT timestamp FROM exceptions'")
        choice("time_aggregation", self.time_aggregation, AGGREGATIONS)
        if self.time_aggregation != "Count" and not self.metric_measure_column:
            raise ValidationError(f"time_aggregation {self.time_aggregation!r} needs metric_measure_column, the "
                                  "numeric column of the query to aggregate (only 'Count' counts rows)")
        if not pd.Timedelta(minutes=1) <= self.evaluation_frequency <= pd.Timedelta(days=1):
            raise ValidationError(f"a log alert's evaluation_frequency must be between PT1M and P1D "
                                  f"(got {iso_duration(self.evaluation_frequency)})")
        if not pd.Timedelta(minutes=1) <= self.window_size <= _MAX_LOG_WINDOW:
            raise ValidationError(f"a log alert's window_size must be between PT1M and P2D "
                                  f"(got {iso_duration(self.window_size)})")
        periods, failing = self.number_of_evaluation_periods, self.min_failing_periods_to_alert
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in (periods, failing)) or \
                not 1 <= failing <= periods <= 6:
            raise ValidationError(f"min_failing_periods_to_alert ({failing!r}) and number_of_evaluation_periods "
                                  f"({periods!r}) must be whole numbers with 1 <= min_failing <= periods <= 6")

    @property
    def measured(self) -> str:
        return self.metric_measure_column or "rows"

    @property
    def lookback(self) -> pd.Timedelta:
        return self.window_size * self.number_of_evaluation_periods

    @property
    def resolve_after(self) -> int:
        frequency = self.evaluation_frequency
        if frequency < pd.Timedelta(minutes=5):
            return int(np.ceil(pd.Timedelta(minutes=10) / frequency))
        if frequency <= pd.Timedelta(minutes=15):
            return 3
        if frequency < pd.Timedelta(hours=11):
            return 2
        return 1

    def condition(self) -> str:
        text = super().condition()
        if self.number_of_evaluation_periods > 1:
            text += f" in {self.min_failing_periods_to_alert} of the last {self.number_of_evaluation_periods} windows"
        return text
