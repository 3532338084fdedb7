"""Pictures of scenarios (:func:`scenario_overview`): what a learner should see before building a monitor.

Every figure shares one grammar: time runs left to right, each incident is a shaded band
coloured by what shifted (legend at the top), and the panels show what a monitor could measure
per window: how unusual the inputs look, the share of faulty requests, the class mix, the
accuracy of a model trained on the reference data, latency and errors. Digits figures start
with a strip of example images before and during the first incident.

Returns a :class:`matplotlib.figure.Figure`, which a notebook displays once, as a cell's last
expression or with ``plt.show()``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from ..scenarios import AVOCADO_FEATURES, KINDS, Scenario, avocado_price_model
from ._figure import new_figure

SHIFT_COLOURS = {
    "covariate": "#e69f00", "prior": "#009e73", "concept": "#cc79a7",
    "quality": "#d62728", "latency": "#0072b2", "errors": "#333333",
}


def _digits_model(scenario: Scenario):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000).fit(scenario.reference.X / 16.0, scenario.reference.y)


def _per_window(scenario: Scenario, freq: pd.Timedelta, measure) -> pd.Series:
    """``measure(rows)`` for each window of the stream (NaN for an empty window), indexed by window middle."""
    values, middles = [], []
    for window in scenario.windows(freq):
        values.append(measure(window.rows) if len(window) else np.nan)
        middles.append(window.start + (window.end - window.start) / 2)
    return pd.Series(values, index=pd.DatetimeIndex(middles), dtype=float)


def _digits_panels(scenario: Scenario, freq: pd.Timedelta) -> list[tuple[str, dict]]:
    """(y-axis label, {line label: series}) for each panel a digits scenario needs."""
    shifts = set(scenario.incidents["shift"])
    X, y, stream = scenario.X, np.asarray(scenario.y), scenario.stream
    complete = ~np.isnan(X).any(axis=1)
    readable = complete & (np.nanmax(np.where(complete[:, None], X, 0), axis=1) <= 16)
    panels = []
    if shifts - {"latency", "errors"}:
        ref = scenario.reference
        centroids = np.stack([ref.X[ref.y == label].mean(axis=0) for label in range(10)])
        distance = np.sqrt(((np.nan_to_num(X)[:, None, :] - centroids[None]) ** 2).mean(axis=2)).min(axis=1)
        panels.append(("distance to nearest\nreference centroid\n(pixel units)", {"complete requests": _per_window(
            scenario, freq, lambda rows: distance[rows][complete[rows]].mean() if complete[rows].any() else np.nan)}))
    if "quality" in shifts:
        faulty = (~readable) | (np.nanstd(np.where(np.isnan(X), 0, X), axis=1) == 0) | (stream["n_values"].to_numpy() != 64)
        panels.append(("faulty requests (%)", {"NaN, range, constant, length": _per_window(
            scenario, freq, lambda rows: 100 * faulty[rows].mean())}))
    if "prior" in shifts:
        favoured = scenario.incidents.loc[scenario.incidents["shift"] == "prior", "affected"]
        for classes in dict.fromkeys(tuple(int(d) for d in re.findall(r"\d", text)) for text in favoured):
            share = np.isin(y, classes)
            panels.append((f"share of digits\n{', '.join(map(str, classes))} (%)",
                           {"true labels": _per_window(scenario, freq, lambda rows, s=share: 100 * s[rows].mean())}))
    if shifts - {"latency", "errors"}:
        model = _digits_model(scenario)
        correct = np.zeros(len(y), dtype=bool)
        correct[readable] = model.predict(X[readable] / 16.0) == y[readable]
        panels.append(("accuracy of the\nreference model (%)", {"readable requests": _per_window(
            scenario, freq, lambda rows: 100 * correct[rows][readable[rows]].mean() if readable[rows].any() else np.nan)}))
    if shifts & {"latency", "errors"}:
        latency = stream["latency_ms"].to_numpy()
        ok = stream["status_code"].to_numpy() < 400
        panels.append(("latency (ms)", {
            "p95": _per_window(scenario, freq, lambda rows: np.percentile(latency[rows], 95)),
            "p50": _per_window(scenario, freq, lambda rows: np.percentile(latency[rows], 50)),
        }))
        panels.append(("failed requests (%)", {"status ≥ 400": _per_window(
            scenario, freq, lambda rows: 100 * (~ok[rows]).mean())}))
    if scenario.kind == "latency":
        hours = freq / pd.Timedelta(hours=1)
        panels.insert(0, ("requests per hour", {"load": _per_window(scenario, freq, lambda rows: len(rows) / hours)}))
    return panels


def _shade(ax, incidents: pd.DataFrame, label: bool) -> None:
    for _, incident in incidents.iterrows():
        ax.axvspan(incident["start"], incident["end"], color=SHIFT_COLOURS.get(incident["shift"], "#bbbbbb"),
                   alpha=0.25, lw=0, label=f"{incident['shift']}" if label else None)


def _legend(fig, incidents: pd.DataFrame) -> None:
    from matplotlib.patches import Patch

    seen = dict.fromkeys(incidents["shift"])
    handles = [Patch(color=SHIFT_COLOURS.get(shift, "#bbbbbb"), alpha=0.35, label=f"{shift} incident") for shift in seen]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.015, 1 - 0.32 / fig.get_figheight()),
               ncol=len(handles), fontsize=8, frameon=False)


def _thumbnails(fig, grid, scenario: Scenario) -> None:
    first = scenario.incidents.iloc[0]
    before = np.flatnonzero(scenario.times.to_numpy() < first["start"])[:6]
    during = np.flatnonzero(scenario.truth["incidents"].str.split(",").apply(lambda tags: "1" in tags).to_numpy())
    during = during[-6:] if first["pattern"] == "gradual" else during[:6]
    cells = grid.subgridspec(1, 13, wspace=0.1)
    for column, row in enumerate([*before, None, *during]):
        ax = fig.add_subplot(cells[0, column])
        ax.set_axis_off()
        if row is None:
            continue
        image = np.ma.masked_invalid(scenario.X[row].reshape(8, 8))
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=16)
        ax.set_title(f"label {scenario.y[row]}", fontsize=7)
    fig.text(0.27, grid.get_position(fig).y0 - 0.005, "before the first incident", ha="center", fontsize=8)
    fig.text(0.75, grid.get_position(fig).y0 - 0.005, f"during incident #1 ({first['cause']})", ha="center", fontsize=8)


def _plot_digits(scenario: Scenario, freq: pd.Timedelta | None):
    freq = freq or pd.Timedelta(hours=1 if scenario.kind == "latency" else 6)
    panels = _digits_panels(scenario, freq)
    images = scenario.kind not in ("latency", "mixed")
    fig = new_figure(9, 1.2 + 1.45 * len(panels) + (1.1 if images else 0))
    heights = ([0.75] if images else []) + [1.0] * len(panels)
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0.35, left=0.13, right=0.97,
                            top=1 - 0.7 / fig.get_figheight(), bottom=0.45 / fig.get_figheight())
    if images:
        _thumbnails(fig, grid[0], scenario)
    first_axis = None
    for number, (label, lines) in enumerate(panels):
        ax = fig.add_subplot(grid[number + images], sharex=first_axis)
        first_axis = first_axis or ax
        _shade(ax, scenario.incidents, label=False)
        for name, series in lines.items():
            ax.plot(series.index, series.to_numpy(), lw=1.2, label=name)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        if len(lines) > 1:
            ax.legend(fontsize=7, loc="upper left", frameon=False)
        if number < len(panels) - 1:
            ax.tick_params(labelbottom=False)
    _title(fig, scenario)
    return fig


def _title(fig, scenario: Scenario) -> None:
    fig.suptitle(f"make({scenario.kind!r}, seed={scenario.seed}) — {KINDS[scenario.kind]}", fontsize=10, x=0.02,
                 y=1 - 0.08 / fig.get_figheight(), ha="left", va="top")
    _legend(fig, scenario.incidents)


def _plot_avocado(scenario: Scenario):
    market = pd.concat([scenario.reference.table, scenario.stream], ignore_index=True)
    features = list(AVOCADO_FEATURES)
    model = avocado_price_model().fit(scenario.reference.X, scenario.reference.y)
    market["error"] = (model.predict(market[features]) - market["average_price"]).abs()
    weekly = market.groupby(["date", "type"]).agg(price=("average_price", "mean"))
    volume = market.groupby("date")["total_volume"].sum() / 1e6
    fig = new_figure(10, 6.4)
    grid = fig.add_gridspec(2, 2, width_ratios=[2.2, 1], hspace=0.3, wspace=0.28, left=0.08, right=0.98, top=0.88, bottom=0.08)
    price_ax = fig.add_subplot(grid[0, 0])
    error_ax = fig.add_subplot(grid[1, 0], sharex=price_ax)
    volume_ax = fig.add_subplot(grid[0, 1])
    relation_ax = fig.add_subplot(grid[1, 1])
    for kind, rows in weekly.groupby(level="type"):
        dates = rows.index.get_level_values("date")
        price_ax.plot(dates, rows["price"], lw=1, label=kind)
    volume_ax.plot(volume.index, volume.to_numpy(), lw=1, color="k")
    mae = market.groupby("date")["error"].mean().rolling(4).mean()
    error_ax.plot(mae.index, mae.to_numpy(), color="k", lw=1.2)
    for ax in (price_ax, error_ax, volume_ax):
        ax.axvspan(market["date"].min(), scenario.start, color="#dddddd", lw=0)
        _shade(ax, scenario.incidents, label=False)
        ax.tick_params(labelsize=7)
    price_ax.set_ylabel("mean price (USD)", fontsize=8)
    price_ax.legend(fontsize=7, frameon=False, loc="upper left")
    price_ax.text(0.01, 0.03, "reference (training) years", transform=price_ax.transAxes, fontsize=7, color="#555555")
    error_ax.set_ylabel("price model MAE (USD)\n4-week mean", fontsize=8)
    volume_ax.set_ylabel("avocados sold per week\n(millions, all regions)", fontsize=8)
    volume_ax.tick_params(axis="x", labelrotation=30)
    _relation(relation_ax, scenario, market)
    _title(fig, scenario)
    return fig


def _relation(ax, scenario: Scenario, market: pd.DataFrame) -> None:
    """log price against log volume, each relative to its region and type's reference mean."""
    key = market["region"] + "/" + market["type"]
    logs = pd.DataFrame({"volume": np.log(market["total_volume"]), "price": np.log(market["average_price"]), "key": key})
    reference = market["date"] < scenario.start
    centre = logs[reference].groupby("key")[["volume", "price"]].mean()
    logs[["volume", "price"]] -= centre.loc[logs["key"]].to_numpy()
    incident = scenario.incidents.iloc[0]
    marked = scenario.truth["incidents"].str.len().to_numpy() > 0
    during = np.zeros(len(market), dtype=bool)
    during[len(market) - len(marked):] = marked & (scenario.stream["date"] >= incident["start"]).to_numpy()
    ax.scatter(logs.loc[reference, "volume"], logs.loc[reference, "price"], s=3, color="#999999", label="reference weeks")
    ax.scatter(logs.loc[during, "volume"], logs.loc[during, "price"], s=3, color=SHIFT_COLOURS[incident["shift"]],
               label=f"#1 {incident['cause']}")
    ax.set_xlabel("log volume vs reference mean", fontsize=8)
    ax.set_ylabel("log price vs reference mean", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False, markerscale=3)


def scenario_overview(scenario: Scenario, *, freq=None):
    """Draw a scenario as a learner would see it: the data over time, incidents shaded.

    Parameters
    ----------
    scenario : Scenario
        From :func:`mlcheckup.scenarios.make`.
    freq : str or datetime.timedelta, optional
        Window length of the digits panels, in any spelling of :mod:`mlcheckup._validate`
        (``"6h"``, ``"PT6H"``, ``"hour"``, ``timedelta(hours=6)``): 6 hours by default, 1 hour
        for the latency scenario. Avocado figures are weekly.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from mlcheckup import plots, scenarios
    >>> figure = plots.scenario_overview(scenarios.make("prior", seed=0, days=7))
    >>> [ax.get_ylabel().split("\\n")[0] for ax in figure.axes if ax.get_ylabel()]
    ['distance to nearest', 'share of digits', 'accuracy of the']
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError(
            f"scenario_overview() needs a Scenario, got {type(scenario).__name__}; make one with scenarios.make(kind, seed=...)"
        )
    freq = None if freq is None else _validate.duration(freq, "freq")
    return _plot_avocado(scenario) if scenario.dataset == "avocado" else _plot_digits(scenario, freq)
