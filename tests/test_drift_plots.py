"""Tests of mlcheckup.plots.heatmap: the heatmap's grid, colours and marks, checked on the figure.

Expected ratios are computed here by hand from the table, never read from the code under test.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mlcheckup import SchemaMismatchError, ValidationError, drift, plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _table(rows):
    return pd.DataFrame(rows, columns=["window_start", "feature_name", "metric_name", "metric_value", "threshold_value"])


WEEKS = pd.date_range("2024-01-07", periods=3, freq="W-SUN")
TABLE = _table(
    [(w, "price", "normalized_wasserstein_distance", v, 0.1) for w, v in zip(WEEKS, (0.05, 0.2, 0.1), strict=True)]
    + [(w, "region", "pearsons_chi_squared_test", v, 0.01) for w, v in zip(WEEKS, (0.5, 0.001, 0.0), strict=True)]
)


def test_ratio_is_value_over_threshold_and_inverted_for_p_values():
    ratio = plots.breach_ratio(TABLE["metric_name"], TABLE["metric_value"], TABLE["threshold_value"])
    assert ratio.tolist() == pytest.approx([0.5, 2.0, 1.0, 0.02, 10.0, np.inf])


def test_ratio_is_nan_without_a_threshold():
    ratio = plots.breach_ratio(["jensen_shannon_distance", "population_stability_index"], [0.3, 0.2], [np.nan, 0.0])
    assert np.isnan(ratio).all()


def test_heatmap_draws_one_row_per_feature_one_column_per_window():
    fig = plots.heatmap(TABLE, features=["region", "price"], title="t")
    ax = fig.axes[0]
    grid = ax.images[0].get_array()
    assert grid.shape == (2, 3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["region", "price"]
    assert grid[1].tolist() == pytest.approx([0.5, 2.0, 1.0])
    assert grid[0, :2].tolist() == pytest.approx([0.02, 10.0])
    assert ax.get_title() == "t"
    assert len(fig.axes) == 2  # the heatmap and its colour bar


def test_colours_split_at_the_breach_line():
    image = plots.heatmap(TABLE).axes[0].images[0]
    below, at, above = image.to_rgba(np.array([0.5, 1.0, 2.0]))
    assert below[2] > below[0] and above[0] > above[2]  # blue below 1, red above
    assert at[:3] == pytest.approx((at[0], at[0], at[0]), abs=0.03)  # white at 1


def test_marks_draw_a_line_before_the_window_they_start():
    fig = plots.heatmap(TABLE, marks={"incident": "2024-01-14"})
    lines = [line.get_xdata()[0] for line in fig.axes[0].lines]
    assert lines == [0.5]
    assert any("incident" in text.get_text() for text in fig.axes[0].texts)


def test_heatmap_of_a_drift_monitor_table():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(["a", "b"], 400)})
    times = pd.date_range("2024-01-01", periods=28, freq="D").repeat(20)
    production = pd.DataFrame({"time": times, "x": rng.normal(size=len(times)), "c": rng.choice(["a", "b"], len(times))})
    table = drift.DriftDetector(reference, frequency="week").over_time(production, time_column="time")
    grid = plots.heatmap(table).axes[0].images[0].get_array()
    assert grid.shape == (2, table["window_start"].nunique())
    first = table[table["window_start"] == table["window_start"].min()].set_index("feature_name")
    assert grid[0, 0] == pytest.approx(first.loc["x", "metric_value"] / 0.1)


def test_errors_say_what_to_pass():
    with pytest.raises(SchemaMismatchError, match="over_time"):
        plots.heatmap(TABLE.drop(columns="threshold_value"))
    with pytest.raises(SchemaMismatchError, match="bags"):
        plots.heatmap(TABLE, features=["bags"])
    two = pd.concat([TABLE, TABLE.assign(metric_name="population_stability_index")])
    with pytest.raises(ValidationError, match="several metrics"):
        plots.heatmap(two)
    with pytest.raises(ValidationError, match="vmax"):
        plots.heatmap(TABLE, vmax=1)
    with pytest.raises(ValidationError, match="DataFrame"):
        plots.heatmap([1, 2])
