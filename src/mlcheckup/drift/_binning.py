"""Azure's bins for numerical JSD and PSI, with PySpark ``RDD.histogram`` semantics.

Azure (``histogram_utils.get_dual_histogram_bin_edges``) uses Sturges' rule on the *smaller*
window, ``k = ceil(log2(n_small) + 1)``, over the *combined* range ``[lo, hi]``, and builds the edges
as ``lo`` followed by ``lo + i * (hi - lo) / k`` for ``i = 1..k``; the last edge is not forced to
``hi``. A constant column gets one bin ``[v - d, v + d]`` with ``d = |v| * 0.005`` (0.005 when v = 0).

PySpark then counts with ``RDD.histogram(edges)``: bins are ``[a, b)`` except the last, ``[a, b]``;
values outside ``[edges[0], edges[-1]]`` are dropped, so when ``lo + k * width`` rounds just below
the maximum, the maximum is not counted. When the steps between edges agree to 1e-10, PySpark
calls the edges *even* and assigns a value to bin ``int((x - lo) / inc)`` with
``inc = (edges[-1] - lo) / k``, which can differ from a search on the edges for values that sit on
an edge; otherwise it bisects the edges.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate
from ..errors import ValidationError


def sturges_bin_count(n_reference: int, n_production: int) -> int:
    """Number of bins Azure uses: Sturges' rule on the smaller window, ``ceil(log2(n) + 1)``.

    Parameters
    ----------
    n_reference, n_production : int
        Rows in each window after the null drop (both at least 1).

    Returns
    -------
    int
        The bin count ``k``; ties take the production count (the same number).

    Examples
    --------
    >>> sturges_bin_count(10_000, 1_000_000)
    15

    Taught in lesson 04, §3.
    """
    n_reference = _validate.whole("n_reference", n_reference, words="of rows, 0 or more")
    n_production = _validate.whole("n_production", n_production, words="of rows, 0 or more")
    n_small = n_reference if n_reference < n_production else n_production
    if n_small < 1:
        raise ValidationError(f"a window has no rows (got {n_reference} and {n_production} rows); "
                              "every window needs at least one row without nulls")
    return math.ceil(math.log2(n_small) + 1)


def bin_edges(lo: float, hi: float, k: int) -> np.ndarray:
    """Azure's bin edges over ``[lo, hi]`` with ``k`` bins (one bin around a constant value).

    >>> bin_edges(0.0, 1.0, 4)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> bin_edges(2.0, 2.0, 4)
    array([1.99, 2.01])
    """
    lo, hi = _validate.number("lo", lo), _validate.number("hi", hi, low=lo)
    k = _validate.whole("k", k, 1, words="of bins, at least 1 (sturges_bin_count gives Azure's)")
    if lo == hi:
        d = 0.005 if lo == 0 else abs(lo) * 0.005
        return np.array([lo - d, lo + d])
    width = (hi - lo) / k
    return np.concatenate(([lo], lo + np.arange(1, k + 1) * width))


def _clean(values) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64).ravel()
    return x[~np.isnan(x)]


def sturges_edges(reference, production) -> np.ndarray:
    """Bin edges Azure builds for one numerical feature from two samples (nulls ignored).

    Parameters
    ----------
    reference, production : array-like of numbers
        The baseline and production values of the feature.

    Returns
    -------
    numpy.ndarray
        ``k + 1`` edges, ``k`` from :func:`sturges_bin_count`, over the combined range.

    Examples
    --------
    >>> sturges_edges([0.0, 1.0, 2.0, 3.0], [1.0, 5.0])
    array([0. , 2.5, 5. ])

    Taught in lesson 04, §3.
    """
    ref, prod = _clean(reference), _clean(production)
    k = sturges_bin_count(ref.size, prod.size)
    return bin_edges(min(ref.min(), prod.min()), max(ref.max(), prod.max()), k)


def spark_bucket_rule(edges: np.ndarray) -> float | None:
    """PySpark's choice: the increment ``inc`` when the edges are *even*, else None (bisect).

    Raises ValidationError for the edges ``RDD.histogram`` rejects (Azure's job fails on them).
    """
    edges = np.asarray(edges, dtype=np.float64)
    if edges.size < 2 or np.isnan(edges).any():
        raise ValidationError(f"histogram edges need at least two numbers and no NaN (got {edges!r})")
    steps = np.diff(edges)
    if (steps < 0).any():
        raise ValidationError("histogram edges must be sorted (PySpark: 'buckets should be sorted')")
    if (steps == 0).any():
        raise ValidationError(
            "two histogram edges are equal: the range is too narrow for the bin count at this magnitude "
            f"(edges {edges[0]!r} .. {edges[-1]!r}); PySpark rejects such edges, so Azure's job fails too; "
            "subtract a constant from the column or use normalized_wasserstein_distance"
        )
    if steps.max() - steps.min() < 1e-10:
        return (edges[-1] - edges[0]) / (edges.size - 1)
    return None


def histogram(values, edges) -> np.ndarray:
    """Count values into bins exactly as PySpark's ``RDD.histogram(edges)`` does.

    Parameters
    ----------
    values : array-like of numbers
        The sample; NaN and None are ignored.
    edges : array-like of float
        Sorted bin edges, e.g. from :func:`sturges_edges`.

    Returns
    -------
    numpy.ndarray of int64
        ``len(edges) - 1`` counts. Bins are ``[a, b)`` except the last, ``[a, b]``; values outside
        the edges are dropped.

    Examples
    --------
    >>> histogram([0.0, 0.5, 1.0, 1.0, 7.0], [0.0, 0.5, 1.0])
    array([1, 3])

    Taught in lesson 04, §3.
    """
    edges = np.asarray(edges, dtype=np.float64)
    inc = spark_bucket_rule(edges)
    x = _clean(values)
    x = x[(x >= edges[0]) & (x <= edges[-1])]
    if inc is not None:
        bins = ((x - edges[0]) / inc).astype(np.int64)
    else:
        bins = np.searchsorted(edges, x, side="right") - 1
    k = edges.size - 1
    return np.bincount(np.minimum(bins, k - 1), minlength=k)


def histogram_sorted(xs: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """:func:`histogram` on an ascending float64 array without NaN, in O(k log n)."""
    n, k = xs.size, edges.size - 1
    lo = edges[0]
    first = np.searchsorted(xs, lo, side="left")
    stop = np.searchsorted(xs, edges[-1], side="right")
    inc = spark_bucket_rule(edges)
    if inc is None:
        inner = np.searchsorted(xs, edges[1:-1], side="left")
    else:
        # First index whose bin int((x - lo) / inc) reaches j, for j = 1..k-1: a vectorized bisection
        # on the same floating-point expression PySpark evaluates (it is monotone in x).
        j = np.arange(1, k, dtype=np.float64)
        left = np.full(k - 1, first, dtype=np.int64)
        right = np.full(k - 1, stop, dtype=np.int64)
        while (active := left < right).any():
            mid = (left + right) // 2
            reached = (xs[np.minimum(mid, n - 1)] - lo) / inc >= j
            right = np.where(active & reached, mid, right)
            left = np.where(active & ~reached, mid + 1, left)
        inner = left
    bounds = np.concatenate(([first], np.clip(inner, first, stop), [stop]))
    return np.diff(bounds)
