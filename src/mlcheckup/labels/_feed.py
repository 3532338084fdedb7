"""Ground truth that arrives late: a seeded feed of labels for collected predictions (private).

Real labels come from people and processes: a reviewer, a chargeback, a customer's reply. They
arrive days after the prediction, some never, some twice, some wrong and corrected later, and
a feed always carries a few rows that cannot be used (an id that was never served, a label
stamped before its prediction, a label that is not a number). :func:`ground_truth_feed` makes
such a feed from a table of predictions and the answer key of their true labels.

Private to :mod:`mlcheckup.labels`; the public names are re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError

#: Columns of :attr:`LabelFeed.events`, in order.
FEED_COLUMNS = ("correlationid", "label", "labeled_at")
#: What can happen to one prediction's label, as :attr:`LabelFeed.answer` records it.
FATES = ("on time", "missing", "duplicated", "corrected")
_GARBLED = ("seven?", "", "n/a", "unknown", "1O")


@dataclass(frozen=True, repr=False)
class LabelFeed:
    """A ground-truth feed and its answer key (made by :func:`ground_truth_feed`).

    Attributes
    ----------
    events : pandas.DataFrame
        What the labelling process sends, in arrival order: ``correlationid``, ``label``
        (object dtype: numbers, and text where a label is garbled) and ``labeled_at``.
    answer : pandas.DataFrame
        The answer key, one row per prediction: ``correlationid``, ``label`` (the true one),
        ``fate`` (one of :data:`FATES`) and ``final_at`` (when the true label is known for
        good; NaT if never).
    bad : dict
        How many unusable rows the feed carries, by kind: ``unknown id``, ``before prediction``,
        ``non-numeric``.
    """

    events: pd.DataFrame
    answer: pd.DataFrame
    bad: dict

    def __repr__(self) -> str:
        fates = self.answer["fate"].value_counts().reindex(FATES, fill_value=0)
        return (f"LabelFeed({len(self.events)} label rows for {len(self.answer)} predictions: "
                + ", ".join(f"{count} {fate}" for fate, count in fates.items())
                + f"; {sum(self.bad.values())} unusable)")


def _delays(rng: np.random.Generator, n: int, median: pd.Timedelta, spread: float) -> pd.TimedeltaIndex:
    """Log-normal delays: half shorter than ``median``, a long tail of late ones."""
    hours = median / pd.Timedelta(hours=1) * np.exp(spread * rng.standard_normal(n))
    return pd.to_timedelta(np.round(hours * 3600), unit="s")


def _wrong(rng: np.random.Generator, truth: np.ndarray) -> np.ndarray:
    """A plausible wrong label for each true one: another class, or a number off by a std."""
    if np.issubdtype(truth.dtype, np.integer):
        classes = np.unique(truth)
        if classes.size < 2:
            return truth + 1
        offsets = rng.integers(1, classes.size, truth.size)
        return classes[(np.searchsorted(classes, truth) + offsets) % classes.size]
    scale = float(np.std(truth)) or 1.0
    return np.round(truth + scale * np.where(rng.random(truth.size) < 0.5, -1, 1), 2)


def ground_truth_feed(predictions: pd.DataFrame, truth, *, seed: int = 0, median_delay="2D", spread: float = 0.8,
                      missing: float = 0.1, duplicates: float = 0.05, corrections: float = 0.05,
                      unknown: int = 5, early: int = 5, garbled: int = 5) -> LabelFeed:
    """A seeded ground-truth feed for ``predictions``, late, partial, duplicated and corrected.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One row per scored row, with ``correlationid`` (Azure's ``<correlationid>_<row>``) and
        ``time`` (when it was scored).
    truth : array-like of shape (n_predictions,)
        The true label (or target) of each prediction: the answer key.
    seed : int
        The same seed gives the same feed.
    median_delay : str or datetime.timedelta, default "2D"
        Half the labels arrive sooner than this after their prediction; any spelling of
        :mod:`mlcheckup._validate` (``"2D"``, ``"P2D"``, ``"day"``, ``timedelta(days=2)``).
    spread : float, default 0.8
        The log-normal spread of the delays (0: every label after exactly ``median_delay``).
    missing, duplicates, corrections : float
        Shares of predictions that never get a label, get the same label twice (the second
        later), or first get a wrong label and then the right one (later still).
    unknown, early, garbled : int
        Unusable rows added: labels for ids that were never served, labels stamped before
        their prediction, and labels that are not numbers.

    Returns
    -------
    LabelFeed

    Raises
    ------
    ValidationError
        If ``predictions`` lacks a column, ``truth`` has another length, or a setting is out of range.

    Examples
    --------
    >>> predictions = pd.DataFrame({"correlationid": [f"r{i}_0" for i in range(200)],
    ...                             "time": pd.date_range("2024-03-04", periods=200, freq="h")})
    >>> feed = ground_truth_feed(predictions, np.arange(200) % 10, seed=1)
    >>> feed.bad
    {'unknown id': 5, 'before prediction': 5, 'non-numeric': 5}
    >>> int((feed.answer["fate"] == "missing").sum())
    20

    Taught in lesson 06, §2.
    """
    if not isinstance(predictions, pd.DataFrame) or not {"correlationid", "time"} <= set(predictions.columns):
        got = list(predictions.columns) if isinstance(predictions, pd.DataFrame) else type(predictions).__name__
        raise ValidationError(f"predictions must be a DataFrame with columns 'correlationid' and 'time' (got {got}); "
                              "build it from the collected model_outputs")
    truth = np.asarray(truth)
    n = len(predictions)
    if truth.shape != (n,):
        raise ValidationError(f"truth must hold one label per prediction ({n}), got shape {truth.shape}")
    shares = {name: _validate.fraction(name, value, hint="for 10 % pass 0.1") for name, value in
              (("missing", missing), ("duplicates", duplicates), ("corrections", corrections))}
    if sum(shares.values()) > 1.0:
        raise ValidationError(f"missing + duplicates + corrections must be at most 1 (got {sum(shares.values()):g})")
    counts = {name: _validate.whole(name, value, 0, words="of rows, 0 or more")
              for name, value in (("unknown", unknown), ("early", early), ("garbled", garbled))}
    median = _validate.duration(median_delay, "median_delay")
    spread = _validate.number("spread", spread, 0)
    seed = _validate.whole("seed", seed, 0, hint="e.g. seed=0")

    rng = np.random.default_rng(seed)
    ids = predictions["correlationid"].astype(str).to_numpy()
    times = pd.DatetimeIndex(predictions["time"])
    fate = np.full(n, FATES[0], dtype=object)
    order = rng.permutation(n)
    cuts = np.cumsum([round(shares["missing"] * n), round(shares["duplicates"] * n), round(shares["corrections"] * n)])
    for name, rows in zip(FATES[1:], np.split(order, cuts)[:3], strict=True):
        fate[rows] = name
    first = times + _delays(rng, n, median, spread)
    later = first + _delays(rng, n, median, spread)

    labelled = fate != "missing"
    rows = [pd.DataFrame({"correlationid": ids[labelled], "label": truth[labelled], "labeled_at": first[labelled]})]
    again = fate == "duplicated"
    rows.append(pd.DataFrame({"correlationid": ids[again], "label": truth[again], "labeled_at": later[again]}))
    fixed = fate == "corrected"
    rows[0].loc[fixed[labelled], "label"] = _wrong(rng, truth[fixed])
    rows.append(pd.DataFrame({"correlationid": ids[fixed], "label": truth[fixed], "labeled_at": later[fixed]}))

    span = (times.min(), times.max() + median)
    picked = rng.integers(0, n, counts["early"] + counts["garbled"])
    early_rows, garbled_rows = picked[:counts["early"]], picked[counts["early"]:]
    rows += [
        pd.DataFrame({"correlationid": [f"unknown-{seed}-{i:04d}_0" for i in range(counts["unknown"])],
                      "label": truth[rng.integers(0, n, counts["unknown"])],
                      "labeled_at": span[0] + (span[1] - span[0]) * rng.random(counts["unknown"])}),
        pd.DataFrame({"correlationid": ids[early_rows], "label": truth[early_rows],
                      "labeled_at": times[early_rows] - _delays(rng, early_rows.size, pd.Timedelta(hours=6), 0.5)}),
        pd.DataFrame({"correlationid": ids[garbled_rows], "label": rng.choice(_GARBLED, garbled_rows.size),
                      "labeled_at": first[garbled_rows] + pd.Timedelta(minutes=1)}),
    ]
    events = pd.concat([frame.astype({"label": object}) for frame in rows], ignore_index=True)
    events = events.sort_values("labeled_at", kind="stable", ignore_index=True)[list(FEED_COLUMNS)]
    final_at = pd.Series(np.where(fate == "corrected", later, first), dtype="datetime64[ns]")
    final_at[fate == "missing"] = pd.NaT
    answer = pd.DataFrame({"correlationid": ids, "label": truth, "fate": fate, "final_at": final_at})
    bad = {"unknown id": counts["unknown"], "before prediction": counts["early"], "non-numeric": counts["garbled"]}
    return LabelFeed(events, answer, bad)
