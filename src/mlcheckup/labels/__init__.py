"""Model performance when the truth arrives late: ground truth, realized and estimated performance.

In production a prediction's label arrives days later, or never, or twice, or wrong and then
corrected. This package holds what lesson 06 teaches, in the order it teaches it:

* ``serve_scenario(endpoint, scenario, name=...)``: a digits scenario scored by a served model,
  read back from the real data collector, one row per collected prediction;
* ``ground_truth_feed(predictions, truth, seed=...)``: a seeded, late, partial, duplicated and
  corrected label feed (:class:`LabelFeed`), with unusable rows and an answer key;
* ``labels_as_of(predictions, feed, as_of)``: the labels known at a time joined by correlation
  id, the latest winning, every unusable row counted (:class:`LabelJoin`, with ``coverage``);
* ``realized_accuracy``, ``wilson_interval``, ``labels_needed``, ``regression_metrics``,
  ``bootstrap_interval``: performance on the labels that arrived, with its uncertainty;
* ``reliability_table``, ``expected_calibration_error``, :class:`ConfidenceCalibrator`,
  ``estimated_accuracy``: performance estimated from calibrated confidence, before labels
  (:func:`mlcheckup.plots.estimate_vs_realized` draws it against the realized one);
* ``alarm_status(predictions, feed, calibrator, as_of)``, ``replay_alarm(decide, ...)``: what a
  daily performance monitor knows about each closed window (estimate now, labels later), and the
  pages a decision function sends over a scenario, ready for ``scenario.score``
  (``replay_scenario(decide, scenario, model)`` for a fresh digits scenario, in process).

``*_error`` values are better lower, accuracy better higher. The Azure ``ModelPerformanceSignal``
is built in :func:`mlcheckup.model_monitor.performance_signal`.

Examples
--------
>>> import pandas as pd
>>> from mlcheckup import labels
>>> predictions = pd.DataFrame({"correlationid": ["a_0", "a_1"], "prediction": [7, 1],
...                             "time": pd.to_datetime(["2024-03-04 10:00", "2024-03-04 10:00"])})
>>> feed = pd.DataFrame({"correlationid": ["a_0", "a_1"], "label": [7, 7],
...                      "labeled_at": pd.to_datetime(["2024-03-05", "2024-03-09"])})
>>> labels.labels_as_of(predictions, feed, "2024-03-06").coverage("1D")["coverage"].tolist()
[0.5]

Taught in lesson 06.
"""

from ._alarm import PAGE_COLUMNS, STATUS_COLUMNS, alarm_status, replay_alarm, replay_scenario
from ._estimation import (
    ConfidenceCalibrator,
    bin_index,
    estimated_accuracy,
    expected_calibration_error,
    reliability_table,
)
from ._feed import FATES, FEED_COLUMNS, LabelFeed, ground_truth_feed
from ._join import REJECTIONS, LabelJoin, labels_as_of
from ._metrics import (
    REGRESSION_METRICS,
    bootstrap_interval,
    labels_needed,
    realized_accuracy,
    regression_metrics,
    wilson_interval,
)
from ._serve import serve_scenario

__all__ = [
    "FATES",
    "FEED_COLUMNS",
    "PAGE_COLUMNS",
    "REGRESSION_METRICS",
    "REJECTIONS",
    "STATUS_COLUMNS",
    "ConfidenceCalibrator",
    "LabelFeed",
    "LabelJoin",
    "alarm_status",
    "bin_index",
    "bootstrap_interval",
    "estimated_accuracy",
    "expected_calibration_error",
    "ground_truth_feed",
    "labels_as_of",
    "labels_needed",
    "realized_accuracy",
    "regression_metrics",
    "reliability_table",
    "replay_alarm",
    "replay_scenario",
    "serve_scenario",
    "wilson_interval",
]
