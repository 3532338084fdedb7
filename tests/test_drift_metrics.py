"""Hand-checked cases of the single-feature drift metrics and Azure's binning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from mlcheckup import drift
from mlcheckup.errors import ValidationError


# --- binning --------------------------------------------------------------------------------
@pytest.mark.parametrize("n_ref, n_prod, k", [(1, 5, 1), (2, 2, 2), (4, 100, 3), (5, 5, 4), (1000, 10**6, 11),
                                              (1024, 4096, 11), (1025, 4096, 12)])
def test_sturges_uses_the_smaller_window(n_ref, n_prod, k):
    assert drift.sturges_bin_count(n_ref, n_prod) == k == drift.sturges_bin_count(n_prod, n_ref)


def test_edges_span_the_combined_range_from_lo_by_equal_widths():
    edges = drift.sturges_edges([0.0, 1.0, 2.0], [4.0, 6.0, 8.0, 9.0])  # k = ceil(log2(3) + 1) = 3
    assert edges.tolist() == [0.0, 3.0, 6.0, 9.0]


@pytest.mark.parametrize("value, edges", [(0.0, [-0.005, 0.005]), (2.0, [1.99, 2.01]), (-4.0, [-4.02, -3.98])])
def test_a_constant_column_gets_one_bin_around_its_value(value, edges):
    got = drift.sturges_edges([value] * 3, [value] * 7)
    assert got == pytest.approx(edges, abs=1e-12)
    assert drift.histogram([value] * 7, got).tolist() == [7]


def test_histogram_bins_are_half_open_except_the_last():
    assert drift.histogram([0, 1, 1.5, 2, 3, -1, 3.5, np.nan], [0, 1, 2, 3]).tolist() == [1, 2, 2]


def test_histogram_rejects_edges_pyspark_rejects():
    with pytest.raises(ValidationError, match="sorted"):
        drift.histogram([1.0], [0, 2, 1])
    with pytest.raises(ValidationError, match="equal"):
        drift.histogram([1.0], [0, 1, 1, 2])


# --- Jensen-Shannon -------------------------------------------------------------------------
def test_jsd_of_identical_samples_is_zero_and_of_disjoint_supports_is_one():
    assert drift.jensen_shannon_distance(["a", "b", "b"], ["b", "a", "b"]) == 0.0
    assert drift.jensen_shannon_distance(["a", "a"], ["b", "c"]) == 1.0
    assert drift.jensen_shannon_distance([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0
    assert drift.jensen_shannon_distance([0.0] * 10, [10.0] * 10) == pytest.approx(1.0)


def test_jsd_is_base_2_distance_by_hand():
    # p = (1/2, 1/2), q = (1, 0): JS divergence = 1 - (3/4) * log2(4/3) ... computed directly
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    m = (p + q) / 2
    kl = lambda a, b: sum(x * math.log2(x / y) for x, y in zip(a, b, strict=True) if x > 0)  # noqa: E731
    expected = math.sqrt((kl(p, m) + kl(q, m)) / 2)
    assert drift.jensen_shannon_distance(["a", "b"], ["a", "a"]) == pytest.approx(expected, abs=1e-15)


def test_categorical_is_chosen_by_the_values_unless_said():
    assert drift.jensen_shannon_distance([1, 1, 2], [1, 2, 2], categorical=True) == pytest.approx(
        drift.jensen_shannon_distance(["1", "1", "2"], ["1", "2", "2"]))
    with pytest.raises(ValidationError, match="categorical=True"):
        drift.jensen_shannon_distance(["a"], ["b"], categorical=False)


# --- PSI ------------------------------------------------------------------------------------
def test_psi_of_identical_samples_is_zero():
    assert drift.population_stability_index(["x", "y", "y"], ["y", "x", "y"]) == 0.0
    assert drift.population_stability_index([0.5, 1.5, 2.5, 2.5], [2.5, 1.5, 0.5, 2.5]) == 0.0


def test_psi_smoothing_by_hand():
    # categories {a, b}: ref counts (3, 1), prod (1, 3); shares (c + 1) / (n + 2)
    p = np.array([4, 2]) / 6
    q = np.array([2, 4]) / 6
    expected = float(np.sum((q - p) * np.log(q / p)))
    assert drift.population_stability_index(list("aaab"), list("abbb")) == pytest.approx(expected, abs=1e-15)
    # an unseen category stays finite thanks to +1
    assert np.isfinite(drift.population_stability_index(["a"] * 5, ["z"] * 5))


# --- Wasserstein ----------------------------------------------------------------------------
def test_normalized_wasserstein_by_hand():
    ref, prod = [0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]  # shift by 1, std (ddof=1) = 1.29099...
    assert drift.normalized_wasserstein_distance(ref, prod) == pytest.approx(1 / np.std(ref, ddof=1), abs=1e-15)


def test_wasserstein_floor_of_0_001_for_a_constant_or_single_reference():
    assert drift.normalized_wasserstein_distance([5.0, 5.0], [5.5, 5.5]) == pytest.approx(500.0)
    assert drift.normalized_wasserstein_distance([5.0], [6.0]) == pytest.approx(1000.0)


def test_nulls_are_dropped_from_each_sample():
    assert drift.normalized_wasserstein_distance([0.0, None, 2.0], pd.Series([0.0, 2.0, np.nan])) == 0.0


# --- KS -------------------------------------------------------------------------------------
def test_ks_pvalue_is_one_for_identical_and_tiny_for_disjoint():
    assert drift.two_sample_ks_pvalue([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == 1.0
    # 20 vs 20 disjoint: exact p = 2 / C(40, 20)
    p = drift.two_sample_ks_pvalue(np.arange(20.0), np.arange(20.0) + 100)
    assert p == pytest.approx(2 / math.comb(40, 20), rel=1e-9)


@pytest.mark.parametrize("n_ref, n_prod", [(10_000, 10), (10, 10_000)])
def test_ks_refuses_windows_at_the_azure_limit_by_default(n_ref, n_prod):
    rng = np.random.default_rng(0)
    with pytest.raises(drift.KSRowLimitError, match=r"fewer than 10,000 rows \(got .*10,000"):
        drift.two_sample_ks_pvalue(rng.normal(size=n_ref), rng.normal(size=n_prod))


def test_ks_below_the_limit_and_the_other_modes():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=9_999), rng.normal(0.05, size=500)
    assert 0 <= drift.two_sample_ks_pvalue(a, b) <= 1  # 9 999 rows: allowed
    big = rng.normal(size=10_000)
    assert np.isnan(drift.two_sample_ks_pvalue(big, b, ks_row_limit="nan"))
    from scipy.stats import ks_2samp

    assert drift.two_sample_ks_pvalue(big, b, ks_row_limit="compute") == pytest.approx(ks_2samp(big, b).pvalue,
                                                                                        abs=1e-12)
    with pytest.raises(ValidationError, match="ks_row_limit must be one of"):
        drift.two_sample_ks_pvalue(a, b, ks_row_limit="ignore")


def test_ks_limit_error_is_a_value_error():
    assert issubclass(drift.KSRowLimitError, ValueError)


# --- chi-square -----------------------------------------------------------------------------
def test_known_chi_square_example():
    # a fair-die check: observed (8, 9, 19, 5, 8, 11) over 60 rolls against a uniform reference
    observed = [8, 9, 19, 5, 8, 11]
    ref = [face for face in range(6) for _ in range(10)]
    prod = [face for face, count in enumerate(observed) for _ in range(count)]
    stat = sum((o - 10) ** 2 / 10 for o in observed)  # (4 + 1 + 81 + 25 + 4 + 1) / 10
    assert stat == pytest.approx(11.6)
    assert drift.pearsons_chi_squared_pvalue(ref, prod) == pytest.approx(chi2.sf(11.6, 5), rel=1e-12)
    assert drift.pearsons_chi_squared_pvalue(ref, prod) == pytest.approx(0.0407, abs=5e-5)


def test_chi_square_unseen_category_gives_zero_and_a_single_category_nan():
    assert drift.pearsons_chi_squared_pvalue(["a", "b"], ["a", "b", "new"]) == 0.0
    assert 0 < drift.pearsons_chi_squared_pvalue(["a", "b", "gone"] * 5, ["a", "b"] * 5) < 1
    assert np.isnan(drift.pearsons_chi_squared_pvalue(["a"] * 3, ["a"] * 4))


def test_category_counts_over_the_union():
    cats, ref, prod = drift.category_counts(pd.Series(["b", "a", None, "b"]), ["c", "a"])
    assert cats.tolist() == ["b", "a", "c"] and ref.tolist() == [2, 1, 0] and prod.tolist() == [0, 1, 1]


# --- thresholds and directions ----------------------------------------------------------------
def _set(metrics) -> dict:
    """The metrics an SDK thresholds object sets, as {name: threshold}."""
    return {name: value for name, value in vars(metrics).items()
            if value is not None and name not in ("metric", "metric_threshold")}


def test_default_thresholds_are_the_sdks_own():
    """F23: read from azure-ai-ml's own defaults, so an SDK upgrade that changes them fails here."""
    from azure.ai.ml.entities import (
        DataDriftMetricThreshold,
        DataQualityMetricThreshold,
        PredictionDriftMetricThreshold,
    )

    for thresholds in (DataDriftMetricThreshold, PredictionDriftMetricThreshold):
        sdk = thresholds._get_default_thresholds()
        sdk_defaults = {"numerical": _set(sdk.numerical), "categorical": _set(sdk.categorical)}
        assert sdk_defaults == drift.DEFAULT_DRIFT_THRESHOLDS
    quality = DataQualityMetricThreshold._get_default_thresholds()
    assert drift.DEFAULT_QUALITY_THRESHOLDS == _set(quality.numerical) == _set(quality.categorical)
    # and the values the lessons quote, written out once
    assert drift.DEFAULT_DRIFT_THRESHOLDS["numerical"] == {"normalized_wasserstein_distance": 0.1}


@pytest.mark.parametrize("metric, value, threshold, expected", [
    ("jensen_shannon_distance", 0.11, 0.1, True), ("jensen_shannon_distance", 0.1, 0.1, False),
    ("normalized_wasserstein_distance", 0.09, 0.1, False), ("population_stability_index", 0.3, 0.25, True),
    ("two_sample_kolmogorov_smirnov_test", 0.01, 0.05, True), ("two_sample_kolmogorov_smirnov_test", 0.2, 0.05, False),
    ("pearsons_chi_squared_test", 0.049, 0.05, True), ("null_value_rate", 0.00001, 0.0, True),
    ("null_value_rate", 0.0, 0.0, False), ("jensen_shannon_distance", np.nan, 0.1, False),
])
def test_breach_directions(metric, value, threshold, expected):
    assert bool(drift.breached(metric, value, threshold)) is expected


def test_breach_is_decided_in_float32_as_azure_stores_values():
    assert 0.1 + 1e-12 > 0.1  # a float64 comparison would call this a breach
    assert not drift.breached("jensen_shannon_distance", 0.1 + 1e-12, 0.1)
