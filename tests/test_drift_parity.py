"""mlcheckup.drift equals a straightforward scipy implementation of Azure's drift job to 1e-9.

The independent definition below is a plain per-column loop written from azure-api.md §2.5-2.6
(Azure/azureml-assets ``compute_data_drift_measures_tests``): scipy's ``jensenshannon(base=2)``,
``wasserstein_distance``, ``ks_2samp`` and ``chisquare``, plus a literal port of PySpark's
``RDD.histogram``. It imports nothing from mlcheckup. The benchmark (benchmarks/drift) reuses it.
"""

from __future__ import annotations

import bisect
import math
import warnings
from math import isnan

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, wasserstein_distance

from mlcheckup import drift

TOLERANCE = 1e-9
NUMERICAL_ALL = ("jensen_shannon_distance", "normalized_wasserstein_distance", "population_stability_index",
                 "two_sample_kolmogorov_smirnov_test")
CATEGORICAL_ALL = ("jensen_shannon_distance", "population_stability_index", "pearsons_chi_squared_test")


# --- the independent definition -------------------------------------------------------------
def pyspark_histogram(values, buckets):
    """PySpark 3.4 ``RDD.histogram(buckets)`` for a list of buckets, line by line (pure Python)."""
    buckets = [float(b) for b in buckets]
    assert len(buckets) >= 2 and sorted(buckets) == buckets and len(set(buckets)) == len(buckets)
    minv, maxv = buckets[0], buckets[-1]
    even, inc = False, None
    steps = [buckets[i + 1] - buckets[i] for i in range(len(buckets) - 1)]
    if max(steps) - min(steps) < 1e-10:
        even, inc = True, (maxv - minv) / (len(buckets) - 1)
    counters = [0] * len(buckets)
    for i in values:
        i = float(i)
        if isnan(i) or i > maxv or i < minv:
            continue
        t = int((i - minv) / inc) if even else bisect.bisect_right(buckets, i) - 1
        counters[t] += 1
    last = counters.pop()
    counters[-1] += last
    return counters


def pyspark_histogram_numpy(values, buckets):
    """The same statements evaluated elementwise by numpy (same IEEE operations), for 1M rows."""
    buckets = np.asarray(buckets, dtype=float)
    minv, maxv = buckets[0], buckets[-1]
    steps = np.diff(buckets)
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x) & (x <= maxv) & (x >= minv)]
    if steps.max() - steps.min() < 1e-10:
        t = ((x - minv) / ((maxv - minv) / (len(buckets) - 1))).astype(np.int64)
    else:
        t = np.array([bisect.bisect_right(list(buckets), v) - 1 for v in x], dtype=np.int64)
    counters = np.bincount(t, minlength=len(buckets))
    counters[-2] += counters[-1]
    return counters[:-1].tolist()


def _family(series):
    """Spark's type group of a pandas column, through pandas' own dtype predicates."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = pd.Series(series.dtype.categories)
    api = pd.api.types
    for test, family in ((api.is_bool_dtype, "boolean"), (api.is_integer_dtype, "integer"),
                         (api.is_float_dtype, "float")):
        if test(series.dtype):
            return family
    inferred = api.infer_dtype(series, skipna=True)
    return {"boolean": "boolean", "integer": "integer", "floating": "float"}.get(inferred, "string")


def reference_drift(baseline, production, feature_type_override=None, histogram=pyspark_histogram,
                    ks=True):
    """Azure's drift job on two pandas frames: {(feature, metric): value}, one scipy call at a time."""
    override = feature_type_override or {}
    common_names = [c for c in baseline.columns if c in production.columns]
    common = [c for c in common_names if _family(baseline[c]) == _family(production[c])]
    kinds = {}
    for c in common:
        if c in override:
            kinds[c] = override[c]
        elif _family(baseline[c]) == "float":
            kinds[c] = "numerical"
        elif _family(baseline[c]) == "integer":
            ratio = baseline[c].nunique(dropna=False) / len(baseline)
            kinds[c] = "categorical" if ratio < 0.05 else "numerical"
        else:
            kinds[c] = "categorical"
    base = baseline[common_names].dropna()
    prod = production[common_names].dropna()
    nb, nprod = len(base), len(prod)
    k = math.ceil(math.log2(nb if nb < nprod else nprod) + 1)
    out = {}
    for c in common:
        if kinds[c] == "numerical":
            b = base[c].to_numpy(dtype=float)
            p = prod[c].to_numpy(dtype=float)
            mn, mx = min(b.min(), p.min()), max(b.max(), p.max())
            if mn == mx:
                d = 0.005 if mn == 0 else abs(mn) * 0.005
                edges = [mn - d, mn + d]
            else:
                width = (mx - mn) / k
                edges = [mn] + [mn + i * width for i in range(1, k + 1)]
            cb, cp = histogram(b, edges), histogram(p, edges)
            out[c, "jensen_shannon_distance"] = jensenshannon(
                [x / nb for x in cb], [x / nprod for x in cp], base=2)
            bins = len(cb)
            bp = [(x + 1) / (nb + bins) for x in cb]
            pp = [(x + 1) / (nprod + bins) for x in cp]
            out[c, "population_stability_index"] = sum((q - r) * np.log(q / r) for q, r in zip(pp, bp, strict=True))
            std = np.std(b, ddof=1) if nb > 1 else None
            out[c, "normalized_wasserstein_distance"] = wasserstein_distance(b, p) / max(std or 0, 0.001)
            if ks:
                out[c, "two_sample_kolmogorov_smirnov_test"] = ks_2samp(b, p).pvalue
        else:
            bcounts = base[c].value_counts().to_dict()
            pcounts = prod[c].value_counts().to_dict()
            keys = list(set(bcounts) | set(pcounts))
            bf = [bcounts.get(key, 0) / nb for key in keys]
            pf = [pcounts.get(key, 0) / nprod for key in keys]
            out[c, "jensen_shannon_distance"] = jensenshannon(bf, pf, base=2)
            n_union = len(keys)
            bp = [(bcounts.get(key, 0) + 1) / (nb + n_union) for key in keys]
            pp = [(pcounts.get(key, 0) + 1) / (nprod + n_union) for key in keys]
            out[c, "population_stability_index"] = sum((q - r) * np.log(q / r) for q, r in zip(pp, bp, strict=True))
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                warnings.simplefilter("ignore")
                observed = [pcounts.get(key, 0) for key in keys]
                expected = [bcounts.get(key, 0) / nb * nprod for key in keys]
                out[c, "pearsons_chi_squared_test"] = chisquare(observed, expected).pvalue
    return out


# --- random cases ---------------------------------------------------------------------------
def random_frames(seed: int, n_ref: int, n_prod: int, *, nulls: bool = True):
    """Two frames with every hard case: shift, ties, constants, unseen categories, nulls, int typing."""
    rng = np.random.default_rng(seed)

    def frame(n, shift, levels):
        df = pd.DataFrame({
            "normal": rng.normal(shift, 1 + shift, n),
            "lognormal": rng.lognormal(shift, 0.7, n),
            "tied": np.round(rng.normal(shift, 1, n), 1),          # heavy ties, values on bin edges
            "coarse": rng.integers(0, 4, n) * 0.25 + shift,         # 4-5 distinct floats
            "constant": np.full(n, 3.0),
            "zero": np.zeros(n),
            "big": 1e9 + rng.normal(0, 1e3, n),                     # uneven edges: PySpark bisects
            "int_cat": rng.integers(0, 6 if shift else 5, n),        # few distinct ints: categorical
            "int_num": rng.integers(0, 10 * n, n),                  # many distinct ints: numerical
            "city": rng.choice(levels, n, p=np.linspace(1, 2, len(levels)) / np.linspace(1, 2, len(levels)).sum()),
            "flag": rng.random(n) < 0.3 + shift / 4,
        })
        if nulls:
            for col in ("normal", "tied", "city"):
                df.loc[rng.random(n) < 0.02, col] = None
        return df

    ref = frame(n_ref, 0.0, np.array(["a", "b", "c", "d", "only_ref"]))
    prod = frame(n_prod, 0.3, np.array(["a", "b", "c", "d", "new_1", "new_2"]))
    return ref, prod


def assert_parity(table: pd.DataFrame, expected: dict) -> float:
    got = {(r.feature_name, r.metric_name): r.metric_value for r in table.itertuples()}
    assert set(got) == set(expected), set(got) ^ set(expected)
    worst = 0.0
    for key, value in expected.items():
        if np.isnan(value):
            assert np.isnan(got[key]), key
            continue
        diff = abs(got[key] - value)
        assert diff <= TOLERANCE, (key, got[key], value)
        worst = max(worst, diff)
    return worst


@pytest.mark.parametrize("seed, n_ref, n_prod", [(0, 3000, 3000), (1, 2500, 1700), (2, 1200, 4100),
                                                 (3, 9999, 640), (4, 57, 93)])
def test_compare_equals_the_scipy_definition(seed, n_ref, n_prod):
    ref, prod = random_frames(seed, n_ref, n_prod)
    table = drift.compare(ref, prod, numerical="all", categorical="all")
    assert_parity(table, reference_drift(ref, prod))


def test_parity_above_the_ks_limit_with_compute():
    ref, prod = random_frames(5, 12_000, 10_500, nulls=False)
    table = drift.compare(ref, prod, numerical="all", categorical="all", ks_row_limit="compute", n_jobs=2)
    assert_parity(table, reference_drift(ref, prod, histogram=pyspark_histogram_numpy))


def test_feature_type_override_and_nullable_integers():
    ref, prod = random_frames(7, 2000, 1500)
    for df in (ref, prod):
        df["int_num"] = df["int_num"].astype("Int64")
        df.loc[df.index[::37], "int_num"] = pd.NA
        df["city"] = df["city"].astype("category")
    override = {"int_cat": "numerical", "coarse": "categorical"}
    table = drift.compare(ref, prod, numerical="all", categorical="all", feature_type_override=override)
    assert_parity(table, reference_drift(ref, prod, override))
    kinds = dict(zip(table.feature_name, table.data_type, strict=False))
    assert kinds["int_cat"] == "Numerical" and kinds["coarse"] == "Categorical"


def test_the_cached_reference_gives_the_same_numbers_window_after_window():
    ref, _ = random_frames(8, 3000, 10)
    cached = drift.Reference(ref)
    for seed in (9, 10):
        _, prod = random_frames(seed, 10, 1800)
        pd.testing.assert_frame_equal(cached.compare(prod, numerical="all", categorical="all"),
                                      drift.compare(ref, prod, numerical="all", categorical="all"))
        assert_parity(cached.compare(prod, numerical="all", categorical="all"), reference_drift(ref, prod))


def test_the_dropped_maximum_quirk_is_reproduced():
    # Edges are lo + i*width: for [0.2, 0.9] in 3 bins, lo + 3*width = 0.8999999999999999 < 0.9,
    # so PySpark (and Azure) leave the maximum out of the counts.
    ref = pd.DataFrame({"x": [0.2, 0.5, 0.6, 0.9]})
    prod = pd.DataFrame({"x": [0.2, 0.3, 0.9, 0.9]})
    edges = drift.sturges_edges(ref.x, prod.x)
    assert edges.size == 4 and edges[-1] < 0.9
    assert drift.histogram(prod.x, edges).tolist() == pyspark_histogram(prod.x, edges) == [2, 0, 0]
    assert_parity(drift.compare(ref, prod, numerical="all"), reference_drift(ref, prod))


def test_even_edges_use_int_division_not_a_search():
    edges = drift.bin_edges(1.4, 1.4 + 2.8, 9)
    on_edge = edges[4]  # (x - lo) / inc = 3.9999999999999996: PySpark puts edge 4 in bin 3
    values = [edges[0], on_edge, edges[-1]]
    assert drift.histogram(values, edges).tolist() == pyspark_histogram(values, edges)
    assert drift.histogram(values, edges)[3] == 1 and np.histogram(values, edges)[0][4] == 1


@pytest.mark.parametrize("seed", range(12))
def test_histogram_helpers_equal_pyspark(seed):
    rng = np.random.default_rng(100 + seed)
    values = np.round(rng.normal(0, 1, 500), int(seed % 3))
    k = int(rng.integers(1, 12))
    lo, hi = values.min(), values.max() + (seed % 2) * 1e-3
    edges = drift.bin_edges(lo, hi, k) if seed < 10 else np.sort(rng.uniform(-2, 2, 6))
    expected = pyspark_histogram(values, edges)
    assert drift.histogram(values, edges).tolist() == expected
    assert pyspark_histogram_numpy(values, edges) == expected


def test_parity_figure(capsys):
    """Print the largest difference over all random cases (quoted in the report)."""
    worst = 0.0
    for seed, n_ref, n_prod in [(11, 4000, 2600), (12, 800, 5000), (13, 3333, 3333)]:
        ref, prod = random_frames(seed, n_ref, n_prod)
        table = drift.compare(ref, prod, numerical="all", categorical="all")
        worst = max(worst, assert_parity(table, reference_drift(ref, prod)))
    with capsys.disabled():
        print(f"\n[drift parity] max abs difference vs scipy reference: {worst:.2e}")
    assert worst <= TOLERANCE
