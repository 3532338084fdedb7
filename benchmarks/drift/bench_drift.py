"""Drift benchmark: mlcheckup.drift against Evidently 0.7 and a plain scipy loop, same data, one run.

Every implementation computes the same 95 numbers on the same two DataFrames, built once:
Wasserstein, Jensen-Shannon, PSI and the KS p-value on 20 float columns; Jensen-Shannon, PSI and the
chi-square p-value on 5 string columns. Timings are wall-clock medians in this process, after the
data is built and the libraries are imported. The scipy loop is the independent definition from
tests/test_drift_parity.py; mlcheckup's numbers must equal it to 1e-9.

Run it with ``make -C benchmarks drift`` (its own environment: Evidently needs pandas < 3), or
``python benchmarks/drift/bench_drift.py --rows 100000`` in any environment with Evidently.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Evidently is imported

import numpy as np
import pandas as pd
import scipy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from test_drift_parity import pyspark_histogram_numpy, reference_drift  # noqa: E402

from mlcheckup import drift  # noqa: E402

SEED = 20240611
NUMERIC = [f"n{i:02d}" for i in range(20)]
CATEGORICAL = [f"c{j}" for j in range(5)]
NUMERIC_METRICS = {"normalized_wasserstein_distance": "wasserstein", "jensen_shannon_distance": "jensenshannon",
                   "population_stability_index": "psi", "two_sample_kolmogorov_smirnov_test": "ks"}
CATEGORICAL_METRICS = {"jensen_shannon_distance": "jensenshannon", "population_stability_index": "psi",
                       "pearsons_chi_squared_test": "chisquare"}


def make_data(n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """20 floats (normal, lognormal, uniform, gamma, bimodal; 4 each) and 5 strings (10-50 levels).

    Production shifts every even float column and c0, c2, c4: 13 of 25 features drift.
    """
    rng = np.random.default_rng(seed)
    probabilities = [rng.dirichlet(np.full(levels, 5.0)) for levels in (10, 20, 30, 40, 50)]
    shifted = [rng.dirichlet(np.full(len(p), 5.0)) for p in probabilities]

    def frame(production: bool) -> pd.DataFrame:
        columns = {}
        for i, name in enumerate(NUMERIC):
            s = 0.25 if production and i % 2 == 0 else 0.0
            family = i % 5
            if family == 0:
                values = rng.normal(s, 1 + s, n)
            elif family == 1:
                values = rng.lognormal(s, 0.6 + s / 2, n)
            elif family == 2:
                values = rng.uniform(s, 1 + 2 * s, n)
            elif family == 3:
                values = rng.gamma(2 + 4 * s, 1.0, n)
            else:
                values = np.where(rng.random(n) < 0.5 + s, rng.normal(-1, 0.5, n), rng.normal(1 + s, 0.5, n))
            columns[name] = values
        for j, name in enumerate(CATEGORICAL):
            p = shifted[j] if production and j % 2 == 0 else probabilities[j]
            labels = np.array([f"{name}_level_{k:02d}" for k in range(len(p))], dtype=object)
            columns[name] = labels[rng.choice(len(p), n, p=p)]
        return pd.DataFrame(columns)

    return frame(False), frame(True)


# --- the three implementations -----------------------------------------------------------------
def run_mlcheckup(ref, prod, n_jobs: int) -> dict:
    table = drift.compare(ref, prod, numerical="all", categorical="all", ks_row_limit="compute", n_jobs=n_jobs)
    return {(r.feature_name, r.metric_name): r.metric_value for r in table.itertuples()}


def run_mlcheckup_cached(reference: drift.Reference, prod, n_jobs: int) -> dict:
    table = reference.compare(prod, numerical="all", categorical="all", ks_row_limit="compute", n_jobs=n_jobs)
    return {(r.feature_name, r.metric_name): r.metric_value for r in table.itertuples()}


def run_reference(ref, prod) -> dict:
    return {key: float(value) for key, value in reference_drift(ref, prod, histogram=pyspark_histogram_numpy).items()}


def evidently_report():
    """One Evidently 0.7 Report with a ValueDrift per (column, method): the same 95 numbers."""
    from evidently import Report
    from evidently.metrics import ValueDrift

    metrics = [ValueDrift(column=c, method=m) for c in NUMERIC for m in NUMERIC_METRICS.values()]
    metrics += [ValueDrift(column=c, method=m) for c in CATEGORICAL for m in CATEGORICAL_METRICS.values()]
    return Report(metrics)


def evidently_datasets(ref, prod):
    from evidently import DataDefinition, Dataset

    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    return (Dataset.from_pandas(ref, data_definition=definition),
            Dataset.from_pandas(prod, data_definition=definition))


def run_evidently(ref, prod) -> dict:
    reference, current = evidently_datasets(ref, prod)
    snapshot = evidently_report().run(current, reference)
    values = {}
    names = {**{v: k for k, v in NUMERIC_METRICS.items()}, **{v: k for k, v in CATEGORICAL_METRICS.items()}}
    for result in snapshot.dict()["metrics"]:
        config = result["config"]
        values[config["column"], names[config["method"]]] = float(result["value"])
    return values


# --- measuring ----------------------------------------------------------------------------------
CPU_SECONDS: dict[int, list[float]] = {}  # id(wall list) -> CPU seconds of the same runs


def timed(function, repeat: int) -> tuple[list[float], object]:
    """Wall seconds of ``repeat`` runs (CPU seconds of the process kept aside), and the last result."""
    seconds, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU_SECONDS[id(seconds)] = cpu
    return seconds, result


def max_difference(got: dict, expected: dict, metrics=None) -> float:
    keys = [k for k in expected if metrics is None or k[1] in metrics]
    diffs = [abs(got[k] - expected[k]) for k in keys if not (np.isnan(got[k]) and np.isnan(expected[k]))]
    return max(diffs) if diffs else 0.0


def versions() -> dict:
    found = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
             "pandas": pd.__version__}
    try:
        import evidently

        found["evidently"] = evidently.__version__
    except ImportError:
        pass
    return found


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{model}, {os.cpu_count()} vCPU, {platform.system()} {platform.release()}"


def measure(rows: int, repeat: int, evidently_repeat: int, with_evidently: bool) -> dict:
    ref, prod = make_data(rows)
    load_at_start = round(os.getloadavg()[0], 2)
    runs = {}
    print(f"data: {rows:,} rows per side, {len(NUMERIC)} float + {len(CATEGORICAL)} string columns", flush=True)
    for n_jobs in (1, 2):
        seconds, ours = timed(lambda n_jobs=n_jobs: run_mlcheckup(ref, prod, n_jobs), repeat)
        runs[f"mlcheckup, {n_jobs} thread{'s' if n_jobs > 1 else ''}"] = {"seconds": seconds, "values": ours}
        print(f"mlcheckup n_jobs={n_jobs}: {statistics.median(seconds):.2f} s", flush=True)
    cached = drift.Reference(ref)
    run_mlcheckup_cached(cached, prod, 2)  # sorts the reference once, as a monitor's first window does
    seconds, _ = timed(lambda: run_mlcheckup_cached(cached, prod, 2), repeat)
    runs["mlcheckup, reference cached, 2 threads"] = {"seconds": seconds}
    print(f"mlcheckup cached reference: {statistics.median(seconds):.2f} s", flush=True)
    seconds, expected = timed(lambda: run_reference(ref, prod), 1)
    runs["scipy reference loop"] = {"seconds": seconds, "values": expected}
    print(f"scipy reference: {statistics.median(seconds):.2f} s", flush=True)
    if with_evidently:
        import evidently  # noqa: F401 - import time stays outside the clock

        seconds, theirs = timed(lambda: run_evidently(ref, prod), evidently_repeat)
        runs["Evidently 0.7 (Report of 95 ValueDrift)"] = {"seconds": seconds, "values": theirs}
        print(f"evidently: {statistics.median(seconds):.2f} s", flush=True)
    ours = runs["mlcheckup, 1 thread"]["values"]
    parity = {"mlcheckup vs scipy reference, all 95 values": max_difference(ours, expected)}
    for label, run in runs.items():
        if label.startswith("mlcheckup, 2") and "values" in run:
            parity["mlcheckup 2 threads vs 1 thread"] = max_difference(run["values"], ours)
    if with_evidently:
        theirs = runs["Evidently 0.7 (Report of 95 ValueDrift)"]["values"]
        for metric in (*NUMERIC_METRICS, "pearsons_chi_squared_test"):
            parity[f"Evidently vs scipy reference, {metric}"] = max_difference(theirs, expected, {metric})
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "rows": rows, "repeat": repeat,
        "evidently_repeat": evidently_repeat, "machine": machine(), "versions": versions(),
        "load_average_at_start": load_at_start, "load_average_at_end": round(os.getloadavg()[0], 2),
        "timings": {label: run["seconds"] for label, run in runs.items()},
        "cpu_seconds": {label: CPU_SECONDS[id(run["seconds"])] for label, run in runs.items()}, "parity": parity,
    }


# --- report ------------------------------------------------------------------------------------
def section(result: dict) -> str:
    timings = {label: statistics.median(s) for label, s in result["timings"].items()}
    fastest = {label: min(s) for label, s in result["timings"].items()}
    cpu = {label: statistics.median(s) for label, s in result["cpu_seconds"].items()}
    evidently_label = next((label for label in timings if label.startswith("Evidently")), None)
    base, base_cpu = timings.get(evidently_label), cpu.get(evidently_label)
    lines = [
        "## Drift",
        "",
        f"`mlcheckup.drift` against Evidently {result['versions'].get('evidently', '(not run)')} and a plain scipy "
        f"loop, measured in one run of `make -C benchmarks drift` on {result['date']}: "
        f"{result['rows']:,} rows per side, 20 float + 5 string features, the same 95 numbers from each "
        "(Wasserstein, JSD, PSI, KS p-value on the floats; JSD, PSI, chi-square p-value on the strings). "
        "Median wall time after the data is built and the libraries imported "
        f"(mlcheckup: {result['repeat']} runs; scipy loop: 1; Evidently: {result['evidently_repeat']}).",
        "",
        "| implementation | wall s (median) | wall s (fastest) | Evidently ÷ this, wall | CPU s (median) "
        "| Evidently ÷ this, CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, seconds in timings.items():
        ratio = f"{base / seconds:.1f}×" if base else "–"
        cpu_ratio = f"{base_cpu / cpu[label]:.1f}×" if base_cpu else "–"
        lines.append(f"| {label} | {seconds:.2f} | {fastest[label]:.2f} | {ratio} | {cpu[label]:.2f} | {cpu_ratio} |")
    lines += ["", "Largest absolute difference from the scipy reference (tests/test_drift_parity.py):", ""]
    lines += [f"- {label}: {value:.1e}" for label, value in result["parity"].items()]
    lines += [
        "",
        "Evidently computes the same metric names with other definitions: Sturges bins on both samples "
        "together, natural-log JSD, no +1 smoothing in PSI, ddof=0 in the Wasserstein normalizer. So only "
        "its KS and chi-square p-values equal Azure's; its Wasserstein differs by a relative 1/(2n).",
        "",
        f"Machine: {result['machine']}; shared with other jobs (1-minute load average "
        f"{result['load_average_at_start']} at the start, {result['load_average_at_end']} at the end), so read "
        "the ratios, measured side by side, rather than the absolute seconds; the CPU seconds of the process "
        "(summed over its threads) depend less on the neighbours than wall time does. Versions: "
        + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + ". Raw figures: `drift/results.json`.",
        "",
    ]
    return "\n".join(lines)


def write_section(readme: Path, text: str) -> None:
    """Replace (or add) the "## Drift" section of the README, leaving every other section alone."""
    current = readme.read_text() if readme.exists() else "# Benchmarks\n\n"
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == "## Drift"), None)
    if start is None:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        updated = "".join(lines[:start]) + text + ("\n" if end < len(lines) else "") + "".join(lines[end:])
    readme.write_text(updated)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of mlcheckup (median reported)")
    parser.add_argument("--evidently-repeat", type=int, default=1)
    parser.add_argument("--no-evidently", action="store_true", help="skip Evidently (when it is not installed)")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--readme", type=Path, help="update the '## Drift' section of this README")
    args = parser.parse_args(argv)
    result = measure(args.rows, args.repeat, args.evidently_repeat, not args.no_evidently)
    text = section(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if args.readme:
        write_section(args.readme, text)
    worst = result["parity"]["mlcheckup vs scipy reference, all 95 values"]
    if worst > 1e-9:
        print(f"PARITY FAILED: {worst:.2e} > 1e-9", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
