"""What the Spark backend reads from a PySpark schema: type families, and frame checks.

Shared by :mod:`.spark` (drift) and :mod:`._spark_quality` (data quality); PySpark is never imported here.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ValidationError

__all__ = ["PROXY_DTYPE", "SPARK_FAMILIES", "check_frames", "is_spark_frame", "proxy_frame", "spark_family", "type_name"]

#: Spark type (class name) -> type family, as Azure's ``get_common_columns`` groups them.
SPARK_FAMILIES = {
    "ByteType": "integer", "ShortType": "integer", "IntegerType": "integer", "LongType": "integer",
    "FloatType": "float", "DoubleType": "float", "DecimalType": "float",
    "StringType": "string", "VarcharType": "string", "CharType": "string", "BinaryType": "string",
    "BooleanType": "boolean", "DateType": "datetime", "TimestampType": "datetime", "TimestampNTZType": "datetime",
}
# An empty pandas column of each family: lets the pandas backend's column rules run on a Spark schema.
PROXY_DTYPE = {"integer": "int64", "float": "float64", "string": "object", "boolean": "bool",
               "datetime": "datetime64[ns]", None: "complex128"}


def is_spark_frame(value) -> bool:
    """True for a PySpark DataFrame (classic or Spark Connect), without importing PySpark."""
    return type(value).__module__.startswith("pyspark.sql") and hasattr(value, "schema")


def spark_family(data_type) -> str | None:
    """Type family of a Spark ``DataType``: integer, float, string, boolean, datetime or None."""
    return SPARK_FAMILIES.get(type(data_type).__name__)


def type_name(value) -> str:
    """``module.Class`` of a value, as error messages show it."""
    return f"{type(value).__module__}.{type(value).__name__}"


def check_frames(function: str, pandas_function: str, reference, production) -> None:
    """Raise a :class:`ValidationError` unless both windows are PySpark DataFrames."""
    for role, frame in (("reference", reference), ("production window", production)):
        if not is_spark_frame(frame):
            raise ValidationError(
                f"{function} needs the {role} as a PySpark DataFrame (got {type_name(frame)}); "
                f"use {pandas_function} for pandas, or spark.createDataFrame(frame)")


def proxy_frame(frame) -> pd.DataFrame:
    """A zero-row pandas frame whose columns have the Spark columns' type families."""
    return pd.DataFrame({f.name: pd.Series([], dtype=PROXY_DTYPE[spark_family(f.dataType)])
                         for f in frame.schema.fields})
