"""Azure ML's drift metrics for one feature, as functions of two samples.

Each function equals what Azure's drift job computes for a single feature (nulls dropped from each
sample) and what a plain scipy call computes on the same data:

========================================  ===============================================  ==========
function                                  definition                                       better
========================================  ===============================================  ==========
:func:`jensen_shannon_distance`           ``jensenshannon(p, q, base=2)`` on Azure's bins  lower
:func:`population_stability_index`        ``sum((q - p) ln(q / p))``, counts + 1            lower
:func:`normalized_wasserstein_distance`   ``wasserstein_distance / max(std_ref, 0.001)``   lower
:func:`two_sample_ks_pvalue`              ``ks_2samp(ref, prod).pvalue``                   higher
:func:`pearsons_chi_squared_pvalue`       ``chisquare(prod, ref share * n_prod).pvalue``    higher
========================================  ===============================================  ==========

Numerical JSD and PSI use :func:`~mlcheckup.drift.sturges_edges` and
:func:`~mlcheckup.drift.histogram`; categorical ones use the union of the categories of both
samples (:func:`category_counts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import KSRowLimitError, ValidationError
from . import _kernels
from ._binning import histogram_sorted, sturges_edges
from ._categories import align_counts, factorize, observed_counts

__all__ = ["KS_ROW_LIMIT", "KS_ROW_LIMIT_MODES", "category_counts", "check_ks_row_limit",
    "jensen_shannon_distance", "normalized_wasserstein_distance",
    "pearsons_chi_squared_pvalue", "population_stability_index", "two_sample_ks_pvalue"]

#: Azure computes the two-sample KS test only when both windows have fewer rows than this.
KS_ROW_LIMIT = 10_000
KS_ROW_LIMIT_MODES = ("raise", "nan", "compute")


def ks_limit_message(n_reference: int, n_production: int) -> str:
    """What Azure does at the KS row limit, and the ways out."""
    return (
        f"Azure computes two_sample_kolmogorov_smirnov_test only when both windows have fewer than "
        f"{KS_ROW_LIMIT:,} rows (got {n_reference:,} reference and {n_production:,} production rows); "
        "above that its job raises and the whole signal fails. Sample both windows below the limit, "
        "pick another numerical metric, or pass ks_row_limit='compute' (scipy's value, which Azure "
        "never reports) or ks_row_limit='nan'"
    )


def check_ks_row_limit(mode: str) -> str:
    """Validate a ``ks_row_limit`` argument."""
    return _validate.choice("ks_row_limit", mode, KS_ROW_LIMIT_MODES, "'raise' fails as Azure does")


def _is_numeric(values) -> bool:
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if kind is None or kind == "O":
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        return inferred in ("integer", "floating", "mixed-integer-float", "decimal")
    return kind in "iuf"


def _sample(values, role: str):
    """``values`` if it is one sample (a 1-D list, array or Series), else a ValidationError."""
    try:
        ok = not isinstance(values, str | bytes | dict) and np.ndim(values) == 1
    except ValueError:  # ragged nested lists
        ok = False
    if not ok:
        raise ValidationError(f"the {role} sample must be a 1-D list, array or Series of values "
                              f"(got {type(values).__name__}: {str(values)[:60]}); pass one column, e.g. df['price']")
    return values


def _numbers(values, role: str) -> np.ndarray:
    _sample(values, role)
    if not _is_numeric(values):
        raise ValidationError(
            f"the {role} sample must hold numbers for a numerical metric (got {pd.Series(values).dtype} values "
            f"such as {list(pd.Series(values).dropna().head(3))}); "
            "pass categorical=True to treat it as categories"
        )
    x = np.asarray(pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValidationError(f"the {role} sample has no values once nulls are dropped")
    return x


def _sorted_pair(reference, production) -> tuple[np.ndarray, np.ndarray]:
    return np.sort(_numbers(reference, "reference")), np.sort(_numbers(production, "production"))


def category_counts(reference, production) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of every category seen in either sample (nulls dropped).

    Parameters
    ----------
    reference, production : array-like
        The two samples of one categorical feature.

    Returns
    -------
    categories : numpy.ndarray
        The union of categories: reference categories in order of appearance, then new ones.
    reference_counts, production_counts : numpy.ndarray of int64
        Counts per category; 0 where a sample never shows it.

    Examples
    --------
    >>> cats, ref, prod = category_counts(["a", "b", "a"], ["b", "c"])
    >>> cats.tolist(), ref.tolist(), prod.tolist()
    (['a', 'b', 'c'], [2, 1, 0], [0, 1, 1])

    Taught in lesson 04, §4.
    """
    reference, production = _sample(reference, "reference"), _sample(production, "production")
    return align_counts(*observed_counts(*factorize(reference)), *observed_counts(*factorize(production)))


def _counts(reference, production, categorical):
    reference, production = _sample(reference, "reference"), _sample(production, "production")
    if categorical is None:
        categorical = not (_is_numeric(reference) and _is_numeric(production))
    if categorical:
        _, ref, prod = category_counts(reference, production)
        n_ref, n_prod = int(ref.sum()), int(prod.sum())
        if n_ref == 0 or n_prod == 0:
            raise ValidationError("a sample has no values once nulls are dropped")
        return ref, prod, n_ref, n_prod
    ref, prod = _sorted_pair(reference, production)
    edges = sturges_edges(ref, prod)
    return histogram_sorted(ref, edges), histogram_sorted(prod, edges), ref.size, prod.size


def jensen_shannon_distance(reference, production, *, categorical: bool | None = None) -> float:
    """Jensen-Shannon distance (base 2) between two samples, as Azure computes it.

    Parameters
    ----------
    reference, production : array-like
        Samples of one feature; nulls are dropped.
    categorical : bool, optional
        Compare categories (True) or Azure's Sturges bins (False). By default, numbers are binned and
        anything else is categorical. (In :func:`~mlcheckup.drift.compare`, integer columns with
        few distinct values are categorical, as in Azure.)

    Returns
    -------
    float
        In [0, 1]: 0 for identical distributions, 1 for disjoint ones. Lower is better; Azure's
        default threshold for categorical features is 0.1.

    Examples
    --------
    >>> jensen_shannon_distance(["a", "a", "b"], ["a", "a", "b"])
    0.0
    >>> jensen_shannon_distance(["a", "a"], ["b", "b"])
    1.0

    Taught in lesson 04, §3.
    """
    return _kernels.jsd_from_counts(*_counts(reference, production, categorical))


def population_stability_index(reference, production, *, categorical: bool | None = None) -> float:
    """Population stability index with Azure's +1 smoothing and natural log.

    Each bin (or category of the union) gets one extra count; shares are ``(count + 1) /
    (n + bins)``; ``PSI = sum((prod - ref) * ln(prod / ref))``.

    Parameters
    ----------
    reference, production : array-like
        Samples of one feature; nulls are dropped.
    categorical : bool, optional
        As in :func:`jensen_shannon_distance`.

    Returns
    -------
    float
        >= 0; 0 for identical samples. Lower is better (rules of thumb: < 0.1 stable, > 0.25 shifted).

    Examples
    --------
    >>> population_stability_index([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    0.0

    Taught in lesson 04, §3.
    """
    return _kernels.psi_from_counts(*_counts(reference, production, categorical))


def normalized_wasserstein_distance(reference, production) -> float:
    """Wasserstein-1 distance divided by the reference's sample standard deviation (at least 0.001).

    Parameters
    ----------
    reference, production : array-like of numbers
        Samples of one numerical feature; nulls are dropped.

    Returns
    -------
    float
        >= 0, in units of reference standard deviations: 0.1 (Azure's default threshold) means the
        distributions differ by a tenth of a standard deviation of mass moved. Lower is better.

    Examples
    --------
    >>> round(normalized_wasserstein_distance([0.0, 2.0], [1.0, 3.0]), 6)  # W1 = 1, std = sqrt(2)
    0.707107

    Taught in lesson 04, §3.
    """
    ref = _numbers(reference, "reference")
    norm = _kernels.wasserstein_norm(_kernels.sample_std(ref))
    w1, _ = _kernels.merge_stats(np.sort(ref), np.sort(_numbers(production, "production")), need_ks=False)
    return w1 / norm


def two_sample_ks_pvalue(reference, production, *, ks_row_limit: str = "raise") -> float:
    """p-value of the two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``).

    Parameters
    ----------
    reference, production : array-like of numbers
        Samples of one numerical feature; nulls are dropped.
    ks_row_limit : {'raise', 'nan', 'compute'}
        What to do when either sample has 10 000 values or more, where Azure's job fails: raise
        :class:`KSRowLimitError` (default, as Azure), return nan, or compute scipy's value anyway.

    Returns
    -------
    float
        In [0, 1]. Higher is better: Azure breaches when the p-value is *below* the threshold. With
        large samples even a negligible shift gives a tiny p-value.

    Raises
    ------
    KSRowLimitError
        If a sample reaches 10 000 values and ``ks_row_limit='raise'``.

    Examples
    --------
    >>> two_sample_ks_pvalue([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0

    Taught in lesson 04, §4.
    """
    check_ks_row_limit(ks_row_limit)
    ref, prod = _sorted_pair(reference, production)
    if max(ref.size, prod.size) >= KS_ROW_LIMIT:
        if ks_row_limit == "raise":
            raise KSRowLimitError(ks_limit_message(ref.size, prod.size))
        if ks_row_limit == "nan":
            return float("nan")
    _, d = _kernels.merge_stats(ref, prod, need_ks=True)
    return _kernels.ks_pvalue(ref.size, prod.size, d, ref, prod)


def pearsons_chi_squared_pvalue(reference, production) -> float:
    """p-value of Pearson's chi-square test of the production counts against reference shares.

    Expected counts are ``reference share * production rows`` over the union of categories; a
    category never seen in the reference has expected count 0, and Azure reports p = 0.

    Parameters
    ----------
    reference, production : array-like
        Samples of one categorical feature; nulls are dropped.

    Returns
    -------
    float
        In [0, 1]; nan with a single category. Higher is better: Azure breaches below the threshold.

    Examples
    --------
    >>> round(pearsons_chi_squared_pvalue(["a"] * 50 + ["b"] * 50, ["a"] * 60 + ["b"] * 40), 4)
    0.0455
    >>> pearsons_chi_squared_pvalue(["a", "b"], ["a", "c"])
    0.0

    Taught in lesson 04, §4.
    """
    return _kernels.chi2_pvalue_from_counts(*_counts(reference, production, True))
