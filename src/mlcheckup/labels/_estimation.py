"""Performance without labels: calibrated confidence as an estimate of accuracy (private).

If a classifier's confidence meant what it says (of the predictions made at 0.8, 80 % right),
the mean confidence of a window would be its expected accuracy, known the moment the window
closes, days before its labels. Confidence rarely means what it says, so it is first
*calibrated* on a reference window whose labels are known: equal-width bins of confidence,
each mapped to the accuracy observed in it (histogram binning). The reliability table shows
the mismatch, and the expected calibration error (ECE, better lower) sums it up.

This is the idea behind confidence-based performance estimation. It holds while the link
between inputs and labels holds (covariate shift: images change, confidence follows), and
fails when the link changes (concept shift: the same images now mean another label, the
model is as sure as ever and wrong).

Private to :mod:`mlcheckup.labels`; the public names are re-exported there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError


def _pair(confidence, correct) -> tuple[np.ndarray, np.ndarray]:
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if confidence.ndim != 1 or confidence.shape != correct.shape:
        raise ValidationError(f"confidence and correct must be 1-D and of one length (got {confidence.shape}, "
                              f"{correct.shape})")
    if confidence.size and (np.isnan(confidence).any() or confidence.min() < 0 or confidence.max() > 1):
        raise ValidationError("confidence must hold numbers in [0, 1] (a probability); "
                              f"got values from {np.nanmin(confidence):g} to {np.nanmax(confidence):g}")
    return confidence, correct


def bin_index(confidence, bins: int = 10) -> np.ndarray:
    """Equal-width bin of each confidence: ``[k/bins, (k+1)/bins)``, the last bin closed at 1."""
    confidence = np.asarray(confidence, dtype=float)
    return np.minimum((confidence * _validate.whole("bins", bins, 1, words="of bins, 1 or more", hint="e.g. bins=10")).astype(int), bins - 1)


def reliability_table(confidence, correct, bins: int = 10) -> pd.DataFrame:
    """Per confidence bin: ``rows``, mean ``confidence``, observed ``accuracy`` and the ``gap`` between them.

    Parameters
    ----------
    confidence : array-like of float in [0, 1]
        The model's confidence in each prediction (its top class probability).
    correct : array-like of bool
        Whether each prediction was right.
    bins : int, default 10
        Equal-width bins over [0, 1]; every bin is listed, empty ones with NaN.

    Taught in lesson 06, §4.
    """
    confidence, correct = _pair(confidence, correct)
    index = bin_index(confidence, bins)
    frame = pd.DataFrame({"bin": index, "confidence": confidence, "accuracy": correct})
    table = frame.groupby("bin").agg(rows=("bin", "size"), confidence=("confidence", "mean"),
                                     accuracy=("accuracy", "mean")).reindex(range(bins))
    table["rows"] = table["rows"].fillna(0).astype(int)
    table.insert(0, "low", np.arange(bins) / bins)
    table.insert(1, "high", np.arange(1, bins + 1) / bins)
    table["gap"] = table["accuracy"] - table["confidence"]
    return table


def expected_calibration_error(confidence, correct, bins: int = 10) -> float:
    """ECE: the row-weighted mean of |accuracy - mean confidence| over equal-width bins (0 is perfect).

    Examples
    --------
    >>> expected_calibration_error([0.95, 0.95, 0.55, 0.55], [1, 1, 1, 0])
    0.05

    Taught in lesson 06, §4.
    """
    table = reliability_table(confidence, correct, bins)
    if table["rows"].sum() == 0:
        raise ValidationError("expected_calibration_error needs at least one prediction")
    used = table[table["rows"] > 0]
    return float(round((used["rows"] * used["gap"].abs()).sum() / used["rows"].sum(), 12))


class ConfidenceCalibrator:
    """Histogram-binning calibration of a classifier's confidence, fitted on a labelled reference window.

    Parameters
    ----------
    bins : int, default 10
        Equal-width confidence bins. A bin the reference leaves empty keeps the raw confidence.

    Examples
    --------
    >>> calibrator = ConfidenceCalibrator(bins=2).fit([0.9, 0.9, 0.9, 0.6], [1, 1, 0, 1])
    >>> calibrator.calibrate([0.95, 0.7, 0.3]).tolist()  # bin [0.5, 1] was right 3 times in 4; [0, 0.5) is empty
    [0.75, 0.75, 0.3]
    >>> calibrator.expected_accuracy([0.95, 0.3])
    0.525

    Taught in lesson 06, §4.
    """

    def __init__(self, bins: int = 10) -> None:
        self.bins = _validate.whole("bins", bins, 1, words="of bins, 1 or more", hint="e.g. bins=10")
        self.table: pd.DataFrame | None = None

    def __repr__(self) -> str:
        state = "not fitted" if self.table is None else f"fitted on {int(self.table['rows'].sum())} rows"
        return f"ConfidenceCalibrator(bins={self.bins}, {state})"

    def fit(self, confidence, correct) -> ConfidenceCalibrator:
        """Learn the accuracy of each confidence bin on a reference window (labels known)."""
        self.table = reliability_table(confidence, correct, self.bins)
        return self

    def calibrate(self, confidence) -> np.ndarray:
        """The probability each prediction is right: its bin's reference accuracy."""
        if self.table is None:
            raise ValidationError("this ConfidenceCalibrator is not fitted; call .fit(confidence, correct) "
                                  "on a reference window first")
        confidence, _ = _pair(confidence, np.zeros(np.shape(confidence)))
        accuracy = self.table["accuracy"].to_numpy()[bin_index(confidence, self.bins)]
        return np.where(np.isnan(accuracy), confidence, accuracy)

    def expected_accuracy(self, confidence) -> float:
        """The estimated accuracy of a window: the mean calibrated confidence (NaN for no rows)."""
        values = self.calibrate(confidence)
        return float(values.mean()) if values.size else float("nan")


def estimated_accuracy(table: pd.DataFrame, calibrator: ConfidenceCalibrator, freq="1D") -> pd.Series:
    """Estimated accuracy per window of prediction time, from ``table``'s ``time`` and ``confidence``.

    ``freq`` is the window length, in any spelling of :mod:`mlcheckup._validate` (``"1D"``,
    ``"P1D"``, ``"day"``, ``timedelta(days=1)``).

    Taught in lesson 06, §4.
    """
    freq = _validate.pandas_freq(freq, "freq")
    missing = {"time", "confidence"} - set(getattr(table, "columns", []))
    if missing:
        raise ValidationError(f"table lacks {sorted(missing)}; it needs the collected confidence and the time")
    grouped = table.groupby(pd.Grouper(key="time", freq=freq))["confidence"]
    series = grouped.apply(lambda values: calibrator.expected_accuracy(values.to_numpy()))
    series.index.name = "window"
    return series.rename("estimated")
