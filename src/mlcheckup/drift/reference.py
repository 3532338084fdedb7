"""Data drift and prediction drift tables, with the reference prepared once.

:func:`compare` is the one-liner; :class:`Reference` keeps the baseline typed, null-dropped, sorted
and counted, so comparing it with many production windows (see :class:`~mlcheckup.drift.DriftDetector`)
sorts it only once per set of shared columns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import KSRowLimitError, ValidationError
from . import _kernels, _typing
from ._binning import bin_edges, histogram_sorted, sturges_bin_count
from ._categories import align_counts, factorize, observed_counts
from .metrics import KS_ROW_LIMIT, check_ks_row_limit, ks_limit_message
from .thresholds import breached, metric_plan

__all__ = ["DRIFT_COLUMNS", "Reference", "azure_signal_output", "compare", "drift_table", "feature_types", "prediction_drift"]

#: Columns of every drift table, in order (Azure's signal output plus the breach and row counts).
DRIFT_COLUMNS = (
    "feature_name", "data_type", "metric_name", "metric_value", "threshold_value", "breached",
    "baseline_row_count", "target_row_count", "note",
)
_LABEL = {_typing.NUMERICAL: "Numerical", _typing.CATEGORICAL: "Categorical"}
_SERIAL_BELOW_ROWS = 50_000  # below this, threads cost more than they save


def as_float(values: pd.Series) -> np.ndarray:
    """A column as float64 (a view when it already is), nulls as NaN."""
    if values.dtype == np.float64:
        return values.to_numpy()
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def null_mask(frame: pd.DataFrame, columns: Iterable[str], codes: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rows with a null in any column; factorized columns reuse their codes (-1 = null)."""
    columns = list(columns)
    mask = _typing.null_rows(frame, [c for c in columns if c not in codes])
    for name in columns:
        if name in codes:
            mask |= codes[name] < 0
    return mask


def _workers(n_jobs: int | None, n_rows: int, n_tasks: int) -> int:
    if n_jobs is None:
        n_jobs = 1 if n_rows < _SERIAL_BELOW_ROWS else (os.cpu_count() or 1)
    n_jobs = _validate.whole("n_jobs", n_jobs, 1, words="of at least 1, or None")
    return max(1, min(n_jobs, n_tasks))


def run_tasks(function, items: list, workers: int) -> list:
    """``[function(item) for item in items]``, on ``workers`` threads (numpy releases the GIL)."""
    if workers == 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


class _Window:
    """The reference restricted to the rows without nulls in one set of common-name columns."""

    def __init__(self, reference: Reference, common: tuple[str, ...]):
        self.reference = reference
        codes = {c: reference.codes(c)[0] for c in common if reference.types[c].data_type == _typing.CATEGORICAL}
        mask = null_mask(reference.data, common, codes)
        self.keep = ~mask if mask.any() else None
        self.n_rows = int(len(mask) - mask.sum())
        self._numerical: dict[str, tuple[np.ndarray, float]] = {}
        self._categorical: dict[str, tuple[pd.Index, np.ndarray]] = {}

    def numerical(self, name: str) -> tuple[np.ndarray, float]:
        """Sorted values and sample std of a numerical reference column (computed once)."""
        if name not in self._numerical:
            x = as_float(self.reference.data[name])
            x = x[self.keep] if self.keep is not None else x
            std = _kernels.sample_std(x)
            self._numerical[name] = (np.sort(x), std)
        return self._numerical[name]

    def categorical(self, name: str) -> tuple[pd.Index, np.ndarray]:
        """Observed categories and counts of a categorical reference column (computed once)."""
        if name not in self._categorical:
            self._categorical[name] = observed_counts(*self.reference.codes(name), self.keep)
        return self._categorical[name]


class Reference:
    """A baseline prepared once for many drift comparisons, as Azure's drift job sees it.

    Parameters
    ----------
    data : pandas.DataFrame
        The baseline (training data or an earlier production window). It is not copied: do not
        modify it while the Reference is in use.
    features : list of str, optional
        Columns to monitor (all by default), like ``DataDriftSignal(features=...)``.
    feature_type_override : dict, optional
        ``{"column": "numerical" | "categorical"}``, as the signal's ``feature_type_override``.
    exclude : list of str, optional
        Columns never compared, e.g. a timestamp or a correlation id.

    Attributes
    ----------
    types : dict
        :class:`FeatureType` per column, decided on the raw baseline (before the null drop).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = Reference(pd.DataFrame({"price": rng.normal(size=500), "region": rng.choice(["N", "S"], 500)}))
    >>> table = ref.compare(pd.DataFrame({"price": rng.normal(1, 1, 300), "region": rng.choice(["N", "S"], 300)}))
    >>> ref
    Reference(500 rows, 1 numerical and 1 categorical features)
    >>> table["breached"].tolist()
    [True, False]

    Taught in lesson 04, §2.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        features: Iterable[str] | None = None,
        feature_type_override: Mapping[str, str] | None = None,
        exclude: Iterable[str] | None = None,
    ):
        self.columns = _typing.select_columns(data, features, exclude)
        self.data = data
        self.types = _typing.reference_types(data, self.columns, feature_type_override)
        self._features_given = features is not None
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self._windows: dict[tuple[str, ...], _Window] = {}

    def __repr__(self) -> str:
        kinds = [t.data_type for t in self.types.values()]
        return (f"Reference({len(self.data):,} rows, {kinds.count(_typing.NUMERICAL)} numerical and "
                f"{kinds.count(_typing.CATEGORICAL)} categorical features)")

    def codes(self, name: str) -> tuple[np.ndarray, pd.Index]:
        """Factorized reference column (cached)."""
        if name not in self._codes:
            self._codes[name] = factorize(self.data[name])
        return self._codes[name]

    def window(self, common: Iterable[str]) -> _Window:
        """The reference after the null drop over ``common`` columns (cached per column set)."""
        key = tuple(common)
        if key not in self._windows:
            self._windows[key] = _Window(self, key)
        return self._windows[key]

    def feature_types(self) -> pd.DataFrame:
        """One row per column: family, Azure data type, distinct ratio (integers) and override.

        Taught in lesson 04, §2.
        """
        rows = [vars(t) | {"data_type": _LABEL.get(t.data_type)} for t in self.types.values()]
        return pd.DataFrame(rows, columns=["feature_name", "family", "data_type", "distinct_ratio", "overridden"])

    def compare(
        self,
        production: pd.DataFrame,
        *,
        numerical=None,
        categorical=None,
        ks_row_limit: str = "raise",
        n_jobs: int | None = None,
    ) -> pd.DataFrame:
        """Drift of a production window against this reference, one row per feature and metric.

        Parameters are those of :func:`compare`.
        """
        return drift_table(self, production, numerical=numerical, categorical=categorical,
                           ks_row_limit=ks_row_limit, n_jobs=n_jobs)


def drift_table(reference: Reference, production: pd.DataFrame, *, numerical=None, categorical=None,
                ks_row_limit: str = "raise", n_jobs: int | None = None) -> pd.DataFrame:
    """The engine behind :func:`compare` and :meth:`Reference.compare`."""
    plans = {_typing.NUMERICAL: metric_plan(numerical, "numerical"),
             _typing.CATEGORICAL: metric_plan(categorical, "categorical")}
    check_ks_row_limit(ks_row_limit)
    common, measured, skipped = _typing.common_plan(reference.columns, reference.types, production,
                                                    reference._features_given)
    kinds = {name: reference.types[name].data_type for name in measured}
    window = reference.window(common)
    codes = {n: factorize(production[n]) for n in measured if kinds[n] == _typing.CATEGORICAL}
    mask = null_mask(production, common, {n: c for n, (c, _) in codes.items()})
    keep = ~mask if mask.any() else None
    n_ref, n_prod = window.n_rows, int(len(mask) - mask.sum())
    check_window_rows(len(common), n_ref, n_prod)
    compute_ks, ks_note = ks_decision(plans, _typing.NUMERICAL in kinds.values(), n_ref, n_prod, ks_row_limit)
    k = sturges_bin_count(n_ref, n_prod)

    def numeric(name: str) -> dict[str, float]:
        plan = plans[_typing.NUMERICAL]
        ref, std = window.numerical(name)
        x = as_float(production[name])
        x = np.sort(x[keep]) if keep is not None else np.sort(x)
        check_finite(name, [ref[0], ref[-1], x[0], x[-1]])
        out = {}
        if "jensen_shannon_distance" in plan or "population_stability_index" in plan:
            edges = bin_edges(min(ref[0], x[0]), max(ref[-1], x[-1]), k)
            counts = (histogram_sorted(ref, edges), histogram_sorted(x, edges), n_ref, n_prod)
            out["jensen_shannon_distance"] = _kernels.jsd_from_counts(*counts)
            out["population_stability_index"] = _kernels.psi_from_counts(*counts)
        if "normalized_wasserstein_distance" in plan or compute_ks:
            w1, d = _kernels.merge_stats(ref, x, need_ks=compute_ks)
            out["normalized_wasserstein_distance"] = w1 / _kernels.wasserstein_norm(std)
            if compute_ks:
                out["two_sample_kolmogorov_smirnov_test"] = _kernels.ks_pvalue(n_ref, n_prod, d, ref, x)
        return out

    def categoric(name: str) -> dict[str, float]:
        ref_uniques, ref_counts = window.categorical(name)
        prod_uniques, prod_counts = observed_counts(*codes[name], keep)
        _, base, prod = align_counts(ref_uniques, ref_counts, prod_uniques, prod_counts)
        counts = (base, prod, n_ref, n_prod)
        return {"jensen_shannon_distance": _kernels.jsd_from_counts(*counts),
                "population_stability_index": _kernels.psi_from_counts(*counts),
                "pearsons_chi_squared_test": _kernels.chi2_pvalue_from_counts(*counts)}

    def task(name: str) -> dict[str, float]:
        return numeric(name) if kinds[name] == _typing.NUMERICAL else categoric(name)

    workers = _workers(n_jobs, max(n_ref, n_prod), len(measured))
    # Largest work first, so two threads finish together.
    order = sorted(measured, key=lambda n: kinds[n] != _typing.NUMERICAL)
    values = dict(zip(order, run_tasks(task, order, workers), strict=True))
    return metric_table(values, kinds, plans, ks_note, (n_ref, n_prod), skipped)


def check_window_rows(n_common: int, n_ref: int, n_prod: int) -> None:
    """Raise Azure's empty-window failure when a window has no row left after the null drop."""
    if n_ref == 0 or n_prod == 0:
        raise ValidationError(
            f"after dropping rows with a null in any of the {n_common} shared columns, the reference has "
            f"{n_ref} rows and the production window {n_prod}; Azure's job fails on an empty window. "
            "Select fewer features, or fill or drop the nulls first"
        )


def check_finite(name: str, extremes) -> None:
    """Raise when a numerical column's extremes (min and max of both windows) are not finite."""
    if not np.isfinite(np.asarray(extremes, dtype=np.float64)).all():
        raise ValidationError(
            f"column {name!r} holds infinite values; Azure's bins and Wasserstein distance fail on them "
            "(PySpark rejects infinite histogram edges); replace them with nulls or finite numbers first"
        )


def ks_decision(plans: Mapping[str, dict], has_numerical: bool, n_ref: int, n_prod: int,
                ks_row_limit: str) -> tuple[bool, str]:
    """Whether to compute KS, and the note of its rows: Azure's 10,000-row refusal applied."""
    wants_ks = "two_sample_kolmogorov_smirnov_test" in plans[_typing.NUMERICAL] and has_numerical
    ks_note = ""
    if wants_ks and max(n_ref, n_prod) >= KS_ROW_LIMIT:
        if ks_row_limit == "raise":
            raise KSRowLimitError(ks_limit_message(n_ref, n_prod))
        ks_note = ("Azure fails this signal: KS needs fewer than 10,000 rows per window"
                   + ("; scipy's value shown" if ks_row_limit == "compute" else ""))
    return wants_ks and not (ks_note and ks_row_limit == "nan"), ks_note


def metric_table(values: Mapping[str, dict], kinds: Mapping[str, str], plans: Mapping[str, dict], ks_note: str,
                 row_counts: tuple[int, int], skipped: Mapping[str, str]) -> pd.DataFrame:
    """The drift table from ``{feature: {metric: value}}``, in feature order then the plan's metric order."""
    rows = []
    for name, kind in kinds.items():
        for metric, threshold in plans[kind].items():
            note = ks_note if metric == "two_sample_kolmogorov_smirnov_test" else ""
            rows.append((name, _LABEL[kind], metric, values[name].get(metric, float("nan")),
                         float("nan") if threshold is None else threshold, note))
    table = pd.DataFrame(rows, columns=["feature_name", "data_type", "metric_name", "metric_value",
                                        "threshold_value", "note"])
    return finish_table(table, *row_counts, skipped)


def finish_table(table: pd.DataFrame, n_ref: int | None, n_prod: int, skipped: Mapping[str, str]) -> pd.DataFrame:
    """Add the breach column and row counts, order the columns, record skipped features in attrs."""
    known = (table["metric_value"].notna() & table["threshold_value"].notna()).to_numpy()
    flags = pd.array(breached(table["metric_name"].to_numpy(), table["metric_value"].to_numpy(),
                              table["threshold_value"].to_numpy()), dtype="boolean")
    flags[~known] = pd.NA
    table["breached"] = flags
    if n_ref is not None:
        table["baseline_row_count"] = n_ref
    table["target_row_count"] = n_prod
    table = table[[c for c in DRIFT_COLUMNS if c in table.columns]
                  + [c for c in table.columns if c not in DRIFT_COLUMNS]]
    table.attrs["skipped_features"] = dict(skipped)
    return table


def compare(
    reference: pd.DataFrame | Reference,
    production: pd.DataFrame,
    *,
    features: Iterable[str] | None = None,
    feature_type_override: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    numerical=None,
    categorical=None,
    ks_row_limit: str = "raise",
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Azure ML's data drift signal, computed locally: one row per feature and metric.

    Parameters
    ----------
    reference, production : pandas.DataFrame
        Baseline and production window (a :class:`Reference` is accepted for the baseline).
        Only columns with the same name and type family in both are compared.
    features : list of str, optional
        Columns to compare (default: all shared ones).
    feature_type_override : dict, optional
        ``{"column": "numerical" | "categorical"}``.
    exclude : list of str, optional
        Columns never compared (timestamps, ids).
    numerical, categorical : None, str, list or dict
        Metrics per feature type: None for Azure's default (``normalized_wasserstein_distance``
        0.1 / ``jensen_shannon_distance`` 0.1), ``"all"``, a name, a list of names, or
        ``{name: threshold}``. Unlike Azure (one metric per type), any number may be asked for.
    ks_row_limit : {'raise', 'nan', 'compute'}
        Azure's KS test fails the signal when a window has 10 000 rows or more: raise
        :class:`KSRowLimitError` (default), report nan, or compute scipy's value anyway.
        Either of the last two adds a note on those rows.
    n_jobs : int, optional
        Threads (default: all cores for 50 000 rows or more, else 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``feature_name, data_type ('Numerical' | 'Categorical'), metric_name,
        metric_value, threshold_value, breached, baseline_row_count, target_row_count, note``.
        ``breached`` is Azure's test in float32 (value > threshold, p-value < threshold), NA
        without a threshold. ``table.attrs['skipped_features']`` lists shared columns that got no
        metric and why.

    Raises
    ------
    SchemaMismatchError
        If no column is shared, or a listed feature is missing.
    KSRowLimitError
        If KS is asked for above the row limit with ``ks_row_limit='raise'``.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"price": [1.0, 1.2, 0.9, 1.1] * 25, "type": ["organic", "conventional"] * 50})
    >>> new = pd.DataFrame({"price": [1.5, 1.7, 1.4, 1.6] * 25, "type": ["organic"] * 100})
    >>> compare(ref, new)[["feature_name", "metric_value", "breached"]].round(3)
      feature_name  metric_value  breached
    0        price         4.450      True
    1         type         0.558      True

    Taught in lesson 04, §2.
    """
    if not isinstance(reference, Reference):
        reference = Reference(reference, features=features, feature_type_override=feature_type_override,
                              exclude=exclude)
    elif features is not None or feature_type_override is not None or exclude is not None:
        raise ValidationError("features, feature_type_override and exclude belong to the Reference "
                              "when you pass one; set them when you create it")
    return drift_table(reference, production, numerical=numerical, categorical=categorical,
                       ks_row_limit=ks_row_limit, n_jobs=n_jobs)


def prediction_drift(reference, production, **options) -> pd.DataFrame:
    """Azure ML's prediction drift signal: :func:`compare` applied to model outputs.

    Azure computes prediction drift exactly as data drift, on the ``model_outputs`` columns
    (predicted class or value, scores), with the same defaults (0.1 / 0.1).

    Examples
    --------
    >>> import pandas as pd
    >>> before = pd.DataFrame({"predicted_label": ["cheap"] * 70 + ["pricey"] * 30})
    >>> after = pd.DataFrame({"predicted_label": ["cheap"] * 40 + ["pricey"] * 60})
    >>> prediction_drift(before, after)[["feature_name", "metric_name", "metric_value", "breached"]].round(3)
          feature_name              metric_name  metric_value  breached
    0  predicted_label  jensen_shannon_distance         0.258      True

    Taught in lesson 04, §6.
    """
    return compare(reference, production, **options)


def feature_types(reference: pd.DataFrame, *, feature_type_override: Mapping[str, str] | None = None,
                  features: Iterable[str] | None = None) -> pd.DataFrame:
    """How Azure types each column of a baseline: family, Numerical or Categorical, and why.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"size": [1, 2, 3] * 40, "price": [1.5, 2.5, 3.5] * 40, "region": ["N", "S", "W"] * 40})
    >>> feature_types(ref)[["feature_name", "family", "data_type"]]
      feature_name   family    data_type
    0         size  integer  Categorical
    1        price    float    Numerical
    2       region   string  Categorical

    Taught in lesson 04, §2.
    """
    return Reference(reference, features=features, feature_type_override=feature_type_override).feature_types()


def azure_signal_output(table: pd.DataFrame) -> pd.DataFrame:
    """A drift table in the exact layout of Azure's signal output (float32 values, wire names).

    Azure writes ``feature_name, metric_value, data_type, metric_name, group, group_pivot,
    threshold_value`` with float32 values, and two extra rows, ``BaselineRowCount`` and
    ``TargetRowCount``, whose threshold is NaN. Compare with Azure's stored output at a relative
    tolerance of about 1e-7.

    Examples
    --------
    >>> import pandas as pd
    >>> table = compare(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), pd.DataFrame({"x": [2.0, 3.0, 4.0]}))
    >>> azure_signal_output(table)[["feature_name", "metric_name", "metric_value"]]
      feature_name                    metric_name  metric_value
    0            x  NormalizedWassersteinDistance           1.0
    1                            BaselineRowCount           3.0
    2                              TargetRowCount           3.0

    Taught in lesson 04, §7.
    """
    from .thresholds import WIRE_NAMES

    out = pd.DataFrame({
        "feature_name": table["feature_name"],
        "metric_value": table["metric_value"].astype(np.float32),
        "data_type": table["data_type"],
        "metric_name": table["metric_name"].map(WIRE_NAMES),
        "group": "",
        "group_pivot": "",
        "threshold_value": table["threshold_value"].astype(np.float32),
    })
    counts = pd.DataFrame({
        "feature_name": ["", ""],
        "metric_value": np.array([table["baseline_row_count"].iloc[0], table["target_row_count"].iloc[0]],
                                 dtype=np.float32),
        "data_type": ["", ""], "metric_name": ["BaselineRowCount", "TargetRowCount"],
        "group": ["", ""], "group_pivot": ["", ""], "threshold_value": np.array([np.nan, np.nan], dtype=np.float32),
    })
    return pd.concat([out, counts], ignore_index=True)
