"""Tests of mlcheckup.plots: what each figure draws, checked on the matplotlib objects it makes.

Expected values are literals or computed here by hand (breaching windows, span ends in window
units), never read from the code under test.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from mlcheckup import SchemaMismatchError, ValidationError, drift, plots, scenarios
from mlcheckup.plots._dashboard import BREACH


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _weeks(accuracy, drift):
    return pd.DataFrame({"accuracy": accuracy, "drift": drift}, index=range(1, len(accuracy) + 1))


METRICS = [
    plots.Metric("accuracy", "accuracy (%)", threshold=0.9, breach="below", scale=100),
    plots.Metric("drift", "drift", threshold=0.3),
]
TABLES = {
    "healthy": _weeks([0.96, 0.97, 0.96, 0.95], [0.01, 0.02, 0.0, 0.05]),
    "decaying": _weeks([0.96, 0.91, 0.85, 0.7], [0.02, 0.35, 0.6, float("nan")]),
}


def _red_points(ax) -> list[tuple[float, float]]:
    points = []
    for collection in ax.collections:
        if to_hex(collection.get_facecolor()[0]) == BREACH:
            points += [tuple(p) for p in collection.get_offsets().tolist()]
    return points


# --- Metric ----------------------------------------------------------------------------------------
def test_a_dashboard_breach_is_azures_breach_in_float32():
    """F28: a dashboard marks a breach exactly when drift.breached (Azure's float32 test) does."""
    value = 0.1 + 1e-12  # above 0.1 in float64, equal in float32
    assert not plots.Metric("drift", threshold=0.1).breaches([value])[0]
    assert not drift.breached("jensen_shannon_distance", value, 0.1)
    assert plots.Metric("p", threshold=0.05, breach="below").breaches([0.049]).tolist() == [True]


def test_metric_breaches_in_its_direction_and_never_on_missing_values():
    below = plots.Metric("accuracy", threshold=0.9, breach="below")
    above = plots.Metric("drift", threshold=0.3)
    values = [0.95, 0.9, 0.89, np.nan, 0.31]
    assert below.breaches(values).tolist() == [False, False, True, False, True]
    assert above.breaches(values).tolist() == [True, True, True, False, True]
    assert plots.Metric("latency").breaches(values).tolist() == [False] * 5   # no threshold, no breach


def test_metric_rejects_an_unknown_direction_with_a_next_step():
    with pytest.raises(ValidationError, match=r"'above' or 'below'.*got 'lower'"):
        plots.Metric("accuracy", threshold=0.9, breach="lower")


# --- dashboard -------------------------------------------------------------------------------------
def test_dashboard_has_one_row_per_table_and_one_column_per_metric():
    fig = plots.dashboard(TABLES, METRICS, title="One deployment decays")
    axes = np.array(fig.axes).reshape(2, 2)
    assert [ax.get_title() for ax in axes[0]] == ["accuracy (%)", "drift"]
    assert [ax.get_title() for ax in axes[1]] == ["", ""]
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["healthy", "decaying"]
    assert [ax.get_xlabel() for ax in axes[1]] == ["week", "week"]
    assert fig.texts[0].get_text() == "One deployment decays"


def test_dashboard_draws_scaled_values_thresholds_and_the_breaching_windows_in_red():
    fig = plots.dashboard(TABLES, METRICS)
    axes = np.array(fig.axes).reshape(2, 2)
    line = axes[1, 0].get_lines()[0]
    assert line.get_xdata().tolist() == [1, 2, 3, 4]
    assert np.allclose(line.get_ydata(), [96, 91, 85, 70])                     # scaled by 100
    threshold = [ln for ln in axes[1, 0].get_lines() if ln.get_linestyle() == "--"]
    assert len(threshold) == 1 and np.allclose(threshold[0].get_ydata(), 90)
    assert _red_points(axes[1, 0]) == [(3.0, 85.0), (4.0, 70.0)]               # below 0.9
    assert _red_points(axes[1, 1]) == [(2.0, 0.35), (3.0, 0.6)]                # above 0.3; NaN never breaches
    assert _red_points(axes[0, 0]) == [] and _red_points(axes[0, 1]) == []


def test_dashboard_columns_share_their_y_axis_so_rows_compare():
    fig = plots.dashboard(TABLES, METRICS)
    axes = np.array(fig.axes).reshape(2, 2)
    assert axes[0, 0].get_ylim() == axes[1, 0].get_ylim()
    assert axes[0, 1].get_ylim() == axes[1, 1].get_ylim()


def test_dashboard_shades_spans_per_row_and_legends_them():
    fig = plots.dashboard(TABLES, METRICS, spans={"decaying": [(1.5, 4.5)]})
    axes = np.array(fig.axes).reshape(2, 2)
    (band,) = axes[1, 0].patches
    assert (band.get_x(), band.get_x() + band.get_width()) == (pytest.approx(1.5), pytest.approx(4.5))
    assert len(axes[0, 0].patches) == 0
    labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert labels == ["threshold", "breach", "incident (answer key)"]


def test_dashboard_ylim_and_plain_column_names():
    fig = plots.dashboard(TABLES["decaying"], ["drift", plots.Metric("accuracy", ylim=(0, None))])
    left, right = fig.axes
    assert left.get_title() == "drift" and right.get_ylim()[0] == 0
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["threshold", "breach"]


def test_dashboard_ylim_keeps_every_row_in_view():
    tables = {"low": _weeks([0.5, 0.5], [0.0, 0.0]), "high": _weeks([3.0, 4.0], [0.0, 0.0])}
    fig = plots.dashboard(tables, [plots.Metric("accuracy", ylim=(0, None))])
    for ax in fig.axes:
        bottom, top = ax.get_ylim()
        assert bottom == 0 and top >= 4.0                                 # the later, higher row is not cut off


def test_dashboard_names_a_missing_column_and_what_there_is():
    with pytest.raises(SchemaMismatchError, match=r"row 'healthy' has no column \['latency'\]; it has \['accuracy', 'drift'\]"):
        plots.dashboard(TABLES, ["latency"])


@pytest.mark.parametrize("tables, metrics, message", [
    ({}, ["accuracy"], "at least one table"),
    (TABLES, [], "at least one metric"),
    ({"a": [1, 2]}, ["accuracy"], "is a list, not a pandas DataFrame"),
    (TABLES, [3], "a Metric or a column name, got int"),
])
def test_dashboard_rejects_bad_input(tables, metrics, message):
    with pytest.raises(ValidationError, match=message):
        plots.dashboard(tables, metrics)


# --- incident_spans --------------------------------------------------------------------------------
def test_incident_spans_put_windows_at_integers():
    scenario = scenarios.make("sudden", seed=0, days=21, requests_per_hour=5, onset="2024-03-13 12:00")
    # window k covers k - 0.5 .. k + 0.5; the onset is 9.5 days after Monday 4 March: 0.5 + 9.5 / 7
    assert plots.incident_spans(scenario, "7D") == [(pytest.approx(0.5 + 9.5 / 7), pytest.approx(3.5))]
    assert plots.incident_spans(scenario, "1D") == [(pytest.approx(10.0), pytest.approx(21.5))]


def test_incident_spans_one_per_incident_within_the_stream():
    scenario = scenarios.make("quality", seed=2, days=14, requests_per_hour=5)
    spans = plots.incident_spans(scenario, "1D")
    assert len(spans) == len(scenario.incidents) == 4
    for (x0, x1), (_, incident) in zip(spans, scenario.incidents.iterrows(), strict=True):
        assert 0.5 <= x0 < x1 <= 14.5
        assert x1 - x0 == pytest.approx((incident["end"] - incident["start"]) / pd.Timedelta(days=1))


def test_incident_spans_refuse_calendar_lengths():
    scenario = scenarios.make("sudden", seed=0, days=7, requests_per_hour=5)
    with pytest.raises(ValidationError, match="fixed length"):
        plots.incident_spans(scenario, "MS")
    with pytest.raises(ValidationError, match="positive"):
        plots.incident_spans(scenario, "0D")


# --- digit_grid ------------------------------------------------------------------------------------
def test_digit_grid_captions_labels_and_wrong_answers_in_red():
    images = np.zeros((3, 64))
    fig = plots.digit_grid({"week 1": (images, [1, 2, 3], [1, 7, -1])})
    titles = [(ax.get_title(), to_hex(ax.title.get_color())) for ax in fig.axes]
    assert titles == [("1", "#000000"), ("2: said 7", BREACH), ("3: —", BREACH)]
    assert [t.get_text() for t in fig.axes[0].texts] == ["week 1"]


def test_digit_grid_masks_missing_pixels_and_keeps_the_0_16_scale():
    image = np.full((1, 64), 8.0)
    image[0, :8] = np.nan
    fig = plots.digit_grid({"row": (image, [0])})
    shown = fig.axes[0].get_images()[0]
    data = shown.get_array()
    assert data.shape == (8, 8) and data.mask[0].all() and not data.mask[1:].any()
    assert shown.get_clim() == (0, 16)
    assert fig.axes[0].get_title() == "0"                               # no answers: label only, in black


def test_digit_grid_leaves_a_gap_after_split_and_titles_the_groups():
    images = np.zeros((4, 64))
    fig = plots.digit_grid({"a": (images, [0, 1, 2, 3]), "b": (images[:2], [5, 6])}, split=2,
                           group_titles=("before", "after"))
    columns = [ax.get_subplotspec().colspan.start for ax in fig.axes]
    assert columns == [0, 1, 3, 4, 0, 1]                                # column 2 is the gap
    assert [t.get_text() for t in fig.texts] == ["before", "after"]


@pytest.mark.parametrize("rows, message", [
    ({}, "at least one row"),
    ({"x": (np.zeros((2, 63)), [0, 1])}, r"shape \(n, 64\), got \(2, 63\)"),
    ({"x": (np.zeros((2, 64)), [0])}, "2 images, 1 labels and 1 answers"),
])
def test_digit_grid_rejects_bad_rows(rows, message):
    with pytest.raises(ValidationError, match=message):
        plots.digit_grid(rows)


@pytest.mark.slow
def test_a_figure_shows_once_in_a_notebook_however_the_cell_ends(tmp_path, monkeypatch):
    """F31: as the cell's last expression, before plt.show() (lesson 01), or assigned: one image each."""
    import os

    import nbclient
    import nbformat

    setup = ("%matplotlib inline\nimport numpy as np, pandas as pd\nimport matplotlib.pyplot as plt\n"
             "from mlcheckup import plots\nweeks = pd.DataFrame({'x': [1.0, 2.0, 3.0]})\n"
             "digits = {'week 1': (np.zeros((2, 64)), [1, 7], [1, 1])}")
    cells = {
        "dashboard, last expression": "plots.dashboard({'a': weeks}, ['x'])",
        "dashboard, then plt.show()": "plots.dashboard({'a': weeks}, ['x'])\nplt.show()",
        "dashboard, assigned": "fig = plots.dashboard({'a': weeks}, ['x'])",
        "digit_grid, last expression": "plots.digit_grid(digits)",
        "digit_grid, then plt.show()": "plots.digit_grid(digits)\nplt.show()",
        "shown again later": "fig",
        "scenario plot, last expression": ("from mlcheckup import scenarios\n"
                                           "plots.scenario_overview(scenarios.make('craze', seed=1))"),
        "scenario plot, then plt.show()": "plots.scenario_overview(scenarios.make('craze', seed=1))\nplt.show()",
        "drift heatmap, last expression": ("plots.heatmap(pd.DataFrame({'window_start': pd.to_datetime("
                                           "['2024-01-01', '2024-01-08']), 'feature_name': 'price', 'metric_name': "
                                           "'normalized_wasserstein_distance', 'metric_value': [0.05, 0.25], "
                                           "'threshold_value': 0.1}))"),
    }
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(code) for code in cells.values()]
    here = str(Path(plots.__file__).parents[1])  # the kernel imports this mlcheckup
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = {name: sum("image/png" in out.get("data", {}) for out in cell.outputs)
              for name, cell in zip(cells, notebook.cells[1:], strict=True)}
    assert images == dict.fromkeys(cells, 1)


@pytest.mark.parametrize("freq", ["week", "P7D", "P1W", "7D", timedelta(days=7)])
def test_incident_spans_read_every_spelling_of_a_week(freq):
    scenario = scenarios.make("sudden", seed=0, days=21, requests_per_hour=5, onset="2024-03-13 12:00")
    assert plots.incident_spans(scenario, freq) == [(pytest.approx(0.5 + 9.5 / 7), pytest.approx(3.5))]


@pytest.mark.parametrize("freq, words", [(7, "; a bare number has no unit"), ("month", "; a month has no fixed length")])
def test_incident_spans_refuse_a_number_and_a_month_saying_what_to_pass(freq, words):
    scenario = scenarios.make("sudden", seed=0, days=7, requests_per_hour=5)
    with pytest.raises(ValidationError, match=rf"^freq must be a positive duration such as 'PT5M' .*\(got {freq!r}\){words}"):
        plots.incident_spans(scenario, freq)


def test_the_scenario_overview_reads_every_spelling_of_its_window():
    scenario = scenarios.make("prior", seed=0, days=7, requests_per_hour=5)

    def drawn(freq):
        figure = plots.scenario_overview(scenario, freq=freq)
        lines = [np.asarray(line.get_ydata(), dtype=float) for ax in figure.axes for line in ax.get_lines()]
        plt.close(figure)
        return lines

    six_hours, hours = drawn("6h"), drawn("1h")
    assert len(six_hours[0]) == 28 and len(hours[0]) == 168  # 7 days of 6-hour and of 1-hour windows
    for spelling, expected in (("PT6H", six_hours), (timedelta(hours=6), six_hours), ("hour", hours)):
        np.testing.assert_array_equal(np.concatenate(drawn(spelling)), np.concatenate(expected))
    with pytest.raises(ValidationError, match=r"freq must be a positive duration .*\(got 6\); a bare number has no unit"):
        plots.scenario_overview(scenario, freq=6)
