"""A performance alarm over time: what a daily monitor knows about each window, and when it pages (private).

A performance monitor runs on a schedule (Azure's runs daily). Each run looks back at the
windows of predictions that have closed and knows two things about each: the label-free
*estimate* of its accuracy, complete the moment the window closes, and its *realized*
accuracy on the labels that have arrived so far, with a Wilson interval that narrows (and a
value that settles, as corrections replace wrong first labels) over the following days.
:func:`alarm_status` builds that table for one run; :func:`replay_alarm` replays every run of
a scenario, asks a decision function about each window, and returns the pages it sent, ready
for :meth:`mlcheckup.scenarios.Scenario.score`. :func:`replay_scenario` does it all for a fresh
digits scenario, scored by a model in process (the served model gives the same predictions; the
lesson serves it, hidden tests need many scenarios fast).

Private to :mod:`mlcheckup.labels`; the public names are re-exported there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from ._estimation import ConfidenceCalibrator, estimated_accuracy
from ._feed import ground_truth_feed
from ._join import labels_as_of
from ._metrics import realized_accuracy

#: Columns of :func:`alarm_status`, the fields a decision function may read.
STATUS_COLUMNS = ("estimated", "predictions", "labelled", "coverage", "correct", "accuracy", "low", "high",
                  "age_days")
#: Columns of :func:`replay_alarm`'s pages.
PAGE_COLUMNS = ("time", "window", "reason")


def alarm_status(predictions: pd.DataFrame, feed: pd.DataFrame, calibrator: ConfidenceCalibrator, as_of,
                 freq="1D", *, estimated: pd.Series | None = None) -> pd.DataFrame:
    """What a monitor running at ``as_of`` knows about every window of predictions closed by then.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Collected predictions: ``correlationid``, ``time``, ``prediction``, ``confidence``.
    feed : pandas.DataFrame
        Ground-truth events (``correlationid``, ``label``, ``labeled_at``), e.g. ``LabelFeed.events``.
    calibrator : ConfidenceCalibrator
        Fitted on a labelled reference window.
    as_of : time-like
        When the monitor runs.
    freq : str or datetime.timedelta, default "1D"
        Window length, in any spelling of :mod:`mlcheckup._validate`.
    estimated : pandas.Series, optional
        :func:`estimated_accuracy` per window, if already computed (it does not depend on ``as_of``).

    Returns
    -------
    pandas.DataFrame
        Indexed by window start, columns :data:`STATUS_COLUMNS`: the estimate, the realized
        accuracy as of ``as_of`` with its Wilson interval (``accuracy`` NaN without labels,
        ``low, high`` = 0, 1), and ``age_days``, the days since the window closed.

    Taught in lesson 06, §5.
    """
    as_of, step = pd.Timestamp(as_of), pd.Timedelta(_validate.pandas_freq(freq, "freq"))
    seen = predictions[predictions["time"] < as_of]
    if estimated is None:
        estimated = estimated_accuracy(seen, calibrator, freq)
    status = realized_accuracy(labels_as_of(seen, feed, as_of).table, freq)
    status = status[status.index + step <= as_of]
    status.insert(0, "estimated", estimated.reindex(status.index))
    status["age_days"] = (as_of - (status.index + step)) / pd.Timedelta(days=1)
    return status[list(STATUS_COLUMNS)]


def replay_alarm(decide: Callable, predictions: pd.DataFrame, feed: pd.DataFrame,
                 calibrator: ConfidenceCalibrator, *, start, end, every="1D", **options) -> pd.DataFrame:
    """Run a monitor every ``every`` from ``start`` to ``end`` and page when ``decide`` says so.

    At each run, ``decide(window, **options)`` is called on every closed window (a row of
    :func:`alarm_status`, a :class:`pandas.Series`) that has not paged yet; a truthy answer
    (``"estimate"``, ``"labels"``...) pages once for that window, at the time of the run.

    Returns
    -------
    pandas.DataFrame
        One row per page, columns :data:`PAGE_COLUMNS`; ``scenario.score(pages["time"])`` scores it.

    Raises
    ------
    ValidationError
        If ``decide`` is not callable, or ``end`` is not after ``start``.

    Taught in lesson 06, §5.
    """
    if not callable(decide):
        raise ValidationError(f"decide must be a function of one window (got {decide!r}), e.g. decide=page")
    start, end, step = pd.Timestamp(start), pd.Timestamp(end), pd.Timedelta(_validate.pandas_freq(every, "every"))
    if not end > start:
        raise ValidationError(f"end must be after start (got start={start}, end={end})")
    estimated = estimated_accuracy(predictions, calibrator, every)
    pages: list[tuple] = []
    paged: set = set()
    for run in pd.date_range(start + step, end, freq=step):
        status = alarm_status(predictions, feed, calibrator, run, every, estimated=estimated)
        for window, row in status.drop(index=list(paged), errors="ignore").iterrows():
            reason = decide(row, **options)
            if reason:
                pages.append((run, window, str(reason)))
                paged.add(window)
    return pd.DataFrame(pages, columns=list(PAGE_COLUMNS))


def replay_scenario(decide: Callable, scenario, model, *, seed: int = 0, calibration_days: float = 3,
                    every="1D", **options) -> pd.DataFrame:
    """:func:`replay_alarm` on a digits scenario: score it with ``model``, feed its labels late, page.

    The first ``calibration_days`` days, whose labels the answer key gives, calibrate the
    estimate; the labels then arrive through :func:`ground_truth_feed` (``seed``: its defaults,
    late, missing, duplicated and corrected).

    Parameters
    ----------
    decide : callable
        ``decide(window, **options)``, as in :func:`replay_alarm`.
    scenario : mlcheckup.scenarios.Scenario
        A digits scenario (``scenarios.make("gradual", ...)``, ``"concept"``...).
    model : classifier
        A fitted scikit-learn classifier with ``predict_proba`` (the served one).

    Returns
    -------
    pandas.DataFrame
        The pages, columns :data:`PAGE_COLUMNS`; ``scenario.score(pages["time"])`` scores them.

    Taught in lesson 06, §5.
    """
    if getattr(scenario, "dataset", None) != "digits":
        raise ValidationError(f"replay_scenario needs a digits scenario (got {scenario!r}); "
                              "make one with scenarios.make('gradual') or another digits kind")
    if not hasattr(model, "predict_proba"):
        raise ValidationError(f"model must be a fitted classifier with predict_proba (got {type(model).__name__})")
    probabilities = model.predict_proba(np.nan_to_num(np.asarray(scenario.X, dtype=float)))
    truth = np.asarray(scenario.y)
    predictions = pd.DataFrame({"correlationid": [f"replay-{i}_0" for i in range(len(truth))],
                                "time": scenario.times.to_numpy(),
                                "prediction": np.asarray(model.classes_)[probabilities.argmax(axis=1)],
                                "confidence": probabilities.max(axis=1)})
    known = (predictions["time"] < scenario.start + pd.Timedelta(days=calibration_days)).to_numpy()
    calibrator = ConfidenceCalibrator().fit(predictions["confidence"][known],
                                            (predictions["prediction"] == truth)[known])
    feed = ground_truth_feed(predictions, truth, seed=seed)
    return replay_alarm(decide, predictions, feed.events, calibrator, start=scenario.start, end=scenario.end,
                        every=every, **options)
