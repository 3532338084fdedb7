"""Drift over time as a heatmap: one row per feature, one column per window.

:func:`heatmap` draws the table of :meth:`DriftDetector.over_time <mlcheckup.drift.DriftDetector.over_time>`
(or any table with its columns). Each cell is the window's metric divided by its threshold, so
that distances and tests, numerical and categorical features, share one colour scale whose
alarm line is 1: for a distance the ratio is ``value / threshold``, for a p-value (a breach is a
value *below* the threshold) it is ``threshold / value``. Red cells breach, blue cells do not.

Taught in lesson 04, §1 and §5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..drift import P_VALUE_METRICS
from ..errors import SchemaMismatchError, ValidationError
from ._figure import shown_once_figure

COLUMNS = ("window_start", "feature_name", "metric_name", "metric_value", "threshold_value")


def breach_ratio(metric_name, metric_value, threshold_value) -> np.ndarray:
    """How far each value is past its threshold, on a scale where above 1 is a breach.

    ``value / threshold`` for distances and rates, ``threshold / value`` for p-values; NaN where
    there is no threshold; ``inf`` for a p-value of 0 under a positive threshold.

    Examples
    --------
    >>> breach_ratio(["jensen_shannon_distance", "pearsons_chi_squared_test"], [0.2, 0.001], [0.1, 0.01]).tolist()
    [2.0, 10.0]
    """
    names = np.asarray(metric_name, dtype=object)
    value = np.asarray(metric_value, dtype=float)
    threshold = np.asarray(threshold_value, dtype=float)
    is_p = np.array([name in P_VALUE_METRICS for name in names.ravel()], dtype=bool).reshape(names.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(is_p, threshold / value, value / threshold)
    ratio = np.where(threshold > 0, ratio, np.nan)
    return np.where(is_p & (value == 0) & (threshold > 0), np.inf, ratio)


def _grid(table: pd.DataFrame, features: Sequence[str] | None) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(f"heatmap needs the DataFrame of DriftDetector.over_time (got {type(table).__name__})")
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise SchemaMismatchError(
            f"the table has no column {missing}; it has {list(table.columns)}. "
            "Pass the table of DriftDetector(...).over_time(...), which has one row per window, feature and metric"
        )
    metrics = table.groupby("feature_name")["metric_name"].nunique()
    several = sorted(metrics.index[metrics > 1])
    if several:
        raise ValidationError(
            f"features {several[:5]} have several metrics per window; keep one, e.g. "
            "table[table['metric_name'] == 'normalized_wasserstein_distance']"
        )
    ratio = breach_ratio(table["metric_name"].to_numpy(), table["metric_value"].to_numpy(),
                         table["threshold_value"].to_numpy())
    grid = table.assign(ratio=ratio).pivot(index="feature_name", columns="window_start", values="ratio")
    if features is None:
        features = list(dict.fromkeys(table["feature_name"]))
    unknown = [f for f in features if f not in grid.index]
    if unknown:
        raise SchemaMismatchError(f"features {unknown} are not in the table; it has {list(grid.index)}")
    return grid.loc[list(features)]


def heatmap(
    table: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    marks: Mapping[str, object] | None = None,
    title: str | None = None,
    vmax: float = 5.0,
    width: float = 10.0,
):
    """Draw drift over time: features down, windows across, colour = metric ÷ threshold.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :meth:`DriftDetector.over_time <mlcheckup.drift.DriftDetector.over_time>`:
        ``window_start, feature_name, metric_name, metric_value, threshold_value``, one metric per
        feature.
    features : sequence of str, optional
        Rows to draw, top to bottom (default: all, in the table's order).
    marks : dict of {str: timestamp}, optional
        Dashed vertical lines at the window that starts at (or just after) each time, labelled.
    title : str, optional
        Figure title: state the finding.
    vmax : float
        Ratio at the darkest red (and 1 / vmax at the darkest blue), on a log scale centred on 1,
        the threshold; ratios beyond are drawn in the end colours.
    width : float
        Figure width in inches (height follows the number of features).

    Returns
    -------
    matplotlib.figure.Figure
        One image (``fig.axes[0].images[0]``) whose array is the ratio grid, and a colour bar.

    Raises
    ------
    SchemaMismatchError
        If a column or a requested feature is missing.
    ValidationError
        If a feature has several metrics per window.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> weeks = pd.to_datetime(["2024-01-01", "2024-01-08"])
    >>> table = pd.DataFrame({"window_start": weeks, "feature_name": "price",
    ...                       "metric_name": "normalized_wasserstein_distance",
    ...                       "metric_value": [0.05, 0.25], "threshold_value": 0.1})
    >>> fig = heatmap(table)
    >>> fig.axes[0].images[0].get_array().tolist()
    [[0.5, 2.5]]
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import FuncNorm

    grid = _grid(table, features)
    if not vmax > 1:
        raise ValidationError(f"vmax must be above 1, the breach line (got {vmax!r})")
    starts = pd.DatetimeIndex(grid.columns)
    fig, ax = plt.subplots(figsize=(width, 1.2 + 0.26 * len(grid)), FigureClass=shown_once_figure())
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#dddddd")
    # A log scale centred on the threshold: half and twice the threshold are equally far from white,
    # and equal steps on the colour bar are equal ratios. Ratios beyond [1/vmax, vmax] take the end colours.
    def _forward(x):
        return np.log(np.clip(x, 1.0 / vmax, vmax))

    norm = FuncNorm((_forward, np.exp), vmin=1.0 / vmax, vmax=vmax)
    image = ax.imshow(np.ma.masked_invalid(grid.to_numpy(dtype=float)), aspect="auto", cmap=cmap,
                      norm=norm, interpolation="nearest")
    ax.set_yticks(range(len(grid)), list(grid.index), fontsize=8)
    quarters = [i for i, start in enumerate(starts) if start.month in (1, 4, 7, 10) and start.day <= 7]
    ticks = quarters if len(quarters) >= 2 else list(range(0, len(starts), max(1, len(starts) // 8)))
    ax.set_xticks(ticks, [f"{starts[i]:%Y-%m-%d}" if len(quarters) < 2 else f"{starts[i]:%Y-%m}" for i in ticks],
                  fontsize=8)
    for label, when in (marks or {}).items():
        column = int(starts.searchsorted(pd.Timestamp(when)))
        ax.axvline(column - 0.5, color="black", lw=1.5, ls="--")
        ax.text(column + 0.5, 0, f"← {label}", fontsize=8, va="center",
                bbox={"facecolor": "white", "alpha": 0.85, "linewidth": 0, "pad": 1.5})
    bar = fig.colorbar(image, ax=ax, label="metric ÷ threshold (> 1: breach)", pad=0.02)
    steps = [t for t in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0) if 1.0 / vmax <= t <= vmax]
    bar.set_ticks(steps, labels=[f"≤ {t:g}" if t == steps[0] else f"≥ {t:g}" if t == steps[-1] else f"{t:g}"
                                 for t in steps])
    bar.minorticks_off()
    ax.set_xlabel("window start", fontsize=9)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
