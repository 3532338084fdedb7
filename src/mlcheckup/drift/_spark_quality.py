"""Azure ML's data quality signal on two PySpark DataFrames: :func:`mlcheckup.drift.data_quality` on Spark.

The rates are those of :mod:`.quality` (azure-api.md §2.5.11), with every count taken by Spark:

* nulls and numbers outside the reference's ``[min, max]``: one aggregation per window for all
  columns (a float NaN counts as a null, as pandas counts it; Spark's own ``min``/``max`` would
  rank NaN above every number, so NaN is left out of the bounds);
* strings the reference never shows: one ``left_anti`` join per string column against the
  reference's distinct values (a job per column; only the count reaches the driver);
* values that cannot be read as the reference's type (a string column where the reference holds
  numbers, booleans or dates): the pandas rule :func:`.quality.type_errors` on each partition, in
  Spark's Python workers, summed. On a cluster the executors then need ``mlcheckup`` on their path
  (``spark.submit.pyFiles``); the other counts run in the JVM.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from . import _typing
from ._spark_schema import check_frames, proxy_frame, spark_family
from .quality import round_half_up, type_errors
from .reference import finish_table
from .thresholds import metric_plan

__all__ = ["data_quality"]

_NUMBERS = ("integer", "float")


def _nulls(frame, name: str):
    """Spark expression: the column is null (or NaN, for float columns)."""
    from pyspark.sql import functions as F

    column = frame[name]
    return column.isNull() | F.isnan(column) if spark_family(frame.schema[name].dataType) == "float" else column.isNull()


def _number(frame, name: str):
    """The column as double, NaN as null (so it drops out of min, max and comparisons)."""
    from pyspark.sql import functions as F

    return F.when(~_nulls(frame, name), frame[name].cast("double"))


def _type_errors(frame, families: dict[str, str]) -> dict[str, int]:
    """Per string column, the values the pandas rule cannot read as the reference's family: one job."""
    names = list(families)
    if not names:
        return {}

    def count(rows):
        rows = list(rows)
        yield [type_errors(pd.Series([row[i] for row in rows], dtype=object), families[n])
               for i, n in enumerate(names)]

    totals = frame.select(*names).rdd.mapPartitions(count).reduce(lambda a, b: [x + y for x, y in zip(a, b, strict=True)])
    return dict(zip(names, map(int, totals), strict=True))


def _unseen(reference, production, name: str) -> int:
    """Non-null production strings absent from the reference's values."""
    seen = reference.select(reference[name].alias("v")).where("v IS NOT NULL").distinct()
    values = production.select(production[name].alias("v")).where("v IS NOT NULL")
    return values.join(seen, "v", "left_anti").count()


def data_quality(
    reference,
    production,
    *,
    features: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    numerical=None,
    categorical=None,
) -> pd.DataFrame:
    """Azure ML's data quality signal on two PySpark DataFrames: :func:`mlcheckup.drift.data_quality` on Spark.

    Parameters
    ----------
    reference, production : pyspark.sql.DataFrame
        The baseline (its Spark types, bounds and value sets define what is valid) and the window to check.
    features, exclude, numerical, categorical
        As in :func:`mlcheckup.drift.data_quality`.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`mlcheckup.drift.data_quality` (same columns, rows, ``attrs``), equal within 1e-9.

    Raises
    ------
    ValidationError
        If an input is not a PySpark DataFrame, or a metric or threshold is not Azure's.
    SchemaMismatchError
        If a listed feature is not a column of the reference.
    """
    from pyspark.sql import functions as F

    check_frames("drift.spark.data_quality", "drift.data_quality", reference, production)
    plans = {"Numerical": metric_plan(numerical, "quality"), "Categorical": metric_plan(categorical, "quality")}
    columns = _typing.select_columns(proxy_frame(reference), features, exclude)
    ref_family = {n: spark_family(reference.schema[n].dataType) for n in columns}
    checked, skipped = [], {}
    for name in columns:
        if name not in production.columns:
            skipped[name] = "missing from the production window"
        elif spark_family(production.schema[name].dataType) is None:
            skipped[name] = f"no data quality metric for Spark {production.schema[name].dataType.simpleString()} columns"
        else:
            checked.append(name)
    family = {n: spark_family(production.schema[n].dataType) for n in checked}
    bounded = [n for n in checked if family[n] in _NUMBERS and ref_family[n] in _NUMBERS]
    bounds = reference.agg(*[f(_number(reference, n)) for n in bounded for f in (F.min, F.max)]).first() \
        if bounded else ()
    outside = {n: (_number(production, n) < bounds[2 * i]) | (_number(production, n) > bounds[2 * i + 1])
               for i, n in enumerate(bounded) if bounds[2 * i] is not None}
    row = production.agg(F.count(F.lit(1)), *[F.count(F.when(_nulls(production, n), 1)) for n in checked],
                         *[F.count(F.when(e, 1)) for e in outside.values()]).first()
    rows_total, nulls, beyond = int(row[0]), dict(zip(checked, row[1:], strict=False)), \
        dict(zip(outside, row[1 + len(checked):], strict=True))
    unreadable = _type_errors(production, {n: ref_family[n] for n in checked if family[n] == "string"
                                           and ref_family[n] in (*_NUMBERS, "boolean", "datetime")})
    rows = []
    for name in checked:
        numbers = ref_family[name] in _NUMBERS
        counts = {
            "null_value_rate": int(nulls[name]),
            "data_type_error_rate": unreadable.get(name, 0),
            "out_of_bounds_rate": int(beyond.get(name, 0)) if numbers else
            (_unseen(reference, production, name) if family[name] == ref_family[name] == "string" else 0),
        }
        data_type = "Numerical" if numbers else "Categorical"
        for metric, threshold in plans[data_type].items():
            rate = round_half_up(counts[metric] / rows_total) if rows_total else float("nan")
            rows.append((name, data_type, metric, rate, float("nan") if threshold is None else threshold,
                         counts[metric]))
    table = pd.DataFrame(rows, columns=["feature_name", "data_type", "metric_name", "metric_value",
                                        "threshold_value", "violation_count"])
    return finish_table(table, None, rows_total, skipped).drop(columns="note", errors="ignore")
