"""The figures of lesson 06, checked on the matplotlib objects they draw (expected values by hand)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mlcheckup import labels, plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_the_reliability_diagram_draws_each_dot_where_its_legend_says():
    # bin [0.9, 1.0]: 0.95, 0.95, 0.92 and 1.0, right 3 times in 4; bin [0.5, 0.6): 0.55, wrong
    table = labels.reliability_table([0.95, 0.95, 0.92, 1.0, 0.55], [1, 1, 0, 1, 0])
    _fig, ax = plt.subplots()
    plots.reliability_diagram(ax, table)
    (dots,) = ax.collections
    np.testing.assert_allclose(dots.get_offsets(), [[0.55, 0.0], [0.955, 0.75]])   # (mean confidence, accuracy)
    assert "accuracy" in dots.get_label() and "mean confidence" in dots.get_label()
    bars = ax.patches
    assert [(round(b.get_x(), 9), round(b.get_width(), 9), b.get_height()) for b in bars] == [
        (0.5, 0.1, 0.0), (0.9, 0.1, 0.75)]                                          # one bar per used bin
    assert [t.get_text() for t in ax.texts] == ["1", "4"]                             # rows per bin


def test_the_estimate_figure_draws_the_last_window_whole():
    days = pd.date_range("2024-03-04", periods=3, freq="1D")
    realized = pd.DataFrame({"accuracy": [0.9, 0.8, 0.7], "low": [0.8, 0.7, 0.6], "high": [1.0, 0.9, 0.8]}, index=days)
    _fig, ax = plt.subplots()
    plots.estimate_vs_realized(ax, realized, pd.Series([0.95, 0.9, 0.85], index=days))
    realized_line, estimate_line = ax.get_lines()
    assert realized_line.get_ydata()[-2:].tolist() == [0.7, 0.7]          # the last day has a level...
    assert pd.Timestamp(np.asarray(realized_line.get_xdata())[-1]) == pd.Timestamp("2024-03-07")  # ...to its end
    assert estimate_line.get_ydata()[-1] == 0.85
