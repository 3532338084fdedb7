"""Azure ML's data quality signal: null, data-type error and out-of-bounds rates of a window.

From Azure's ``data_quality_compute_metrics`` component (azure-api.md §2.5.11):

* ``null_value_rate`` = nulls / rows of the production window;
* ``data_type_error_rate`` = values that cannot be cast to the column's type in the reference / rows;
* ``out_of_bounds_rate`` = values outside ``[min, max]`` of the reference for numbers, or, for
  string columns only, values the reference never shows / rows (0 for boolean and date columns);
* every rate is rounded to 5 decimals (Spark's ``round``: half up), and breaches when it is above
  its threshold; the SDK's default threshold is 0.0 for all three, so any violation alerts.

Unlike drift, the data type here follows the production column's type: numbers are Numerical,
strings, booleans and dates are Categorical (a low-cardinality integer column stays Numerical).
Azure imputes nulls (median or mode) before the type and bounds checks; here nulls simply do not
count as type errors or out-of-bounds values.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import _typing
from .reference import Reference, finish_table
from .thresholds import QUALITY_METRICS, metric_plan

_BOOLEAN_WORDS = frozenset({"t", "true", "y", "yes", "1", "f", "false", "n", "no", "0"})


def round_half_up(value: float, decimals: int = 5) -> float:
    """Spark's ``round(x, 5)`` on a double: half up on the shortest decimal form.

    >>> round_half_up(0.125, 2), round(0.125, 2)
    (0.13, 0.12)
    """
    if not np.isfinite(value):
        return value
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def type_errors(values: pd.Series, reference_family: str | None) -> int:
    """Non-null values of ``values`` that Spark could not cast to ``reference_family``."""
    values = values.dropna()
    family = _typing.type_family(values)
    if reference_family in (None, "string") or family == reference_family or values.empty:
        return 0
    if reference_family in ("integer", "float"):
        if family in ("integer", "float", "boolean", "datetime"):
            return 0
        parsed = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
        return int(parsed.isna().sum())
    if reference_family == "boolean":
        if family != "string":
            return 0
        return int((~values.astype(str).str.strip().str.lower().isin(_BOOLEAN_WORDS)).sum())
    if reference_family == "datetime" and family == "string":
        return int(pd.to_datetime(values, errors="coerce", format="mixed").isna().sum())
    return 0


def _out_of_bounds(values: pd.Series, reference: pd.Series, family: str | None, ref_family: str | None) -> int:
    if family in ("integer", "float") and ref_family in ("integer", "float"):
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        lo, hi = reference.min(skipna=True), reference.max(skipna=True)
        if pd.isna(lo):
            return 0
        return int((x < float(lo)).sum() + (x > float(hi)).sum())
    if family == "string" and ref_family == "string":
        present = values.dropna()
        return int((~present.isin(pd.unique(reference.dropna()))).sum())
    return 0


def data_quality(
    reference: pd.DataFrame | Reference,
    production: pd.DataFrame,
    *,
    features: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    numerical=None,
    categorical=None,
) -> pd.DataFrame:
    """Azure ML's data quality signal, computed locally: one row per feature and metric.

    Parameters
    ----------
    reference : pandas.DataFrame or Reference
        The baseline; its column types, bounds and value sets define what is valid.
    production : pandas.DataFrame
        The window to check; columns missing from it are skipped.
    features, exclude : list of str, optional
        Columns to check (default all of the reference's) and columns never checked.
    numerical, categorical : None, str, list or dict
        Metrics per data type: None for Azure's default (all three at 0.0), ``"all"``, a name, a
        list, or ``{name: threshold}``.

    Returns
    -------
    pandas.DataFrame
        ``feature_name, data_type, metric_name, metric_value, threshold_value, breached,
        target_row_count, violation_count``; rates in [0, 1], rounded to 5 decimals, lower is better.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"price": [1.0, 2.0, 3.0], "type": ["organic", "conventional", "organic"]})
    >>> new = pd.DataFrame({"price": [2.5, None, 9.0, 1.5], "type": ["organic", "bulk", None, "organic"]})
    >>> data_quality(ref, new)[["feature_name", "metric_name", "metric_value", "breached"]]
      feature_name           metric_name  metric_value  breached
    0        price       null_value_rate          0.25      True
    1        price  data_type_error_rate          0.00     False
    2        price    out_of_bounds_rate          0.25      True
    3         type       null_value_rate          0.25      True
    4         type  data_type_error_rate          0.00     False
    5         type    out_of_bounds_rate          0.25      True

    Taught in lesson 04, §6.
    """
    if isinstance(reference, Reference):
        if features is not None or exclude is not None:
            reference = Reference(reference.data, features=features, exclude=exclude)
    else:
        reference = Reference(reference, features=features, exclude=exclude)
    plans = {"Numerical": metric_plan(numerical, "quality"), "Categorical": metric_plan(categorical, "quality")}
    if not isinstance(production, pd.DataFrame):
        raise ValidationError(f"the production window must be a pandas DataFrame (got {type(production).__name__}); "
                              "pass the rows of one window with the reference's columns")
    base = reference.data
    rows_total = len(production)
    rows, skipped = [], {}
    for name in reference.columns:
        if name not in production.columns:
            skipped[name] = "missing from the production window"
            continue
        values = production[name]
        family = _typing.type_family(values)
        ref_family = reference.types[name].family
        if family is None:
            skipped[name] = f"no data quality metric for {values.dtype} columns"
            continue
        # typed on the reference, as Azure types its checks: a number column holding "n/a" stays Numerical
        data_type = "Numerical" if ref_family in ("integer", "float") else "Categorical"
        counts = {
            "null_value_rate": int(values.isna().sum()),
            "data_type_error_rate": type_errors(values, ref_family),
            "out_of_bounds_rate": _out_of_bounds(values, base[name], family, ref_family),
        }
        for metric, threshold in plans[data_type].items():
            rate = round_half_up(counts[metric] / rows_total) if rows_total else float("nan")
            rows.append((name, data_type, metric, rate, float("nan") if threshold is None else threshold,
                         counts[metric]))
    table = pd.DataFrame(rows, columns=["feature_name", "data_type", "metric_name", "metric_value",
                                        "threshold_value", "violation_count"])
    table = finish_table(table, None, rows_total, skipped)
    return table.drop(columns=[c for c in ("note",) if c in table.columns])


__all__ = ["QUALITY_METRICS", "data_quality", "round_half_up", "type_errors"]
