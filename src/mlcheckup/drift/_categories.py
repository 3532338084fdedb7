"""Category counting shared by the metric functions and the drift engine (private)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def factorize(values) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 for null) and categories of a column; a ``category`` column reuses its codes."""
    values = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    codes, uniques = pd.factorize(values.to_numpy())
    return codes, pd.Index(uniques)


def observed_counts(codes: np.ndarray, uniques: pd.Index, keep: np.ndarray | None = None):
    """Categories that occur in the kept, non-null rows, with their counts."""
    if keep is not None:
        codes = codes[keep]
    counts = np.bincount(codes[codes >= 0] if (codes < 0).any() else codes, minlength=len(uniques))
    seen = counts > 0
    return uniques[seen], counts[seen]


def align_counts(ref_uniques: pd.Index, ref_counts: np.ndarray, prod_uniques: pd.Index, prod_counts: np.ndarray):
    """Counts of both samples over the union of their categories (reference order, then new ones)."""
    new = ~prod_uniques.isin(ref_uniques)
    categories = ref_uniques.append(prod_uniques[new])
    base = np.concatenate((ref_counts, np.zeros(int(new.sum()), dtype=np.int64))).astype(np.int64)
    prod = np.zeros(len(categories), dtype=np.int64)
    prod[categories.get_indexer(prod_uniques)] = prod_counts
    return np.asarray(categories), base, prod
