"""Figures for monitoring, in one place; each shows exactly once in a notebook, however the cell ends.

* :func:`dashboard` draws small multiples: one row per stream (a deployment, a model, a region),
  one column per :class:`Metric`, one point per window, breaches in red, incidents shaded
  (:func:`incident_spans` turns a scenario's incidents into spans on the window axis).
* :func:`digit_grid` shows rows of 8×8 digits with their true labels, and the model's answer in red
  when it is wrong.
* :func:`heatmap` draws drift over time, one row per feature and one column per window, each cell the
  metric divided by its threshold (:func:`breach_ratio`), so that distances and p-values share one scale.
* :func:`estimate_vs_realized` and :func:`reliability_diagram` draw, on a given axes, an accuracy
  estimated without labels against the realized one, and how calibrated a model's confidence is.
* :func:`scenario_overview` draws a scenario of :mod:`mlcheckup.scenarios` as a learner should see it
  before building a monitor.

A script saves a figure with ``fig.savefig``. Taught in lessons 01 (dashboard, digit_grid), 04 (heatmap), 06 (estimates)
and in the scenarios' own pictures.
"""

from ._dashboard import Metric, dashboard, digit_grid, incident_spans
from ._drift import breach_ratio, heatmap
from ._labels import estimate_vs_realized, reliability_diagram
from ._scenario import scenario_overview

__all__ = ["Metric", "breach_ratio", "dashboard", "digit_grid", "estimate_vs_realized", "heatmap", "incident_spans",
           "reliability_diagram", "scenario_overview"]
