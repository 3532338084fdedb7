"""drift.spark (compare, prediction_drift, data_quality) on real Spark (local[2]) equals the pandas backend within 1e-9.

drift.compare itself equals the scipy definition of Azure's job (test_drift_parity.py), on the same cases.

PySpark is in the course lock (requirements.in), so these tests always run; they need Java 17
(`.ci/run` installs it when missing). One Spark session serves the whole test process (one JVM
warm-up), and the parity checks are grouped so that each test builds its Spark frames once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_drift_parity import TOLERANCE, random_frames

from mlcheckup import drift
from mlcheckup.errors import KSRowLimitError, SchemaMismatchError, ValidationError

pyspark = pytest.importorskip("pyspark", reason="pyspark is in the course lock: rebuild .venv (make venv)")
from pyspark.sql import types as T  # noqa: E402

# PySpark 4.3 warns once, at session start, that it does not fully support pandas 3 (it imports its own
# pyspark.testing); drift.spark uses no pandas-on-Spark or Arrow path, which is what that warning is about.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="session")
def spark():
    session = drift.spark.local_session("mlcheckup-tests")
    yield session
    session.stop()


_SPARK_TYPE = {"f": T.DoubleType(), "i": T.LongType(), "u": T.LongType(), "b": T.BooleanType(), "M": T.TimestampType()}


def to_spark(spark, frame: pd.DataFrame):
    """The pandas frame as Spark reads the same data: integers stay integers, NaN/NA become null."""
    fields = []
    for name, dtype in frame.dtypes.items():
        kind = "O" if isinstance(dtype, pd.CategoricalDtype) else getattr(dtype, "kind", "O")
        fields.append(T.StructField(name, _SPARK_TYPE.get(kind, T.StringType())))
    plain = frame.astype(object).where(frame.notna(), None)
    for name in frame.columns[[f.dataType == T.TimestampType() for f in fields]]:  # Spark takes datetime, not Timestamp
        plain[name] = pd.Series([None if v is None else v.to_pydatetime() for v in plain[name]], dtype=object)
    rows = list(plain.itertuples(index=False, name=None))
    return spark.createDataFrame(rows, T.StructType(fields), verifySchema=False)  # the schema is ours: skip a Python check per value


def assert_same_table(spark_table: pd.DataFrame, pandas_table: pd.DataFrame) -> float:
    """Same rows, notes, counts and attrs; values within TOLERANCE; returns the largest difference."""
    keys = [c for c in pandas_table.columns if c not in ("metric_value", "breached")]
    pd.testing.assert_frame_equal(spark_table[keys], pandas_table[keys])
    pd.testing.assert_series_equal(spark_table["breached"], pandas_table["breached"])
    assert spark_table.attrs == pandas_table.attrs
    a, b = spark_table["metric_value"].to_numpy(), pandas_table["metric_value"].to_numpy()
    assert (np.isnan(a) == np.isnan(b)).all()
    diff = np.abs(a - b)[~np.isnan(a)]
    assert (diff <= TOLERANCE).all(), spark_table.assign(pandas=b)[diff > TOLERANCE]
    return float(diff.max(initial=0.0))


def quality_frames(seed: int, n_ref: int, n_prod: int):
    """random_frames plus the data quality hard cases: numbers, booleans and dates arriving as text."""
    rng = np.random.default_rng(seed)
    ref, prod = random_frames(seed, n_ref, n_prod)
    ref["amount"] = rng.gamma(2.0, 10.0, n_ref)
    prod["amount"] = rng.choice(["12.5", " 7 ", "n/a", "", "1e3", "-4", None, "3,5"], n_prod)
    ref["ok"] = rng.random(n_ref) < 0.5
    prod["ok"] = rng.choice(["yes", "No", "TRUE", "maybe", "0", None], n_prod)
    ref["when"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86_400 * 30, n_ref), unit="s")
    prod["when"] = rng.choice(["2026-02-03", "2026-02-03 10:00:00", "yesterday", "03/02/2026", None], n_prod)
    prod["int_num"] = prod["int_num"] - n_prod * 2  # integers below the reference's minimum
    return ref, prod


PARITY_CASES = [(0, 3000, 3000), (3, 9999, 640), (4, 57, 93)]


def test_spark_equals_pandas_on_the_parity_cases(spark):
    """The parity cases are random data (random_frames) with every hard case of Azure's binning and typing."""
    worst = {}
    for seed, n_ref, n_prod in PARITY_CASES:
        ref, prod = random_frames(seed, n_ref, n_prod)
        table = drift.spark.compare(to_spark(spark, ref), to_spark(spark, prod), numerical="all", categorical="all")
        worst[seed] = assert_same_table(table, drift.compare(ref, prod, numerical="all", categorical="all"))
    print(f"\n[drift spark parity] max |spark - pandas| by seed: {worst}")


def test_data_quality_on_spark_equals_pandas(spark):
    worst = 0.0
    for seed, n_ref, n_prod in [(0, 3000, 3000), (21, 800, 2500)]:
        ref, prod = quality_frames(seed, n_ref, n_prod)
        table = drift.spark.data_quality(to_spark(spark, ref), to_spark(spark, prod), numerical="all",
                                         categorical="all")
        expected = drift.data_quality(ref, prod, numerical="all", categorical="all")
        worst = max(worst, assert_same_table(table, expected))
        assert (table["violation_count"] > 0).sum() >= 10  # the hard cases are really there
    print(f"\n[data quality spark parity] max |spark - pandas| = {worst:.1e}")
    # A float NaN is a null (pandas' view), never out of bounds (Spark ranks NaN above every number).
    nan = float("nan")
    sref = spark.createDataFrame([(1.0,), (2.0,), (nan,), (3.0,)], "x double")
    sprod = spark.createDataFrame([(nan,), (5.0,), (0.5,), (None,), (2.0,)], "x double")
    table = drift.spark.data_quality(sref, sprod, features=["x"])
    assert_same_table(table, drift.data_quality(pd.DataFrame({"x": [1.0, 2.0, nan, 3.0]}),
                                                pd.DataFrame({"x": [nan, 5.0, 0.5, nan, 2.0]}), features=["x"]))
    assert table["metric_value"].tolist() == [0.4, 0.0, 0.4]


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
    assert_same_table(drift.spark.data_quality(sref, sprod, exclude=["int_cat"]),
                      drift.data_quality(ref, prod, exclude=["int_cat"]))


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
    for function in (drift.spark.compare, drift.spark.data_quality):
        with pytest.raises(ValidationError, match="needs the reference as a PySpark DataFrame"):
            function(ref, sprod)
        with pytest.raises(SchemaMismatchError, match=r"features \['nope'\] are not columns of the reference"):
            function(sref, sprod, features=["nope"])
    for function in (drift.compare, drift.data_quality):  # the pandas backend points to the Spark one
        with pytest.raises(ValidationError, match=r"use drift\.spark\.compare"):
            function(sref, sprod)
    with pytest.raises(ValidationError, match=r"use drift\.spark\.compare"):
        drift.compare(ref, sprod)
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
    quality = drift.spark.data_quality(arrays, arrays.drop("x"))
    assert quality.attrs["skipped_features"] == {"tags": "no data quality metric for Spark array<double> columns",
                                                 "x": "missing from the production window"}
    with pytest.raises(ValidationError, match="cannot be typed numerical"):
        drift.spark.compare(sref, sprod, feature_type_override={"city": "numerical"})
    with pytest.raises(ValidationError, match="drift_rate"):
        drift.spark.data_quality(sref, sprod, numerical="drift_rate")
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
