"""The capstone: your own monitoring of a card-fraud model, judged on a month of hidden incidents.

A student's ``build_monitoring()`` returns a :class:`MonitoringPlan`: the deployment's ``score.py``,
a model monitor (``MonitorSchedule``), alert rules, an autoscale setting and an ``on_event(event)``
handler deciding ``"page"``, ``"retrain"``, ``"rollback"`` or ``"ignore"``. :func:`make_month`
generates a seeded month of payments traffic with six kinds of incident (:data:`KINDS`) and its
answer key; :func:`replay` runs the plan over it on a simulated clock (the real inference server
and data collector, the monitor's signals, Event Grid deliveries, App Insights alert rules and
the autoscaler) and returns a :class:`Report`: per incident detected or not, the delay and the
action taken; false alarms per week; Event Grid duplicates acted on twice; instance-hours and
cost; and the harness's score. :func:`check_plan` checks each part on its own: a broken part is
reported, the rest still scored.

Taught in lesson 07.
"""

from ._harness import replay
from ._month import ALLOWED_DELAY, CHANNELS, EXPECTED_ACTION, KINDS, Month, check_month, make_month
from ._plan import ACTIONS, PARTS, MonitoringPlan, check_plan
from ._report import BUDGET_USD, WEIGHTS, Report

__all__ = ["ACTIONS", "ALLOWED_DELAY", "BUDGET_USD", "CHANNELS", "EXPECTED_ACTION", "KINDS", "PARTS", "WEIGHTS",
           "MonitoringPlan", "Month", "Report", "check_month", "check_plan", "make_month", "replay"]
