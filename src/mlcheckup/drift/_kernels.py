"""Vectorized kernels behind the drift metrics (private; the lesson imports :mod:`.metrics`).

Each function reproduces the scipy call Azure makes, on data prepared once:

* numerical samples are sorted once; a stable argsort of the two sorted runs merges them in
  linear time, and the cumulative sum of +n2 / -n1 labels is ``n1 * n2 * (F_ref - F_prod)`` as an
  exact integer. Kolmogorov-Smirnov's D is its largest magnitude at the end of a group of tied
  values, and Wasserstein-1 is its dot product with the gaps between merged values (scipy's own
  integrand). With equal sizes and no KS, W1 is simply ``mean(|a_i - b_i|)`` of the sorted samples;
* the KS p-value uses scipy's decision: exact when ``max(n) <= 10 000``, else ``kstwo.sf``;
* JSD, PSI and chi-square work on counts with the very formulas scipy and Azure use.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import special, stats

try:  # scipy's exact two-sample KS probability; private, so guarded (fallback: ks_2samp itself)
    from scipy.stats._stats_py import _attempt_exact_2kssamp as _scipy_exact_ks
except ImportError:  # pragma: no cover - depends on the scipy version
    _scipy_exact_ks = None

#: scipy's ks_2samp switches from the exact to the asymptotic p-value above this size (method="auto").
SCIPY_EXACT_KS_MAX_N = 10_000


def merge_stats(a: np.ndarray, b: np.ndarray, *, need_ks: bool) -> tuple[float, int]:
    """Wasserstein-1 distance and the KS statistic times ``n1 * n2`` of two sorted samples.

    The KS part is -1 when ``need_ks`` is False and the sizes allow the merge-free shortcut.
    """
    n1, n2 = a.size, b.size
    if n1 == n2 and not need_ks:
        return float(np.abs(a - b).mean()), -1
    values = np.concatenate((a, b))
    order = np.argsort(values, kind="stable")  # timsort: two sorted runs, so a linear merge
    merged = values[order]
    del values
    # n1 * n2 * (F_a - F_b) after each merged element, as exact integers held in float64 (< 2**53)
    if float(n1) * float(n2) < 2.0**53:
        s = np.where(order < n1, float(n2), -float(n1))
    else:  # pragma: no cover - beyond 2**53 the partial sums need int64 to stay exact
        s = np.where(order < n1, n2, -n1)
    del order
    np.cumsum(s, out=s)
    gaps = np.diff(merged)
    del merged
    s = s[:-1]
    np.abs(s, out=s)
    s = s.astype(np.float64, copy=False)
    w1 = float(np.vecdot(s, gaps)) / (float(n1) * float(n2))
    if not need_ks:
        return w1, -1
    # D is read where a group of ties ends (gap > 0); inside a group the partial sums do not count.
    d = np.max(s, where=gaps > 0, initial=0.0)
    return w1, int(d)


def ks_pvalue(n1: int, n2: int, d_scaled: int, a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of ``scipy.stats.ks_2samp(a, b)`` (method 'auto') from D * n1 * n2."""
    g = math.gcd(n1, n2)
    d = d_scaled / (float(n1) * float(n2))
    if max(n1, n2) <= SCIPY_EXACT_KS_MAX_N:
        if _scipy_exact_ks is None:  # pragma: no cover
            return float(stats.ks_2samp(a, b).pvalue)
        try:
            success, _, prob = _scipy_exact_ks(n1, n2, g, d, "two-sided")
        except TypeError:  # pragma: no cover - private signature changed: ask scipy directly
            return float(stats.ks_2samp(a, b).pvalue)
        if success:
            return float(np.clip(prob, 0, 1))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0, 1))


def jsd_from_counts(base: np.ndarray, prod: np.ndarray, n_base: int, n_prod: int) -> float:
    """``scipy.spatial.distance.jensenshannon(base / n_base, prod / n_prod, base=2)``, same arithmetic."""
    p = base / n_base
    q = prod / n_prod
    p = p / np.sum(p)
    q = q / np.sum(q)
    m = (p + q) / 2.0
    js = np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))
    js /= np.log(2)
    with np.errstate(invalid="ignore"):  # scipy returns nan (with a warning) when js rounds below 0
        return float(np.sqrt(js / 2.0))


def psi_from_counts(base: np.ndarray, prod: np.ndarray, n_base: int, n_prod: int) -> float:
    """Azure's PSI: +1 on every bin, shares over ``n + bins``, ``sum((q - p) * ln(q / p))``."""
    bins = base.size
    p = (base + 1) / (n_base + bins)
    q = (prod + 1) / (n_prod + bins)
    return float(np.sum((q - p) * np.log(q / p)))


def chi2_pvalue_from_counts(base: np.ndarray, prod: np.ndarray, n_base: int, n_prod: int) -> float:
    """``scipy.stats.chisquare(prod, base / n_base * n_prod).pvalue`` over the union of categories.

    A category unseen in the baseline has expected count 0: the statistic is infinite and p = 0.
    """
    if base.size < 2:
        return float("nan")  # one category: zero degrees of freedom, scipy returns nan
    expected = base / n_base * n_prod
    if (expected == 0).any():
        return 0.0
    stat = np.sum((prod - expected) ** 2 / expected)
    return float(special.chdtrc(base.size - 1, stat))


def sample_std(x: np.ndarray) -> float:
    """Sample standard deviation (ddof=1) as Spark's ``stddev``; None (here nan) below 2 rows."""
    if x.size < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.std(x, ddof=1))


def wasserstein_norm(std: float) -> float:
    """Azure's normalizer ``max(std, 0.001)``; an undefined std (one row) falls back to 0.001."""
    return 0.001 if not std > 0.001 else std
