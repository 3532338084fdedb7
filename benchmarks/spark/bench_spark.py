"""drift.compare (numpy) vs drift.spark.compare (Spark local[2]): rows/s, peak memory, scaling; one run.

Each (backend, rows) case runs in its own process so its peak RSS (driver + JVM children for Spark)
is its own. Data: 25 float features (normal, production shifted by 0.1), generated inside the engine
(numpy, or Spark's rand/randn), metric JSD + PSI (fully distributed on Spark; exact Wasserstein
collects every value to the driver, as Azure's code does, so it is not the bounded-memory case).

Two scalings in the same run: time vs rows (both backends, ``--partitions`` fixed at 4) and, at the
first row count, Spark's time vs partitions (``--scaling 1 2 4 8``; local[2] has 2 cores).

    python bench_spark.py --rows 1000000 10000000 --scaling 1 2 4 8 --json results.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import time

FEATURES = 25
METRICS = ["jensen_shannon_distance", "population_stability_index"]


def run_numpy(rows: int) -> float:
    import numpy as np
    import pandas as pd

    from mlcheckup import drift

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({f"f{i}": rng.normal(0, 1, rows) for i in range(FEATURES)})
    prod = pd.DataFrame({f"f{i}": rng.normal(0.1, 1, rows) for i in range(FEATURES)})
    start = time.perf_counter()
    drift.compare(ref, prod, numerical=METRICS)
    return time.perf_counter() - start


def run_spark(rows: int, partitions: int) -> float:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from mlcheckup import drift

    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    def frame(seed, shift):
        base = spark.range(rows, numPartitions=partitions)
        return base.select(*[(F.randn(seed * 100 + i) + shift).alias(f"f{i}") for i in range(FEATURES)])

    ref, prod = frame(1, 0.0), frame(2, 0.1)
    start = time.perf_counter()
    drift.spark.compare(ref, prod, numerical=METRICS)
    elapsed = time.perf_counter() - start
    spark.stop()
    return elapsed


def child(backend: str, rows: int, partitions: int) -> None:
    import threading

    import psutil

    me, peak, done = psutil.Process(), [0], threading.Event()

    def watch():  # RSS of this process plus its children (Spark's JVM), sampled every 0.1 s
        while not done.wait(0.1):
            with contextlib.suppress(psutil.Error):
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    seconds = run_numpy(rows) if backend == "numpy" else run_spark(rows, partitions)
    done.set()
    watcher.join()
    peak_mb = max(peak[0] / 2**20, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({"backend": backend, "rows": rows, "partitions": partitions, "seconds": seconds,
                      "rows_per_s": 2 * rows / seconds, "peak_mb": peak_mb}))


def measure(backend: str, rows: int, partitions: int) -> dict:
    """One case in a fresh process: its JSON line."""
    out = subprocess.run([sys.executable, __file__, "--child", backend, str(rows), str(partitions)],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(result, flush=True)
    return result


def tables(results: list[dict], partitions: int) -> str:
    """The two markdown tables of README.md: time vs rows, Spark time vs partitions."""
    lines = ["| rows per window | backend | s | rows/s (both windows) | peak MB (process + JVM) | Spark / numpy time |",
             "|---|---|---|---|---|---|"]
    by_rows = [r for r in results if r["backend"] == "numpy" or r["partitions"] == partitions]
    for r in by_rows:
        base = next(x for x in by_rows if x["rows"] == r["rows"] and x["backend"] == "numpy")
        lines.append(f"| {r['rows']:,} | {r['backend']} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | "
                     f"{r['peak_mb']:,.0f} | {r['seconds'] / base['seconds']:.1f}x |")
    scaled = sorted((r for r in results if r["backend"] == "spark" and r["rows"] == results[0]["rows"]),
                    key=lambda r: r["partitions"])
    if len(scaled) > 1:
        lines += ["", "| Spark partitions (local[2]) | rows per window | s | time / time at 1 partition | peak MB |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['partitions']} | {r['rows']:,} | {r['seconds']:.1f} | "
                  f"{r['seconds'] / scaled[0]['seconds']:.2f} | {r['peak_mb']:,.0f} |" for r in scaled]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--scaling", type=int, nargs="*", default=[1, 2, 4, 8], help="partition counts at the first row count")
    parser.add_argument("--json")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    results = [measure(backend, rows, args.partitions) for rows in args.rows for backend in ("numpy", "spark")]
    results += [measure("spark", args.rows[0], p) for p in args.scaling if p != args.partitions]
    print(tables(results, args.partitions))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
