"""Azure ML's data and prediction drift tables computed on Spark, equal to :func:`mlcheckup.drift.compare`.

The entries mirror the pandas backend: :func:`compare` (and its alias :func:`prediction_drift`, as
Azure computes prediction drift exactly as data drift on the output columns) and :func:`data_quality`
(:mod:`._spark_quality`): two PySpark DataFrames in, the same tidy table out, equal to it within 1e-9.
:func:`local_session` starts the quiet ``local[2]`` session the course uses. PySpark is imported
only when you call them, so ``mlcheckup.drift`` imports without it.

What runs where, as in Azure's own code (Azure/azureml-assets ``assets/model_monitoring/components/
src/data_drift_compute_metrics/numerical_data_drift_metrics.py`` and ``shared_utilities/
{df_utils,histogram_utils}.py``, commit 4b41f8cc):

* **distributed** (Spark jobs, only small results reach the driver): the type families read from
  the schema, the integer typing (distinct values, null counted once, over rows), the row-wise null
  drop (``dropna`` over every common-name column, NaN included), the row counts, min, max and sample
  std, the histograms on Azure's Sturges edges with PySpark ``RDD.histogram`` rules (one aggregation
  for all numerical features), and the category counts (one ``GROUPING SETS`` job for all categorical features). So
  ``jensen_shannon_distance``, ``population_stability_index`` and ``pearsons_chi_squared_test``
  keep the driver's memory bounded whatever the row count;
* **on the driver**: exact ``normalized_wasserstein_distance`` and the KS test need every value of
  the column. Azure collects the column to the driver (``select(column).rdd.flatMap(...).collect()``
  for Wasserstein, ``toPandas()`` for KS, which it refuses at 10 000 rows or more); so does this
  backend (one job per window for all such columns). Wasserstein is the default numerical metric: on windows too large for
  the driver, ask for ``numerical="jensen_shannon_distance"`` (or PSI) instead.

On Azure the model monitor runs this code on **serverless Spark**: a ``MonitorSchedule``'s
``compute=ServerlessSparkCompute(runtime_version="3.4", instance_type="standard_e4s_v3")``
(runtime 3.4 is Spark 3.4 with Python 3.10; the instance type is the node size, E4s v3 = 4 cores and
32 GiB, billed per node-hour while the job runs). :func:`spark_job` builds an Azure ML ``spark``
job that runs this function there, and :func:`validated_yaml` checks it offline with azure-ai-ml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from . import _kernels, _typing
from ._binning import bin_edges, spark_bucket_rule, sturges_bin_count
from ._categories import align_counts
from ._spark_job import INSTANCE_TYPE, RUNTIME_VERSION, spark_job, validated_yaml
from ._spark_quality import data_quality
from ._spark_schema import (
    PROXY_DTYPE,
    SPARK_FAMILIES,
    check_frames,
    is_spark_frame,
    proxy_frame,
    spark_family,
)
from ._spark_session import local_session
from .metrics import check_ks_row_limit
from .reference import check_finite, check_window_rows, ks_decision, metric_table
from .thresholds import metric_plan

__all__ = ["INSTANCE_TYPE", "RUNTIME_VERSION", "SPARK_FAMILIES", "compare", "data_quality", "is_spark_frame",
           "local_session", "prediction_drift", "spark_family", "spark_job", "validated_yaml"]


def _reference_types(frame, columns: list[str], override) -> dict[str, _typing.FeatureType]:
    """Azure's typing on the raw Spark baseline; integer distinct ratios in one distributed job."""
    from pyspark.sql import functions as F

    override = _typing.check_override(override, frame.columns)
    families = {c: spark_family(frame.schema[c].dataType) for c in columns}
    ints = [c for c in columns if families[c] == "integer"]
    ratios = dict.fromkeys(columns, float("nan"))
    if ints:
        aggs = [F.count(F.lit(1))] + [F.countDistinct(frame[c]) + F.max(frame[c].isNull().cast("int"))
                                      for c in ints]
        row = frame.agg(*aggs).first()
        ratios |= {c: (row[i + 1] / row[0] if row[0] else float("nan")) for i, c in enumerate(ints)}
    types = {}
    for name in columns:
        family, kind = families[name], override.get(name)
        if family == "integer" and kind is None:
            data_type = _typing.CATEGORICAL if ratios[name] < _typing.INTEGER_CATEGORICAL_RATIO else _typing.NUMERICAL
        else:
            empty = pd.Series([], name=name, dtype=PROXY_DTYPE[family])
            data_type = _typing.data_type_of(empty, family, kind)
        types[name] = _typing.FeatureType(name, family, data_type, ratios[name], name in override)
    return types


def _bucket(column, edges: np.ndarray):
    """PySpark ``RDD.histogram(edges)``'s bin of each value as a Spark expression (null outside)."""
    from pyspark.sql import functions as F

    x, k = column.cast("double"), edges.size - 1
    inc = spark_bucket_rule(edges)
    if inc is not None:  # even edges: int((x - lo) / inc), the top value folded into the last bin
        index = F.least(((x - F.lit(float(edges[0]))) / F.lit(inc)).cast("long"), F.lit(k - 1))
    else:  # bisect_right(edges, x) - 1 == number of inner edges <= x
        index = sum(((x >= F.lit(float(e))).cast("long") for e in edges[1:-1]), F.lit(0).cast("long"))
    return F.when((x >= F.lit(float(edges[0]))) & (x <= F.lit(float(edges[-1]))), index)


def _histograms(frame, edges: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Counts per bin of every numerical feature, in one distributed aggregation."""
    from pyspark.sql import functions as F

    names = list(edges)
    if not names:
        return {}
    binned = frame.select(*[_bucket(frame[n], edges[n]).alias(f"b{i}") for i, n in enumerate(names)])
    aggs = [F.count(F.when(F.col(f"b{i}") == j, 1)) for i, n in enumerate(names) for j in range(edges[n].size - 1)]
    row, out, at = binned.agg(*aggs).first(), {}, 0
    for n in names:
        k = edges[n].size - 1
        out[n] = np.array(row[at:at + k], dtype=np.int64)
        at += k
    return out


def _categories(frame, names: list[str]) -> dict[str, tuple[pd.Index, np.ndarray]]:
    """Observed categories and counts of every categorical feature: one ``GROUPING SETS`` job."""
    from pyspark.sql import functions as F

    if not names:
        return {}
    columns = [frame[n] for n in names]
    rows = frame.groupingSets([[c] for c in columns], *columns).agg(F.grouping_id(), F.count(F.lit(1))).collect()
    out = {}
    for i, name in enumerate(names):
        gid = (1 << len(names)) - 1 - (1 << (len(names) - 1 - i))  # bit set for every column not grouped
        mine = [r for r in rows if r[-2] == gid]
        out[name] = (pd.Index([r[i] for r in mine], dtype=object), np.array([r[-1] for r in mine], dtype=np.int64))
    return out


def _values(frame, names: list[str]) -> dict[str, np.ndarray]:
    """Every value of each column, sorted, on the driver (what Azure does for Wasserstein and KS)."""
    from pyspark.sql import functions as F

    if not names:
        return {}
    row = frame.agg(*[F.sort_array(F.collect_list(frame[n].cast("double"))) for n in names]).first()
    return {n: np.asarray(row[i], dtype=np.float64) for i, n in enumerate(names)}


def compare(
    reference,
    production,
    *,
    features: Iterable[str] | None = None,
    feature_type_override: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    numerical=None,
    categorical=None,
    ks_row_limit: str = "raise",
) -> pd.DataFrame:
    """Azure ML's data drift signal on two PySpark DataFrames: :func:`mlcheckup.drift.compare` on Spark.

    Parameters
    ----------
    reference, production : pyspark.sql.DataFrame
        Baseline and production window. Only columns with the same name and Spark type family in
        both are compared (integer types together, float/double/decimal together, string, boolean,
        date/timestamp); the typing, null drop, bins, metrics and defaults are those of the pandas
        backend (see the module docstring for what runs distributed).
    features, feature_type_override, exclude, numerical, categorical, ks_row_limit
        As in :func:`mlcheckup.drift.compare`.

    Returns
    -------
    pandas.DataFrame
        The drift table of :func:`mlcheckup.drift.compare` (same columns, rows and ``attrs``).

    Raises
    ------
    ValidationError
        If an input is not a PySpark DataFrame, a window is empty after the null drop, or a column
        holds infinite values.
    SchemaMismatchError
        If no column is shared with the same type family, or a listed feature is missing.
    KSRowLimitError
        If KS is asked for above the row limit with ``ks_row_limit='raise'``.

    Examples
    --------
    >>> from pyspark.sql import SparkSession                           # doctest: +SKIP
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
    >>> table = drift.spark.compare(spark.read.parquet("baseline/"), spark.read.parquet("2026-12/"),
    ...                             numerical="jensen_shannon_distance")  # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    check_frames("drift.spark.compare", "drift.compare", reference, production)
    plans = {_typing.NUMERICAL: metric_plan(numerical, "numerical"),
             _typing.CATEGORICAL: metric_plan(categorical, "categorical")}
    check_ks_row_limit(ks_row_limit)
    columns = _typing.select_columns(proxy_frame(reference), features, exclude)
    types = _reference_types(reference, columns, feature_type_override)
    common, measured, skipped = _typing.common_plan(columns, types, proxy_frame(production), features is not None)
    for name in skipped:
        if types[name].data_type is None:
            skipped[name] = f"no drift metric for Spark {reference.schema[name].dataType.simpleString()} columns"
    kinds = {name: types[name].data_type for name in measured}
    numeric = [n for n in measured if kinds[n] == _typing.NUMERICAL]
    ref, prod = reference.dropna(subset=common), production.dropna(subset=common)

    def summary(frame, with_std: bool):
        aggs = [F.count(F.lit(1))]
        for n in numeric:
            x = frame[n].cast("double")
            aggs += [F.min(x), F.max(x)] + ([F.stddev_samp(x)] if with_std else [])
        return frame.agg(*aggs).first()

    ref_row, prod_row = summary(ref, True), summary(prod, False)
    n_ref, n_prod = int(ref_row[0]), int(prod_row[0])
    check_window_rows(len(common), n_ref, n_prod)
    compute_ks, ks_note = ks_decision(plans, bool(numeric), n_ref, n_prod, ks_row_limit)
    k = sturges_bin_count(n_ref, n_prod)

    values: dict[str, dict[str, float]] = {}
    edges = {}
    for i, name in enumerate(numeric):
        lo_r, hi_r, std = ref_row[1 + 3 * i: 4 + 3 * i]
        lo_p, hi_p = prod_row[1 + 2 * i: 3 + 2 * i]
        check_finite(name, [lo_r, hi_r, lo_p, hi_p])
        edges[name] = bin_edges(min(lo_r, lo_p), max(hi_r, hi_p), k)
        values[name] = {"std": float("nan") if std is None else float(std)}
    plan = plans[_typing.NUMERICAL]
    binned = "jensen_shannon_distance" in plan or "population_stability_index" in plan
    hist_ref, hist_prod = (_histograms(ref, edges), _histograms(prod, edges)) if binned else ({}, {})
    exact = numeric if "normalized_wasserstein_distance" in plan or compute_ks else []
    sorted_ref, sorted_prod = _values(ref, exact), _values(prod, exact)
    for name in numeric:
        out = values[name]
        if binned:
            counts = (hist_ref[name], hist_prod[name], n_ref, n_prod)
            out["jensen_shannon_distance"] = _kernels.jsd_from_counts(*counts)
            out["population_stability_index"] = _kernels.psi_from_counts(*counts)
        if name in sorted_ref:
            a, b = sorted_ref[name], sorted_prod[name]
            w1, d = _kernels.merge_stats(a, b, need_ks=compute_ks)
            out["normalized_wasserstein_distance"] = w1 / _kernels.wasserstein_norm(out["std"])
            if compute_ks:
                out["two_sample_kolmogorov_smirnov_test"] = _kernels.ks_pvalue(n_ref, n_prod, d, a, b)
    categoric = [n for n in measured if kinds[n] == _typing.CATEGORICAL]
    cats_ref, cats_prod = _categories(ref, categoric), _categories(prod, categoric)
    for name in categoric:
        _, base, seen = align_counts(*cats_ref[name], *cats_prod[name])
        counts = (base, seen, n_ref, n_prod)
        values[name] = {"jensen_shannon_distance": _kernels.jsd_from_counts(*counts),
                        "population_stability_index": _kernels.psi_from_counts(*counts),
                        "pearsons_chi_squared_test": _kernels.chi2_pvalue_from_counts(*counts)}
    return metric_table(values, kinds, plans, ks_note, (n_ref, n_prod), skipped)


def prediction_drift(reference, production, **options) -> pd.DataFrame:
    """Azure ML's prediction drift signal on Spark: :func:`compare` on the model outputs' columns.

    As :func:`mlcheckup.drift.prediction_drift`, with PySpark DataFrames.
    """
    return compare(reference, production, **options)
