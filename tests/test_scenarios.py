"""Tests of mlcheckup.scenarios: every incident is really in the data, and the scorer is right.

Expected values are literals or computed here from the data by independent means (a model
trained in this file, image moments, counterfactual streams made with severity 0), never read
from the code under test.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from mlcheckup import ValidationError, plots, scenarios
from mlcheckup.scenarios import AvocadoCraze, SupplyShock, generate_avocado, score_alerts

DAY = pd.Timedelta(days=1)
SMALL = {"days": 14, "requests_per_hour": 20}
DIGIT_KINDS = [kind for kind in scenarios.KINDS if kind not in ("craze", "covariate")]


@pytest.fixture(scope="module")
def digit_model():
    reference = scenarios.digits_reference()
    return LogisticRegression(max_iter=2000).fit(reference.X / 16.0, reference.y)


def _after(scenario, number=1):
    start = scenario.incidents.loc[scenario.incidents["incident"] == number, "start"].iloc[0]
    return (scenario.times >= start).to_numpy()


def _touched(scenario, number=1):
    return scenario.truth["incidents"].str.split(",").apply(lambda tags: str(number) in tags).to_numpy()


def _binomial_ok(hits: int, n: int, rate: float) -> bool:
    return abs(hits / n - rate) <= 4 * np.sqrt(rate * (1 - rate) / n) + 1e-12


# --- determinism, variants, budgets ---------------------------------------------------------------
def _options(kind: str) -> dict:
    """Shorter, thinner streams for the digits kinds, to keep the tests fast."""
    return {"days": 21 if kind == "mixed" else 14, "requests_per_hour": 20} if kind in DIGIT_KINDS else {}


def test_every_kind_is_generated_at_full_size():
    # How long this takes is a benchmark, not a test: benchmarks/scenarios/bench_scenarios.py.
    for kind in scenarios.KINDS:
        scenario = scenarios.make(kind, seed=4)
        assert len(scenario) > 0 and list(scenario.incidents.columns) == list(scenarios.INCIDENT_COLUMNS)


@pytest.mark.parametrize("kind", list(scenarios.KINDS))
def test_same_seed_same_scenario(kind):
    first = scenarios.make(kind, seed=4, **_options(kind))
    again = scenarios.make(kind, seed=4, **_options(kind))
    pd.testing.assert_frame_equal(first.stream, again.stream)
    pd.testing.assert_frame_equal(first.incidents, again.incidents)
    pd.testing.assert_frame_equal(first.truth, again.truth)
    np.testing.assert_array_equal(np.asarray(first.X), np.asarray(again.X))
    assert len(first) > 0 and list(first.incidents.columns) == list(scenarios.INCIDENT_COLUMNS)


@pytest.mark.parametrize("kind", list(scenarios.KINDS))
def test_any_seed_is_a_valid_variant_with_incidents_elsewhere(kind):
    onsets = set()
    for seed in range(6):
        made = scenarios.make(kind, seed=seed, **_options(kind))
        table = made.incidents
        assert len(table) >= 1 and (table["start"] < table["end"]).all()
        assert (table["start"] >= made.start).all() and (table["end"] <= made.end).all()
        assert table["share"].between(0, 1).all() and (table["severity"] >= 0).all()
        assert (made.times.diff().dropna() >= pd.Timedelta(0)).all(), "stream not in time order"
        assert set(made.truth["incidents"].str.split(",").explode().replace("", np.nan).dropna().astype(int)) <= set(
            table["incident"]), "a row is marked with an incident that is not in the table"
        onsets.add(tuple(table["start"]))
    assert len(onsets) >= 4, f"{kind}: 6 seeds gave only {len(onsets)} different onsets"


def test_mixed_incidents_do_not_overlap_and_vary_by_seed():
    causes = set()
    for seed in range(6):
        table = scenarios.make("mixed", seed=seed, days=28, requests_per_hour=2).incidents
        assert len(table) == 5
        assert (table["start"].iloc[1:].to_numpy() >= table["end"].iloc[:-1].to_numpy()).all()
        causes.add(tuple(table["cause"]))
    assert len(causes) >= 4


def test_windows_cover_every_row_once():
    made = scenarios.make("sudden", seed=0, **SMALL)
    windows = made.windows("1D")
    assert len(windows) == 14 and windows[0].start == pd.Timestamp("2024-03-04")
    assert np.array_equal(np.concatenate([w.rows for w in windows]), np.arange(len(made)))
    assert all(((w.stream["timestamp"] >= w.start) & (w.stream["timestamp"] < w.end)).all() for w in windows)


# --- digits: each incident is really there ---------------------------------------------------------
def test_gradual_noise_grows_to_the_stated_level():
    onset = "2024-03-08"
    noisy = scenarios.make("gradual", seed=5, cause="noise", severity=3.0, share=1.0, onset=onset, **SMALL)
    clean = scenarios.make("gradual", seed=5, cause="noise", severity=0.0, share=1.0, onset=onset, **SMALL)
    before = (noisy.times < onset).to_numpy()
    np.testing.assert_array_equal(noisy.X[before], clean.X[before])
    progress = ((noisy.times - pd.Timestamp(onset)) / (noisy.end - pd.Timestamp(onset))).to_numpy()
    for low, high in [(0.1, 0.3), (0.8, 1.0)]:
        rows = (progress >= low) & (progress < high)
        interior = (clean.X[rows] > 4) & (clean.X[rows] < 12)  # away from the clipping at 0 and 16
        spread = (noisy.X[rows] - clean.X[rows])[interior].std()
        assert spread == pytest.approx(3.0 * (low + high) / 2, rel=0.12)


def test_gradual_rotation_turns_images_by_the_stated_angle():
    onset = pd.Timestamp("2024-03-08")
    turned = scenarios.make("gradual", seed=1, cause="rotation", severity=40.0, share=0.5, onset=onset, **SMALL)
    clean = scenarios.make("gradual", seed=1, cause="rotation", severity=0.0, share=0.5, onset=onset, **SMALL)
    rows = np.flatnonzero(_touched(turned))[-20:]
    assert _binomial_ok(_touched(turned).sum(), _after(turned).sum(), 0.5)
    for row in rows:
        angle = 40.0 * (turned.times.iloc[row] - onset) / (turned.end - onset)
        expected = ndimage.rotate(clean.X[row].reshape(8, 8), angle, reshape=False, order=1, mode="constant")
        assert np.corrcoef(expected.ravel(), turned.X[row])[0, 1] > 0.98


def _slant(images: np.ndarray) -> np.ndarray:
    """Ink-weighted regression slope of column on row: how far the ink leans per row."""
    stack = images.reshape(-1, 8, 8)
    rows, cols = np.arange(8)[None, :, None], np.arange(8)[None, None, :]
    ink = stack.sum(axis=(1, 2))
    row_mean = (stack * rows).sum(axis=(1, 2)) / ink
    col_mean = (stack * cols).sum(axis=(1, 2)) / ink
    cov = (stack * (rows - row_mean[:, None, None]) * (cols - col_mean[:, None, None])).sum(axis=(1, 2)) / ink
    return cov / ((stack * (rows - row_mean[:, None, None]) ** 2).sum(axis=(1, 2)) / ink)


def test_sudden_new_writers_slant_by_the_stated_amount_for_the_stated_share():
    slanted = scenarios.make("sudden", seed=2, severity=0.5, share=0.4)
    upright = scenarios.make("sudden", seed=2, severity=0.0, share=0.4)
    touched, after = _touched(slanted), _after(slanted)
    assert not touched[~after].any()
    assert _binomial_ok(touched.sum(), after.sum(), 0.4)
    # the top of the image moves right: the column falls by 0.5 per row down the image
    assert (_slant(slanted.X[touched]) - _slant(upright.X[touched])).mean() == pytest.approx(-0.5, abs=0.06)
    np.testing.assert_array_equal(slanted.X[~touched], upright.X[~touched])


def test_recurring_episodes_fade_the_ink_by_the_stated_share_every_week():
    faded = scenarios.make("recurring", seed=3, severity=0.5, share=0.7, hours=36, every_days=7)
    clean = scenarios.make("recurring", seed=3, severity=0.0, share=0.7, hours=36, every_days=7)
    table = faded.incidents
    assert len(table) >= 3
    assert (table["start"].diff().dropna() == pd.Timedelta(days=7)).all()
    assert ((table["end"] - table["start"]).iloc[:-1] == pd.Timedelta(hours=36)).all()
    touched = faded.truth["incidents"].ne("").to_numpy()
    np.testing.assert_allclose(faded.X[touched].sum(axis=1), 0.5 * clean.X[touched].sum(axis=1))
    np.testing.assert_array_equal(faded.X[~touched], clean.X[~touched])


def test_prior_shift_changes_the_class_mix_and_not_the_images_of_a_class():
    shifted = scenarios.make("prior", seed=4, classes=(0, 1), severity=0.5)
    after = _after(shifted)
    mix = np.bincount(shifted.y[after], minlength=10) / after.sum()
    # half the requests come from the new client (0s and 1s only), half keep the uniform mix
    np.testing.assert_allclose(mix, [0.30, 0.30] + [0.05] * 8, atol=0.02)
    np.testing.assert_allclose(np.bincount(shifted.y[~after], minlength=10) / (~after).sum(), 0.1, atol=0.02)
    # every image is an original scan of its class, before and after
    digits = load_digits()
    originals = {(row.tobytes(), label) for row, label in zip(digits.data, digits.target, strict=True)}
    assert all((row.tobytes(), label) in originals for row, label in zip(shifted.X, shifted.y, strict=True))
    for label in (0, 1, 5):
        early, late = shifted.X[~after & (shifted.y == label)], shifted.X[after & (shifted.y == label)]
        assert np.abs(early.mean(axis=0) - late.mean(axis=0)).max() < 1.0


def test_concept_shift_drops_accuracy_while_the_inputs_stay_the_same(digit_model):
    shifted = scenarios.make("concept", seed=3, from_class=7, to_class=1, share=1.0)
    after = _after(shifted)
    predicted = digit_model.predict(shifted.X / 16.0)
    accuracy_before = (predicted[~after] == shifted.y[~after]).mean()
    accuracy_after = (predicted[after] == shifted.y[after]).mean()
    assert accuracy_before > 0.93 and accuracy_before - accuracy_after > 0.07
    # the inputs look as before: same mean image, same predicted-class mix
    assert np.abs(shifted.X[~after].mean(axis=0) - shifted.X[after].mean(axis=0)).max() < 0.4
    mix_before = np.bincount(predicted[~after], minlength=10) / (~after).sum()
    mix_after = np.bincount(predicted[after], minlength=10) / after.sum()
    assert np.abs(mix_before - mix_after).max() < 0.02
    # relabelled rows look like a 7 and are labelled 1
    relabelled = _touched(shifted)
    assert set(shifted.y[relabelled]) == {1} and (predicted[relabelled] == 7).mean() > 0.9
    assert not (shifted.y[after] == 7).any()


def test_quality_faults_appear_at_the_stated_rate_and_nowhere_else():
    faulty = scenarios.make("quality", seed=1, rate=0.3, hours=24)
    counted = set()
    for _, incident in faulty.incidents.iterrows():
        inside = ((faulty.times >= incident["start"]) & (faulty.times < incident["end"])).to_numpy()
        hit = inside & (faulty.truth["fault"] == incident["cause"]).to_numpy()
        assert _binomial_ok(hit.sum(), inside.sum(), 0.3), incident["cause"]
        assert not ((faulty.truth["fault"] == incident["cause"]).to_numpy() & ~inside).any()
        X, rows = faulty.X, np.flatnonzero(hit)
        if incident["cause"] == "nan":  # exactly one image row of 8 pixels is missing
            missing = np.isnan(X[rows]).reshape(-1, 8, 8)
            assert (missing.sum(axis=(1, 2)) == 8).all() and (missing.all(axis=2).sum(axis=1) == 1).all()
        elif incident["cause"] == "out-of-range":
            assert (np.nanmax(X[rows], axis=1) > 16).mean() > 0.99 and np.nanmax(X[rows]) <= 255
        elif incident["cause"] == "constant":
            assert (X[rows] == 0).all()
        elif incident["cause"] == "wrong-length":
            payloads = faulty.payloads()
            assert {len(payloads[row]) for row in rows} == {63, 65}
            assert (faulty.stream["n_values"].to_numpy()[rows] == [len(payloads[row]) for row in rows]).all()
            assert np.isnan(X[rows]).all() and (faulty.stream["status_code"].to_numpy()[rows] == 400).all()
        counted.add(incident["cause"])
    assert counted == set(scenarios.FAULTS)
    clean = faulty.truth["fault"].eq("").to_numpy()
    assert not np.isnan(faulty.X[clean]).any() and faulty.X[clean].max() <= 16


def test_latency_regression_multiplies_latency_and_the_outage_fails_requests():
    slow = scenarios.make("latency", seed=0, severity=1.8, outage_rate=0.5, **SMALL)
    fast = scenarios.make("latency", seed=0, severity=1.0, outage_rate=0.5, **SMALL)
    table = slow.incidents.set_index("shift")
    regression = (slow.times >= table.loc["latency", "start"]).to_numpy()
    ok = slow.stream["status_code"].to_numpy() == 200
    ratio = slow.stream["latency_ms"].to_numpy() / fast.stream["latency_ms"].to_numpy()
    np.testing.assert_allclose(ratio[regression & ok], 1.8, rtol=0.01)
    np.testing.assert_array_equal(ratio[~regression], 1.0)
    outage = ((slow.times >= table.loc["errors", "start"]) & (slow.times < table.loc["errors", "end"])).to_numpy()
    failed = slow.stream["status_code"].to_numpy() == 503
    assert _binomial_ok(failed[outage].sum(), outage.sum(), 0.5) and not failed[~outage].any()
    assert table.loc["errors", "start"].day_of_week < 5 and 9 <= table.loc["errors", "start"].hour <= 15


def test_healthy_traffic_follows_office_hours():
    stream = scenarios.make("latency", seed=2, outage_minutes=0, onset="2024-03-17 23:00", **SMALL).stream
    hours = stream["timestamp"].dt.hour
    weekday = stream["timestamp"].dt.day_of_week < 5
    assert (weekday & hours.between(12, 14)).sum() > 3 * (weekday & hours.between(2, 4)).sum()
    assert stream["latency_ms"].median() == pytest.approx(28 * 1.25, rel=0.3)


# --- avocado: each incident is really there --------------------------------------------------------
CRAZE = AvocadoCraze(start="2018-04-01", weeks=52, ramp_weeks=8, volume_boost=1.3, price_boost=1.2, slope=-0.5)


@pytest.fixture(scope="module")
def without_incidents():
    return generate_avocado(7, craze=None)


def test_craze_moves_volume_and_price_by_the_stated_amounts(without_incidents):
    craze = generate_avocado(7, craze=CRAZE)  # slope kept at -0.5: only the levels move
    full = ((craze["date"] >= "2018-06-03") & (craze["date"] < "2019-02-03")).to_numpy()
    same_promo = full & (craze["promo"] == without_incidents["promo"]).to_numpy()
    np.testing.assert_allclose(craze["total_volume"][same_promo] / without_incidents["total_volume"][same_promo],
                               1.3, rtol=1e-3)
    np.testing.assert_allclose(craze["average_price"][same_promo] / without_incidents["average_price"][same_promo],
                               1.2, rtol=0.02)
    assert craze["promo"][full].mean() < 0.12 < 0.2 < without_incidents["promo"][full].mean()
    before = (craze["date"] < "2018-04-01").to_numpy()
    pd.testing.assert_frame_equal(craze[before], without_incidents[before])


def _price_volume_slope(table: pd.DataFrame, rows: np.ndarray) -> float:
    part = table[rows & (table["promo"] == 0).to_numpy()]
    key = part["region"] + part["type"]
    volume, price = np.log(part["total_volume"]), np.log(part["average_price"])
    volume, price = volume - volume.groupby(key).transform("mean"), price - price.groupby(key).transform("mean")
    return float((volume * price).sum() / (volume**2).sum())


def test_craze_turns_the_price_volume_relation_around():
    market = scenarios.load_avocado()
    before = (market["date"] < "2018-04-01").to_numpy()
    plateau = ((market["date"] >= "2018-06-03") & (market["date"] < "2019-02-03")).to_numpy()
    assert _price_volume_slope(market, before) == pytest.approx(-0.5, abs=0.1)
    assert _price_volume_slope(market, plateau) == pytest.approx(0.3, abs=0.1)


def test_supply_shock_moves_volume_in_the_stated_regions_and_prices_follow_the_curve(without_incidents):
    shock = SupplyShock(start="2018-04-01", weeks=8, factor=1.5, regions=("California", "West"))
    shocked = generate_avocado(7, craze=None, shock=shock)
    inside = ((shocked["date"] >= "2018-04-01") & (shocked["date"] < "2018-05-27")
              & shocked["region"].isin(["California", "West"])).to_numpy()
    np.testing.assert_allclose(shocked["total_volume"][inside] / without_incidents["total_volume"][inside], 1.5,
                               rtol=1e-3)
    np.testing.assert_allclose(shocked["average_price"][inside] / without_incidents["average_price"][inside],
                               1.5**-0.5, rtol=0.02)
    assert (shocked["origin"][inside] == "Mexico").mean() > 0.9
    pd.testing.assert_frame_equal(shocked[~inside], without_incidents[~inside])


@pytest.mark.parametrize("kind, worse", [("craze", True), ("covariate", False)])
def test_price_model_breaks_under_the_craze_but_not_under_a_supply_shock(kind, worse):
    made = scenarios.make(kind, seed=3)
    model = scenarios.avocado_price_model().fit(made.reference.X, made.reference.y)
    error = np.abs(model.predict(made.X) - made.y.to_numpy())
    touched = made.truth["incidents"].ne("").to_numpy()
    assert error[~touched].mean() < 0.06
    assert bool(error[touched].mean() > 3 * error[~touched].mean()) is worse


def test_craze_scenario_with_the_bundled_settings_is_the_bundled_data():
    made = scenarios.make("craze", seed=scenarios.AVOCADO_SEED, onset="2018-04-01")
    bundled = scenarios.load_avocado()
    both = pd.concat([made.reference.table, made.stream], ignore_index=True)
    pd.testing.assert_frame_equal(both, bundled)
    assert made.start == pd.Timestamp("2017-01-01") and made.incidents.loc[0, "start"] == pd.Timestamp("2018-04-01")


# --- the scorer, on hand-made cases -----------------------------------------------------------------
@pytest.fixture
def two_incidents():
    return pd.DataFrame({
        "incident": [1, 2],
        "start": pd.to_datetime(["2024-03-05", "2024-03-12"]),
        "end": pd.to_datetime(["2024-03-07", "2024-03-13"]),
    })


PERIOD = (pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-18"))  # two weeks


def test_scorer_alerts_before_onset_are_false_alarms_and_a_quiet_incident_is_missed(two_incidents):
    score = score_alerts(two_incidents, ["2024-03-04 12:00", "2024-03-05 06:00", "2024-03-06", "2024-03-10"],
                         period=PERIOD)
    assert score.detected == [1] and score.missed == [2]
    assert score.incidents.loc[0, "delay"] == pd.Timedelta(hours=6)
    assert pd.isna(score.incidents.loc[1, "delay"])
    assert list(score.false_alarms) == [pd.Timestamp("2024-03-04 12:00"), pd.Timestamp("2024-03-10")]
    assert score.n_false_alarms == 2 and score.false_alarms_per_week == pytest.approx(1.0)
    summary = score.summary()
    assert summary["mean_delay"] == pytest.approx(6.0) and summary["missed"] == 1


def test_scorer_without_alerts_misses_everything_and_raises_no_false_alarm(two_incidents):
    score = score_alerts(two_incidents, [], period=PERIOD)
    assert score.missed == [1, 2] and score.detected == [] and score.n_false_alarms == 0
    assert score.false_alarms_per_week == 0.0 and "0 of 2 incidents detected" in repr(score)


def test_scorer_edges_after_the_end_and_grace(two_incidents):
    at_edges = score_alerts(two_incidents, ["2024-03-05", "2024-03-13"], period=PERIOD)
    assert at_edges.detected == [1, 2] and at_edges.incidents["delay"].tolist() == [pd.Timedelta(0), pd.Timedelta(days=1)]
    late = score_alerts(two_incidents, ["2024-03-13 02:00"], period=PERIOD)
    assert late.missed == [1, 2] and late.n_false_alarms == 1
    forgiven = score_alerts(two_incidents, ["2024-03-13 02:00"], period=PERIOD, grace="3h")
    assert forgiven.detected == [2] and forgiven.n_false_alarms == 0


def test_scorer_repeated_alerts_in_an_incident_and_overlapping_incidents():
    table = pd.DataFrame({"incident": [1, 2, 3], "start": [2.0, 3.0, 8.0], "end": [5.0, 4.0, 9.0]})
    score = score_alerts(table, [3.5, 2.5, 4.5, 4.9, 7.0], period=(0.0, 10.0))  # numbers are weeks
    assert score.incidents["delay"].tolist()[:2] == [0.5, 0.5]  # 2.5 opens #1, 3.5 opens #2
    assert score.missed == [3] and score.false_alarms.tolist() == [7.0]
    assert score.false_alarms_per_week == pytest.approx(0.1)


def test_scenario_score_uses_the_scenario_period():
    made = scenarios.make("concept", seed=0, **SMALL)
    onset = made.incidents.loc[0, "start"]
    score = made.score([made.start + DAY, onset + pd.Timedelta(hours=3)])
    assert score.detected == [1] and score.incidents.loc[0, "delay"] == pd.Timedelta(hours=3)
    assert score.weeks == pytest.approx(2.0) and score.false_alarms_per_week == pytest.approx(0.5)


@pytest.mark.parametrize(
    "alerts, period, match",
    [
        (pd.DataFrame({"t": [1]}), PERIOD, "one column"),
        (["not a time"], PERIOD, "timestamps"),
        ([], (PERIOD[1], PERIOD[0]), "end after start"),
    ],
)
def test_scorer_rejects_bad_input_with_a_next_step(two_incidents, alerts, period, match):
    with pytest.raises(ValidationError, match=match):
        score_alerts(two_incidents, alerts, period=period)
    with pytest.raises(ValidationError, match="lacks columns"):
        score_alerts(two_incidents.drop(columns="end"), [], period=PERIOD)


# --- make's boundary -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, options, match",
    [
        ("drift", {}, "unknown scenario kind 'drift'; choose one of"),
        ("sudden", {"seed": -1}, "seed must be a whole number"),
        ("sudden", {"cause": "blur"}, r"make\('sudden'\) does not take cause; it takes"),
        ("sudden", {"onset": "2030-01-01"}, "outside the stream"),
        ("sudden", {"share": 40}, "between 0 and 1"),
        ("gradual", {"cause": "smudge"}, "cause must be one of"),
        ("prior", {"classes": (1, 12)}, "digits 0..9"),
        ("craze", {"onset": "2018-04-02"}, "start on Sundays"),
        ("covariate", {"regions": ("Atlantis",)}, "not in the market"),
    ],
)
def test_make_says_what_was_wrong(kind, options, match):
    with pytest.raises(ValidationError, match=match):
        scenarios.make(kind, **options)


def test_plot_draws_every_panel_a_learner_needs():
    figure = plots.scenario_overview(scenarios.make("mixed", seed=1, days=21, requests_per_hour=10))
    labels = " ".join(ax.get_ylabel() for ax in figure.axes)
    for panel in ("reference centroid", "faulty requests", "accuracy", "latency", "failed requests"):
        assert panel in labels or "share of digits" in labels
    avocado = plots.scenario_overview(scenarios.make("craze", seed=1))
    assert len(avocado.axes) == 4
    with pytest.raises(ValidationError, match="needs a Scenario"):
        plots.scenario_overview("craze")


# --- durations: one vocabulary (src/mlcheckup/_validate.py) ----------------------------------------
@pytest.mark.parametrize("freq", ["day", "P1D", "1D", pd.Timedelta(days=1), timedelta(hours=24)])
def test_windows_read_every_spelling_of_a_day(freq):
    stream = scenarios.make("sudden", seed=1, days=7, requests_per_hour=5)
    got = stream.windows(freq)
    assert [w.start for w in got] == list(pd.date_range(stream.start, periods=7, freq="24h"))
    assert sum(len(w) for w in got) == len(stream) and all(w.end - w.start == pd.Timedelta(days=1) for w in got)


@pytest.mark.parametrize("freq, words", [(7, "; a bare number has no unit"), ("month", "; a month has no fixed length"),
                                         ("1M", "; months and years have no fixed length"), ("-1D", "$")])
def test_windows_refuse_a_length_without_a_unit_or_a_fixed_size(freq, words):
    with pytest.raises(ValidationError, match=rf"^freq must be a positive duration such as .*\(got {freq!r}\){words}"):
        scenarios.make("sudden", seed=1, days=7, requests_per_hour=5).windows(freq)


def test_avocado_settings_are_checked_where_they_are_given():
    with pytest.raises(ValidationError, match=r"weeks must be a whole number from 1 \(got 0\)"):
        AvocadoCraze(weeks=0)
    with pytest.raises(ValidationError, match=r"promo_rate must be a share between 0 and 1 \(got 8\)"):
        AvocadoCraze(promo_rate=8)
    with pytest.raises(ValidationError, match=r"factor must be between 0 and inf \(got -1\)"):
        SupplyShock(factor=-1)
    with pytest.raises(ValidationError, match=r"seed must be a whole number from 0 \(got -3\); for example seed=0"):
        generate_avocado(-3)
    assert AvocadoCraze(weeks=20.0).weeks == 20 and isinstance(AvocadoCraze(weeks=20.0).weeks, int)
