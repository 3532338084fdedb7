"""drift.spark.compare on real Spark (local[2]) equals drift.compare (pandas) within 1e-9.

drift.compare itself equals the scipy definition of Azure's job (test_drift_parity.py), on the same cases.

PySpark is in the course lock (requirements.in), so these tests always run; they need Java 17
(`.ci/run` installs it when missing). One Spark session serves the whole file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_drift_parity import TOLERANCE, random_frames

from mlcheckup import drift
from mlcheckup.errors import KSRowLimitError, SchemaMismatchError, ValidationError

pyspark = pytest.importorskip("pyspark", reason="pyspark is in the course lock: rebuild .venv (make venv)")
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

# PySpark 4.3 warns once, at session start, that it does not fully support pandas 3 (it imports its own
# pyspark.testing); drift.spark uses no pandas-on-Spark or Arrow path, which is what that warning is about.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark():
    session = (SparkSession.builder.master("local[2]").appName("mlcheckup-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


_SPARK_TYPE = {"f": T.DoubleType(), "i": T.LongType(), "u": T.LongType(), "b": T.BooleanType()}


def to_spark(spark, frame: pd.DataFrame):
    """The pandas frame as Spark reads the same data: integers stay integers, NaN/NA become null."""
    fields = []
    for name, dtype in frame.dtypes.items():
        kind = "O" if isinstance(dtype, pd.CategoricalDtype) else getattr(dtype, "kind", "O")
        fields.append(T.StructField(name, _SPARK_TYPE.get(kind, T.StringType())))
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    return spark.createDataFrame(list(rows), T.StructType(fields))


def assert_same_table(spark_table: pd.DataFrame, pandas_table: pd.DataFrame) -> float:
    """Same rows, notes and counts; values within TOLERANCE; returns the largest difference."""
    keys = ["feature_name", "data_type", "metric_name", "threshold_value", "baseline_row_count",
            "target_row_count", "note"]
    pd.testing.assert_frame_equal(spark_table[keys], pandas_table[keys])
    assert spark_table.attrs == pandas_table.attrs
    a, b = spark_table["metric_value"].to_numpy(), pandas_table["metric_value"].to_numpy()
    assert (np.isnan(a) == np.isnan(b)).all()
    diff = np.abs(a - b)[~np.isnan(a)]
    assert (diff <= TOLERANCE).all(), spark_table.assign(pandas=b)[diff > TOLERANCE]
    return float(diff.max(initial=0.0))


@pytest.mark.parametrize("seed, n_ref, n_prod", [(0, 3000, 3000), (3, 9999, 640), (4, 57, 93)])
def test_spark_equals_pandas_on_the_parity_cases(spark, seed, n_ref, n_prod):
    ref, prod = random_frames(seed, n_ref, n_prod)
    table = drift.spark.compare(to_spark(spark, ref), to_spark(spark, prod), numerical="all", categorical="all")
    worst = assert_same_table(table, drift.compare(ref, prod, numerical="all", categorical="all"))
    print(f"\n[drift spark parity] seed {seed}: max |spark - pandas| = {worst:.1e}")


def test_defaults_override_nullable_integers_and_skipped_columns(spark):
    ref, prod = random_frames(7, 2000, 1500)
    for df in (ref, prod):
        df["int_num"] = df["int_num"].astype("Int64")
        df.loc[df.index[::37], "int_num"] = pd.NA
    prod["flag"] = prod["flag"].astype(np.int64)  # boolean vs integer: no metric, nulls still dropped
    override = {"int_cat": "numerical", "coarse": "categorical"}
    sref, sprod = to_spark(spark, ref), to_spark(spark, prod)
    assert_same_table(drift.spark.compare(sref, sprod, feature_type_override=override),
                      drift.compare(ref, prod, feature_type_override=override))
    table = drift.spark.prediction_drift(sref, sprod, features=["city", "normal"], categorical="all")
    assert_same_table(table, drift.prediction_drift(ref, prod, features=["city", "normal"], categorical="all"))


def test_the_ks_row_limit_is_azures(spark):
    ref, prod = random_frames(5, 12_000, 10_500, nulls=False)
    sref, sprod = to_spark(spark, ref), to_spark(spark, prod)
    with pytest.raises(KSRowLimitError, match="10,000"):
        drift.spark.compare(sref, sprod, numerical="two_sample_kolmogorov_smirnov_test")
    options = {"numerical": "all", "categorical": "all", "ks_row_limit": "compute"}
    assert_same_table(drift.spark.compare(sref, sprod, **options), drift.compare(ref, prod, **options))


def test_bad_input_gives_the_pandas_errors_not_a_jvm_trace(spark):
    ref, prod = random_frames(8, 300, 200, nulls=False)
    sref, sprod = to_spark(spark, ref), to_spark(spark, prod)
    with pytest.raises(ValidationError, match="PySpark DataFrame"):
        drift.spark.compare(ref, sprod)
    other = spark.createDataFrame([(1.0,)], "other double")
    with pytest.raises(SchemaMismatchError, match="No common columns"):
        drift.spark.compare(sref, other)
    with pytest.raises(SchemaMismatchError, match="missing from the production window"):
        drift.spark.compare(sref, sprod.drop("city"), features=["city", "normal"])
    empty = sprod.withColumn("normal", sprod["normal"] * float("nan"))
    with pytest.raises(ValidationError, match="production window 0"):
        drift.spark.compare(sref, empty)
    arrays = spark.createDataFrame([([1.0], 2.0)] * 3, "tags array<double>, x double")
    table = drift.spark.compare(arrays, arrays)
    assert table.attrs["skipped_features"] == {"tags": "no drift metric for Spark array<double> columns"}
    with pytest.raises(ValidationError, match="cannot be typed numerical"):
        drift.spark.compare(sref, sprod, feature_type_override={"city": "numerical"})
    inf = sprod.withColumn("big", sprod["big"] * float("inf"))
    with pytest.raises(ValidationError, match="infinite"):
        drift.spark.compare(sref, inf)


def test_the_azure_spark_job_entry_runs_here_and_its_spec_validates(spark, tmp_path):
    from mlcheckup.drift import _spark_job, _spark_run

    ref, prod = random_frames(9, 400, 300, nulls=False)
    to_spark(spark, ref).write.parquet(str(tmp_path / "ref"))
    to_spark(spark, prod).write.parquet(str(tmp_path / "prod"))
    _spark_run.main(["--reference", str(tmp_path / "ref"), "--production", str(tmp_path / "prod"),
                     "--numerical", "jensen_shannon_distance", "--categorical", "pearsons_chi_squared_test",
                     "--output", str(tmp_path / "out")])
    out = spark.read.parquet(str(tmp_path / "out")).collect()
    expected = drift.compare(ref, prod, numerical="jensen_shannon_distance", categorical="pearsons_chi_squared_test")
    got = {(r.feature_name, r.metric_name): r.metric_value for r in out}
    assert got.keys() == set(zip(expected.feature_name, expected.metric_name, strict=True))
    assert all(abs(got[(r.feature_name, r.metric_name)] - r.metric_value) <= TOLERANCE for r in expected.itertuples())
    job = _spark_job.spark_job("azureml://datastores/workspaceblobstore/paths/ref/", "abfss://c@a.dfs.core.windows.net/p/")
    text = _spark_job.validated_yaml(job)
    assert "runtime_version: '3.4'" in text and "instance_type: standard_e4s_v3" in text
    with pytest.raises(ValidationError, match="Instance type"):
        _spark_job.validated_yaml(_spark_job.spark_job("a", "b", instance_type="standard_d4s_v3"))
