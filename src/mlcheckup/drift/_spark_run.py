"""Entry script of the Azure ML spark job built by :mod:`._spark_job` (runs on the Spark driver).

``python _spark_run.py --reference R --production P --numerical M --categorical M --output O``
reads two parquet folders, computes :func:`mlcheckup.drift.spark.compare` and writes the table as
parquet to ``O``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_SCHEMA = ("feature_name string, data_type string, metric_name string, metric_value double, threshold_value double, "
           "breached boolean, baseline_row_count long, target_row_count long, note string")


def main(argv: list[str] | None = None) -> None:
    """Parse the job's arguments, compute the drift table, write it."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("reference", "production", "numerical", "categorical", "output"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the job's code folder holds mlcheckup
    from pyspark.sql import SparkSession

    from mlcheckup.drift import spark as drift_spark

    session = SparkSession.builder.getOrCreate()
    table = drift_spark.compare(session.read.parquet(args.reference), session.read.parquet(args.production),
                                numerical=args.numerical, categorical=args.categorical)
    rows = [tuple(r.values()) for r in table.astype(object).where(table.notna(), None).to_dict("records")]
    session.createDataFrame(rows, _SCHEMA).write.mode("overwrite").parquet(args.output)

if __name__ == "__main__":
    main()
