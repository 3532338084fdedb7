"""The two pictures of lesson 06: estimated against realized accuracy, and a reliability diagram (private)."""

from __future__ import annotations

import pandas as pd


def _closed(frame):
    """``frame`` with its last row repeated one window later, so that a post-step draws the last window whole."""
    if len(frame) < 2:
        return frame
    end = frame.index[-1] + (frame.index[-1] - frame.index[-2])
    return pd.concat([frame, frame.iloc[[-1]].set_axis([end])])


def estimate_vs_realized(ax, realized: pd.DataFrame, estimated: pd.Series | None, incidents: pd.DataFrame | None = None, *,
                  title: str | None = None):
    """Realized accuracy per window with its interval, the label-free estimate, and the incidents.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    realized : pandas.DataFrame
        :func:`mlcheckup.labels.realized_accuracy` (``accuracy``, ``low``, ``high`` per window).
    estimated : pandas.Series or None
        :func:`mlcheckup.labels.estimated_accuracy`, on the same windows; None draws no estimate.
    incidents : pandas.DataFrame, optional
        A scenario's incident table: each incident is shaded from ``start`` to ``end``.

    Returns
    -------
    matplotlib.axes.Axes

    Taught in lesson 06, §4.
    """
    realized = _closed(realized)
    ax.fill_between(realized.index, realized["low"], realized["high"], step="post", color="tab:blue", alpha=0.2,
                    lw=0, label="realized, 95 % Wilson interval")
    ax.step(realized.index, realized["accuracy"], where="post", color="tab:blue", lw=2, label="realized (labels)")
    if estimated is not None:
        estimated = _closed(estimated)
        ax.step(estimated.index, estimated.to_numpy(), where="post", color="tab:orange", lw=2, ls="--",
                label="estimated (calibrated confidence)")
    for number, (_, incident) in enumerate((incidents if incidents is not None else pd.DataFrame()).iterrows()):
        ax.axvspan(incident["start"], incident["end"], color="grey", alpha=0.12, lw=0,
                   label="incident (answer key)" if number == 0 else None)
        ax.annotate(f"{incident['shift']} shift", (incident["start"], 0.02), xycoords=("data", "axes fraction"),
                    fontsize=8, color="dimgrey")
    ax.set(ylabel="accuracy per day", title=title)
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def reliability_diagram(ax, table: pd.DataFrame, *, title: str | None = None):
    """A reliability diagram: observed accuracy per confidence bin against the diagonal.

    ``table`` is :func:`mlcheckup.labels.reliability_table`. Each bin is drawn twice: a bar as
    wide as the bin and as high as its observed accuracy, labelled with its row count, and a dot
    at (the bin's mean confidence, its observed accuracy), which lies on the diagonal when the
    model is calibrated.

    Taught in lesson 06, §4.
    """
    used = table[table["rows"] > 0]
    width = (used["high"] - used["low"]).to_numpy()
    ax.bar(used["low"], used["accuracy"], width=width, align="edge", color="tab:blue", alpha=0.6,
           edgecolor="white", label="accuracy of the bin")
    ax.plot([0, 1], [0, 1], color="black", lw=1, ls=":", label="perfect calibration")
    ax.scatter(used["confidence"], used["accuracy"], color="tab:orange", zorder=3, s=18,
               label="accuracy at the bin's mean confidence")
    for low, step, acc, rows in zip(used["low"], width, used["accuracy"], used["rows"], strict=True):
        ax.annotate(f"{rows}", (low + step / 2, acc), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1.08), xlabel="confidence (top class probability)", ylabel="accuracy", title=title)
    return ax
