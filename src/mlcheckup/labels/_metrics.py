"""Realized performance from the labels that have arrived, with honest uncertainty (private).

A window's accuracy measured on 40 labels is not the same fact as one measured on 4,000: the
Wilson score interval says how far the true accuracy may be, and :func:`labels_needed` how many
labels a window must have for an interval of a given width. Regression gets MAE, MSE and RMSE
with a bootstrap interval. ``*_error`` metrics are better lower; accuracy is better higher.

Private to :mod:`mlcheckup.labels`; the public names are re-exported there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate
from ..errors import ValidationError

#: Regression metrics, as Azure's model performance signal names them (YAML keys mae, mse, rmse).
REGRESSION_METRICS = ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error")


def _z(confidence) -> float:
    confidence = _validate.fraction("confidence", confidence, exclusive=True, hint="e.g. 0.95")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion (accuracy = correct / labelled).

    Parameters
    ----------
    successes : int
        Correct predictions among the ``n`` labelled ones.
    n : int
        Labelled predictions; 0 gives ``(0.0, 1.0)``: nothing is known.
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : tuple of float
        Within [0, 1], around ``(successes + z²/2) / (n + z²)``.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(45, 50)]
    [0.7864, 0.9565]

    Taught in lesson 06, §3.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0 or not 0 <= successes <= n:
        raise ValidationError(f"need 0 <= successes <= n with n a whole number (got successes={successes!r}, n={n!r})")
    if n == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def labels_needed(width: float, accuracy: float = 0.9, confidence: float = 0.95) -> int:
    """The fewest labels for which a Wilson interval around ``accuracy`` is at most ``width`` wide.

    Examples
    --------
    >>> labels_needed(0.1, accuracy=0.9)
    141

    Taught in lesson 06, §3.
    """
    width = _validate.fraction("width", width, exclusive=True, hint="e.g. 0.1 for an interval 10 points wide")
    accuracy = _validate.fraction("accuracy", accuracy, hint="e.g. 0.9")
    z = _z(confidence)

    def wide(n: int) -> float:
        return 2 * z * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) / (1 + z * z / n)

    high = 1
    while wide(high) > width:
        high *= 2
    low = high // 2
    while high - low > 1:  # wide(low) > width >= wide(high)
        middle = (low + high) // 2
        low, high = (middle, high) if wide(middle) > width else (low, middle)
    return high


def realized_accuracy(table: pd.DataFrame, freq="1D", confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy per window of prediction time, on the labelled rows, with its Wilson interval.

    Parameters
    ----------
    table : pandas.DataFrame
        ``time``, ``prediction`` and ``label`` (NaN while unknown), e.g. :attr:`LabelJoin.table`.
    freq : str or datetime.timedelta, default "1D"
        Window length, in any spelling of :mod:`mlcheckup._validate` (``"1D"``, ``"P1D"``,
        ``"day"``, ``timedelta(days=1)``).

    Returns
    -------
    pandas.DataFrame
        Indexed by window start: ``predictions``, ``labelled``, ``coverage``, ``correct``,
        ``accuracy`` (NaN without labels), ``low``, ``high``.

    Taught in lesson 06, §3.
    """
    missing = {"time", "prediction", "label"} - set(getattr(table, "columns", []))
    if missing:
        raise ValidationError(f"table lacks {sorted(missing)}; pass labels_as_of(...).table")
    freq = _validate.pandas_freq(freq, "freq")
    rows = table.assign(_hit=(table["prediction"] == table["label"]).where(table["label"].notna()))
    frame = rows.groupby(pd.Grouper(key="time", freq=freq)).agg(
        predictions=("label", "size"), labelled=("label", "count"), correct=("_hit", "sum"))
    frame["correct"] = frame["correct"].astype(int)
    frame["coverage"] = frame["labelled"] / frame["predictions"].where(frame["predictions"] > 0)
    frame["accuracy"] = frame["correct"] / frame["labelled"].where(frame["labelled"] > 0)
    bounds = [wilson_interval(int(c), int(n), confidence) for c, n in zip(frame["correct"], frame["labelled"],
                                                                          strict=True)]
    frame["low"], frame["high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    frame.index.name = "window"
    return frame[["predictions", "labelled", "coverage", "correct", "accuracy", "low", "high"]]


def regression_metrics(actual, predicted) -> dict[str, float]:
    """MAE, MSE and RMSE of ``predicted`` against ``actual`` (rows where either is NaN left out).

    Examples
    --------
    >>> regression_metrics([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    {'mean_absolute_error': 0.5, 'mean_squared_error': 0.4166666666666667, 'root_mean_squared_error': 0.6454972243679028}

    Taught in lesson 06, §3.
    """
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    if actual.shape != predicted.shape or actual.ndim != 1:
        raise ValidationError(f"actual and predicted must be 1-D and of one length (got {actual.shape}, {predicted.shape})")
    keep = ~(np.isnan(actual) | np.isnan(predicted))
    errors = predicted[keep] - actual[keep]
    if errors.size == 0:
        return dict.fromkeys(REGRESSION_METRICS, float("nan"))
    mse = float(np.mean(errors ** 2))
    return {"mean_absolute_error": float(np.mean(np.abs(errors))), "mean_squared_error": mse,
            "root_mean_squared_error": math.sqrt(mse)}


def bootstrap_interval(actual, predicted, metric: str = "mean_absolute_error", *, confidence: float = 0.95,
                       resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval for one of :data:`REGRESSION_METRICS`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(1.5, 0.3, 400)
    >>> low, high = bootstrap_interval(truth, truth + rng.normal(0, 0.1, 400))
    >>> bool(0.07 < low < 0.08 < high < 0.09)
    True

    Taught in lesson 06, §3.
    """
    _validate.choice("metric", metric, REGRESSION_METRICS)
    _z(confidence)
    resamples = _validate.whole("resamples", resamples, 1, hint="e.g. resamples=1000")
    seed = _validate.whole("seed", seed, 0, hint="e.g. seed=0")
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    keep = ~(np.isnan(actual) | np.isnan(predicted))
    errors = predicted[keep] - actual[keep]
    if errors.size == 0:
        return float("nan"), float("nan")
    picks = np.random.default_rng(seed).integers(0, errors.size, (resamples, errors.size))
    sample = errors[picks]
    values = {"mean_absolute_error": np.abs(sample).mean(axis=1), "mean_squared_error": (sample ** 2).mean(axis=1)}
    values["root_mean_squared_error"] = np.sqrt(values["mean_squared_error"])
    low, high = np.quantile(values[metric], [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)
