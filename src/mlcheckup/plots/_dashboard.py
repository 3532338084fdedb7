"""Small figures for monitoring: a dashboard of windowed metrics, and rows of digits.

* :func:`dashboard` draws small multiples: one row per stream (a deployment, a model, a region),
  one column per metric, one point per window. Each metric may carry a threshold (a dashed line);
  windows that breach it are drawn in red. Shaded spans mark what the answer key says happened.
* :class:`Metric` says what a dashboard column shows and when a value breaches.
* :func:`incident_spans` turns a scenario's incidents into spans on the window axis of
  :meth:`Scenario.windows <mlcheckup.scenarios.Scenario.windows>` (window 1 is the first).
* :func:`digit_grid` shows rows of 8×8 digits, each captioned with its true label, and with the
  model's answer in red when it is wrong.

Taught in lesson 01 (§1, §2 and §3.5); later lessons reuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import SchemaMismatchError, ValidationError
from ._figure import shown_once_figure

LINE = "#1f77b4"
BREACH = "#d62728"
SPAN = "#bbbbbb"
MISSING = "#f4b6b6"


@dataclass(frozen=True)
class Metric:
    """One column of a :func:`dashboard`: a column of the tables, and when its value breaches.

    Parameters
    ----------
    column : str
        Column of every table to draw.
    label : str, optional
        Title of the dashboard column, with its unit (default: ``column``).
    threshold : float, optional
        Alert threshold, in the table's units (before ``scale``); no line when None.
    breach : {"above", "below"}
        Whether a value breaches when it is above the threshold (drift, errors, latency) or below
        it (accuracy).
    scale : float
        Factor applied to values and threshold for display, e.g. 100 to show shares as %.
    ylim : (float or None, float or None), optional
        Limits of the y axis, in display units; ``(0, None)`` starts it at zero, so that noise
        around a flat level does not look like a trend.

    Examples
    --------
    >>> accuracy = Metric("accuracy", "accuracy (%)", threshold=0.9, breach="below", scale=100)
    >>> accuracy.breaches([0.95, 0.85, float("nan")]).tolist()
    [False, True, False]
    """

    column: str
    label: str | None = None
    threshold: float | None = None
    breach: str = "above"
    scale: float = 1.0
    ylim: tuple[float | None, float | None] | None = None

    def __post_init__(self) -> None:
        if self.breach not in ("above", "below"):
            raise ValidationError(
                f"breach must be 'above' or 'below' (got {self.breach!r}); use 'below' for metrics where lower "
                "is worse, such as accuracy"
            )

    def breaches(self, values: Any) -> np.ndarray:
        """True where a value breaches the threshold; missing values (NaN) never breach.

        The comparison is Azure's, in float32 (:func:`mlcheckup.drift.thresholds.past_threshold`),
        so a dashboard marks exactly the windows a monitor would alert on.
        """
        from ..drift.thresholds import past_threshold  # here: importing plots stays light

        values = np.asarray(values, dtype=float)
        if self.threshold is None:
            return np.zeros(values.shape, dtype=bool)
        return past_threshold(values, self.threshold, self.breach)


def _as_metric(metric: Metric | str) -> Metric:
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        return Metric(metric)
    raise ValidationError(f"each metric must be a Metric or a column name, got {type(metric).__name__}")


def _as_tables(tables: Mapping[str, pd.DataFrame] | pd.DataFrame) -> dict[str, pd.DataFrame]:
    if isinstance(tables, pd.DataFrame):
        tables = {"": tables}
    if not isinstance(tables, Mapping) or not tables:
        raise ValidationError("dashboard needs at least one table: a DataFrame, or a dict {row name: DataFrame}")
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise ValidationError(f"the table of row {name!r} is a {type(table).__name__}, not a pandas DataFrame")
    return dict(tables)


def dashboard(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    metrics: Sequence[Metric | str],
    *,
    spans: Mapping[str, Iterable[Sequence[float]]] | None = None,
    title: str | None = None,
    xlabel: str = "week",
    width: float = 9.0,
    row_height: float = 1.3,
):
    """Draw a dashboard: one row per table, one column per metric, one point per window.

    Parameters
    ----------
    tables : dict of {str: pandas.DataFrame}, or one DataFrame
        One table per row of the dashboard, named by its key; each has one row per window (the
        index is the x axis: window numbers, or dates) and one column per metric.
    metrics : sequence of Metric or str
        The columns to draw, left to right.
    spans : dict of {str: list of (start, end)}, optional
        Stretches of the x axis to shade in each row (same units as the index), for example the
        incidents of :func:`incident_spans`.
    title : str, optional
        Figure title: state the finding.
    xlabel : str
        Label of the x axis (bottom row).
    width, row_height : float
        Figure width and height of one row, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Rows share their x axis; each column shares its y axis, so rows compare at a glance.

    Raises
    ------
    ValidationError
        If there is no table or no metric.
    SchemaMismatchError
        If a table lacks a metric's column.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> weeks = pd.DataFrame({"accuracy": [0.96, 0.95, 0.83]}, index=[1, 2, 3])
    >>> fig = dashboard({"digits": weeks}, [Metric("accuracy", "accuracy (%)", 0.9, "below", 100)])
    >>> [ax.get_title() for ax in fig.axes], len(fig.axes[0].collections)   # the breach is a red dot
    (['accuracy (%)'], 1)
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    tables = _as_tables(tables)
    metrics = [_as_metric(metric) for metric in metrics]
    if not metrics:
        raise ValidationError("dashboard needs at least one metric (a Metric or a column name)")
    for name, table in tables.items():
        missing = [m.column for m in metrics if m.column not in table.columns]
        if missing:
            raise SchemaMismatchError(
                f"the table of row {name!r} has no column {missing}; it has {list(table.columns)}. "
                "Pass the names of existing columns, or add the missing ones to every table"
            )
    spans = spans or {}
    # room above the top row for the title and legend line, then the column titles (one or more lines)
    title_lines = max((metric.label or metric.column).count("\n") + 1 for metric in metrics)
    header = 0.38 + 0.14 * title_lines                                       # inches
    fig, axes = plt.subplots(len(tables), len(metrics), figsize=(width, header + 0.2 + row_height * len(tables)),
                             sharex=True, sharey="col", squeeze=False, FigureClass=shown_once_figure())
    for row, (name, table) in enumerate(tables.items()):
        for col, metric in enumerate(metrics):
            ax = axes[row, col]
            for span in spans.get(name, ()):
                ax.axvspan(span[0], span[1], color=SPAN, alpha=0.45, lw=0)
            values = table[metric.column].to_numpy(dtype=float)
            ax.plot(table.index, values * metric.scale, color=LINE, lw=1.2, marker="o", ms=2.5)
            hit = metric.breaches(values)
            if hit.any():
                ax.scatter(table.index[hit], values[hit] * metric.scale, color=BREACH, s=16, zorder=3)
            if metric.threshold is not None:
                ax.axhline(metric.threshold * metric.scale, color="#555555", ls="--", lw=0.8)
            ax.tick_params(labelsize=7)
            if row == 0:
                ax.set_title(metric.label or metric.column, fontsize=8)
            if col == 0 and name:
                ax.set_ylabel(name, fontsize=8)
        axes[row, 0].yaxis.label.set_fontweight("bold")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel, fontsize=8)
    for col, metric in enumerate(metrics):
        if metric.ylim is not None:  # after every row is drawn, so that None keeps the autoscaled end
            axes[0, col].set_ylim(*metric.ylim)
    index = next(iter(tables.values())).index
    if pd.api.types.is_integer_dtype(index) and 0 < len(index) <= 16:
        axes[-1, 0].set_xticks(list(index))
    handles = [Line2D([], [], color="#555555", ls="--", lw=0.8, label="threshold"),
               Line2D([], [], color=BREACH, marker="o", ls="", ms=4, label="breach")]
    if any(list(s) for s in spans.values()):
        handles.append(Patch(color=SPAN, alpha=0.45, label="incident (answer key)"))
    top = 1 - header / fig.get_figheight()
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=7, frameon=False,
               bbox_to_anchor=(0.99, 1 - 0.05 / fig.get_figheight()))
    if title:
        fig.suptitle(title, x=0.01, y=1 - 0.05 / fig.get_figheight(), ha="left", va="top", fontsize=10)
    fig.subplots_adjust(left=0.1, right=0.98, top=top, bottom=0.45 / fig.get_figheight() + 0.04,
                        hspace=0.25, wspace=0.35)
    return fig


def incident_spans(scenario: Any, freq="7D") -> list[tuple[float, float]]:
    """The incidents of a scenario as spans of the window axis, for :func:`dashboard`.

    Window ``k`` of ``scenario.windows(freq)`` (numbered from 1) is drawn at ``x = k`` and covers
    ``k - 0.5`` to ``k + 0.5``; an incident starting a third of the way into window 2 starts at
    ``x = 1.83``.

    Parameters
    ----------
    scenario : mlcheckup.scenarios.Scenario
    freq : str or datetime.timedelta, default "7D"
        The window length, in any spelling of :mod:`mlcheckup._validate` (``"7D"``, ``"P7D"``,
        ``"week"``, ``timedelta(days=7)``); months are refused.

    Returns
    -------
    list of (float, float)
        One ``(start, end)`` per incident, clipped to the stream.

    Examples
    --------
    >>> from mlcheckup import scenarios
    >>> drift = scenarios.make("sudden", seed=0, days=21, requests_per_hour=5, onset="2024-03-13")
    >>> incident_spans(drift, "7D")
    [(1.7857142857142858, 3.5)]
    """
    step = _validate.duration(freq, "freq")
    last = 0.5 + (scenario.end - scenario.start) / step
    spans = []
    for start, end in zip(scenario.incidents["start"], scenario.incidents["end"], strict=True):
        x0 = min(max(0.5 + (start - scenario.start) / step, 0.5), last)
        x1 = min(max(0.5 + (end - scenario.start) / step, 0.5), last)
        spans.append((float(x0), float(x1)))
    return spans


def _caption(label: Any, answer: Any) -> tuple[str, str]:
    if answer is None or answer == label:
        return f"{label}", "black"
    if isinstance(answer, int | np.integer) and answer < 0:
        return f"{label}: —", BREACH
    return f"{label}: said {answer}", BREACH


def digit_grid(
    rows: Mapping[str, tuple],
    *,
    split: int | None = None,
    group_titles: tuple[str, str] | None = None,
    width: float = 9.0,
):
    """Rows of 8×8 digit images, each captioned with its label (and a wrong answer in red).

    Parameters
    ----------
    rows : dict of {str: (images, labels) or (images, labels, answers)}
        Per row: an array of shape (n, 64) of pixels 0..16 (NaN where missing, shown in pink;
        values above 16 show as full ink), the true labels, and optionally the model's answers
        (a negative answer means the model gave none, captioned with a dash).
    split : int, optional
        Leave a gap after this many images of each row, to show two groups side by side.
    group_titles : (str, str), optional
        Titles above the two groups (needs ``split``).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValidationError
        If a row's images are not 64 pixels each, or its labels do not match them.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> images = np.zeros((2, 64)); images[:, 27:29] = 16
    >>> fig = digit_grid({"week 1": (images, [1, 1], [1, 7])})
    >>> [ax.get_title() for ax in fig.axes]
    ['1', '1: said 7']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValidationError("digit_grid needs at least one row: {name: (images, labels[, answers])}")
    checked = {}
    for name, parts in rows.items():
        images = np.asarray(parts[0], dtype=float)
        if images.ndim != 2 or images.shape[1] != 64:
            raise ValidationError(f"row {name!r}: images must have shape (n, 64), got {images.shape}")
        labels = list(parts[1])
        answers = list(parts[2]) if len(parts) > 2 and parts[2] is not None else [None] * len(labels)
        if not len(labels) == len(answers) == len(images):
            raise ValidationError(
                f"row {name!r}: {len(images)} images, {len(labels)} labels and {len(answers)} answers; "
                "pass one label (and answer) per image"
            )
        checked[name] = (images, labels, answers)
    gap = 1 if split else 0
    n_cols = max(len(images) for images, _, _ in checked.values()) + gap
    cmap = plt.get_cmap("gray_r").with_extremes(bad=MISSING)
    fig = plt.figure(figsize=(width, 0.35 + 0.75 * len(checked) + (0.25 if group_titles else 0)),
                     FigureClass=shown_once_figure())
    grid = fig.add_gridspec(len(checked), n_cols, left=0.17, right=0.99, bottom=0.02,
                            top=1 - (0.45 if group_titles else 0.2) / fig.get_figheight(), wspace=0.15, hspace=0.45)
    for row, (name, (images, labels, answers)) in enumerate(checked.items()):
        for i, (image, label, answer) in enumerate(zip(images, labels, answers, strict=True)):
            ax = fig.add_subplot(grid[row, i + (gap if split and i >= split else 0)])
            ax.imshow(np.ma.masked_invalid(image.reshape(8, 8)), cmap=cmap, vmin=0, vmax=16)
            text, colour = _caption(label, answer)
            ax.set_title(text, fontsize=7, color=colour, pad=2)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.text(-0.25, 0.5, name, transform=ax.transAxes, ha="right", va="center", fontsize=8)
    if group_titles and split:
        left_edge, right_edge = 0.17, 0.99
        column = (right_edge - left_edge) / n_cols
        y = 1 - 0.12 / fig.get_figheight()
        fig.text(left_edge + column * split / 2, y, group_titles[0], ha="center", va="top", fontsize=8)
        fig.text(left_edge + column * (split + gap + (n_cols - split - gap) / 2), y, group_titles[1],
                 ha="center", va="top", fontsize=8)
    return fig
