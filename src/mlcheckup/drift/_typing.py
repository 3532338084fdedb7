"""Which columns Azure compares, and whether each is numerical or categorical.

Azure ML's drift job (``compute_data_drift_measures_tests``) reads both windows into Spark and:

1. keeps the columns present in both windows by name *and* by type family (integer types together,
   float types together, string, boolean, date/time); a column whose families differ gets no metric,
   yet its nulls still take part in the row-wise null drop;
2. types each kept column on the *raw baseline*: string, boolean and date/time are categorical, float
   is numerical, and an integer column is categorical when ``nunique(dropna=False) / rows < 0.05``;
   ``feature_type_override`` wins;
3. drops, from each window, every row with a null in any common-name column.

pandas has no Spark schema, so the family comes from the dtype. Beware: pandas stores an integer
column with missing values as ``float64``; Spark, reading the same JSON, keeps it an integer. Use
the nullable ``"Int64"`` dtype to keep such a column in the integer family.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SchemaMismatchError, ValidationError
from ._spark_schema import is_spark_frame

#: Type families (Spark's type groups); columns are comparable only within one family.
FAMILIES = ("integer", "float", "string", "boolean", "datetime")
#: Families that are always categorical.
CATEGORICAL_FAMILIES = frozenset({"string", "boolean", "datetime"})
#: An integer column is categorical when distinct values / rows is below this ratio.
INTEGER_CATEGORICAL_RATIO = 0.05

NUMERICAL = "numerical"
CATEGORICAL = "categorical"

# What to say when a PySpark DataFrame reaches the pandas backend.
_PANDAS_ONLY = {True: "for PySpark DataFrames use drift.spark.compare (or drift.spark.data_quality), which "
                      "computes the same table on Spark"}

_INFERRED = {
    "string": "string", "unicode": "string", "bytes": "string", "mixed": "string", "empty": "string",
    "boolean": "boolean", "integer": "integer", "floating": "float", "mixed-integer-float": "float",
    "decimal": "float", "datetime64": "datetime", "datetime": "datetime", "date": "datetime",
}


def type_family(values: pd.Series) -> str | None:
    """Return the Spark type family of a column: integer, float, string, boolean, datetime or None.

    >>> import pandas as pd
    >>> type_family(pd.Series([1, 2])), type_family(pd.Series([1.5])), type_family(pd.Series(["a"]))
    ('integer', 'float', 'string')
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return type_family(pd.Series(dtype.categories))
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer"
    if kind == "f":
        return "float"
    if kind == "M":
        return "datetime"
    if kind in "OSU":
        return _INFERRED.get(pd.api.types.infer_dtype(values, skipna=True), "string")
    return None  # timedelta, complex, period...: Azure knows no metric for them


def distinct_ratio(values: pd.Series) -> float:
    """Distinct values (null counted once) divided by rows, as Azure's ``get_distinct_ratio``."""
    return values.nunique(dropna=False) / len(values) if len(values) else float("nan")


def check_override(override: Mapping[str, str] | None, columns: Iterable[str] | None = None) -> dict[str, str]:
    """``{column: 'numerical' | 'categorical'}``, lower-cased; the columns are checked when given."""
    override = dict(override or {})
    known = None if columns is None else set(columns)
    for name, kind in override.items():
        if known is not None and name not in known:
            raise ValidationError(
                f"feature_type_override names column {name!r}, which the reference does not have; "
                f"pick from {sorted(map(str, known))[:20]}"
            )
        if str(kind).lower() not in (NUMERICAL, CATEGORICAL):
            raise ValidationError(
                f"feature_type_override[{name!r}] must be 'numerical' or 'categorical' (got {kind!r})"
            )
        override[name] = str(kind).lower()
    return override


def data_type_of(values: pd.Series, family: str | None, override: str | None = None) -> str | None:
    """Azure's typing of one reference column: 'numerical', 'categorical' or None (no metric).

    >>> import pandas as pd
    >>> data_type_of(pd.Series([0, 1] * 50), "integer")  # 2 distinct / 100 rows < 0.05
    'categorical'
    """
    if override == CATEGORICAL:
        return CATEGORICAL if family is not None else None
    if override == NUMERICAL:
        if family in ("integer", "float"):
            return NUMERICAL
        raise ValidationError(
            f"column {values.name!r} holds {family} values and cannot be typed numerical; "
            "remove it from feature_type_override or convert it to numbers first"
        )
    if family in CATEGORICAL_FAMILIES:
        return CATEGORICAL
    if family == "float":
        return NUMERICAL
    if family == "integer":
        return CATEGORICAL if distinct_ratio(values) < INTEGER_CATEGORICAL_RATIO else NUMERICAL
    return None


@dataclass(frozen=True)
class FeatureType:
    """How one column of the reference is treated (one row of :func:`feature_types`)."""

    feature_name: str
    family: str | None
    data_type: str | None
    distinct_ratio: float
    overridden: bool


def reference_types(
    reference: pd.DataFrame,
    columns: Iterable[str],
    feature_type_override: Mapping[str, str] | None = None,
) -> dict[str, FeatureType]:
    """Type every column of ``columns`` on the raw reference (before any null drop)."""
    columns = list(columns)
    override = check_override(feature_type_override, reference.columns)
    types = {}
    for name in columns:
        values = reference[name]
        family = type_family(values)
        ratio = distinct_ratio(values) if family == "integer" else float("nan")
        types[name] = FeatureType(name, family, data_type_of(values, family, override.get(name)), ratio,
                                  name in override)
    return types


def select_columns(
    reference: pd.DataFrame, features: Iterable[str] | None, exclude: Iterable[str] | None
) -> list[str]:
    """The reference columns a signal looks at: ``features`` (all by default) minus ``exclude``."""
    if not isinstance(reference, pd.DataFrame):
        raise ValidationError(f"the reference must be a pandas DataFrame (got {type(reference).__name__}); "
                              + _PANDAS_ONLY.get(is_spark_frame(reference), "pass the baseline table, e.g. the training data"))
    excluded = set(exclude or ())
    if features is None:
        return [c for c in reference.columns if c not in excluded]
    if isinstance(features, str):
        features = [features]
    features = list(features)
    missing = [f for f in features if f not in reference.columns]
    if missing:
        raise SchemaMismatchError(
            f"features {missing} are not columns of the reference; "
            f"pass names among its columns: {list(reference.columns)[:20]}"
        )
    return [f for f in features if f not in excluded]


def common_plan(
    columns: list[str],
    types: Mapping[str, FeatureType],
    production: pd.DataFrame,
    features_given: bool,
) -> tuple[list[str], list[str], dict[str, str]]:
    """Split the reference's columns against a production window.

    Returns the common-name columns (the null drop looks at all of them), the features that get
    metrics, and the skipped ones with the reason.
    """
    if not isinstance(production, pd.DataFrame):
        raise ValidationError(f"the production window must be a pandas DataFrame (got {type(production).__name__}); "
                              + _PANDAS_ONLY.get(is_spark_frame(production),
                                                 "pass the rows of one window with the reference's columns"))
    common = [c for c in columns if c in production.columns]
    if features_given and len(common) < len(columns):
        missing = [c for c in columns if c not in production.columns]
        raise SchemaMismatchError(
            f"features {missing} are missing from the production window; "
            "pass features= with columns both tables have"
        )
    measured, skipped = [], {}
    for name in common:
        kind = types[name]
        prod_family = type_family(production[name])
        if kind.data_type is None:
            skipped[name] = f"no drift metric for {production[name].dtype} columns"
        elif prod_family != kind.family:
            skipped[name] = (
                f"type family differs: reference {kind.family}, production {prod_family} "
                "(Azure compares a column only within one family)"
            )
        else:
            measured.append(name)
    if not measured:
        raise SchemaMismatchError(
            "no column is shared by the reference and the production window with the same type family "
            f"(reference: {columns[:10]}, production: {list(production.columns)[:10]}); "
            "Azure fails such a signal with 'No common columns found'"
        )
    return common, measured, skipped


def null_rows(frame: pd.DataFrame, columns: Iterable[str]) -> np.ndarray:
    """Boolean mask of the rows with a null in any of ``columns`` (Azure's ``dropna()``)."""
    mask = np.zeros(len(frame), dtype=bool)
    for name in columns:
        values = frame[name]
        numpy_kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else None
        if numpy_kind == "f":
            mask |= np.isnan(values.to_numpy())
        elif numpy_kind not in ("i", "u", "b"):  # object, string, datetime, nullable extension types
            mask |= values.isna().to_numpy(dtype=bool)
    return mask
