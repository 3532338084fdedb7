"""Wrong answers for lesson 04 (see tests/wrong_answers/__init__.py).

Each is a mistake that real code makes, most of them defaults of a popular library (Evidently 0.7,
NannyML): see benchmarks/README.md, "Drift".
"""

WRONG = {
    # numpy's Sturges rule on both samples together: one bin too many, and a +-0.5 range for a constant
    "ex4_1_azure_edges": (
        "def azure_edges(reference, production):\n"
        "    both = np.concatenate([np.asarray(reference, dtype=float), np.asarray(production, dtype=float)])\n"
        "    return np.histogram_bin_edges(both, bins='sturges')\n"
    ),
    # natural logarithm (scipy's jensenshannon without base=2): disjoint histograms score 0.83, not 1
    "ex4_2_js_distance": (
        "def js_distance(p_counts, q_counts):\n"
        "    p = np.asarray(p_counts, dtype=float); q = np.asarray(q_counts, dtype=float)\n"
        "    p, q = p / p.sum(), q / q.sum()\n"
        "    m = (p + q) / 2\n"
        "    kl = lambda a: np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0]))\n"
        "    return float(np.sqrt(0.5 * kl(p) + 0.5 * kl(q)))\n"
    ),
    # no +1 smoothing: an empty bin gives inf, and every value differs slightly
    "ex4_3_psi": (
        "def psi(p_counts, q_counts):\n"
        "    p = np.asarray(p_counts, dtype=float); q = np.asarray(q_counts, dtype=float)\n"
        "    p, q = p / p.sum(), q / q.sum()\n"
        "    return float(np.sum((q - p) * np.log(q / p)))\n"
    ),
    # the population standard deviation (np.std's default ddof=0)
    "ex4_4_normalized_wasserstein": (
        "def normalized_wasserstein(reference, production):\n"
        "    ref = np.asarray(reference, dtype=float)\n"
        "    return float(stats.wasserstein_distance(ref, np.asarray(production, dtype=float)) / max(np.std(ref), 0.001))\n"
    ),
    # a test of the two samples against each other (chi2_contingency), not of production against reference shares
    "ex4_5_chi_squared_pvalue": (
        "def chi_squared_pvalue(reference, production):\n"
        "    table = pd.crosstab(np.r_[np.zeros(len(reference)), np.ones(len(production))],\n"
        "                        np.r_[np.asarray(reference), np.asarray(production)])\n"
        "    return float(stats.chi2_contingency(table).pvalue)\n"
    ),
    # half the fix: the reference offset is right, but the reference is one window long, not two
    "ex4_6_recent_drift": (
        "def recent_drift(log, feature, run_time, frequency='week', interval=1):\n"
        "    windows = drift.default_windows(frequency, interval)\n"
        "    size = drift.parse_duration(windows.production_size)\n"
        "    offset = drift.parse_duration(windows.reference_offset)\n"
        "    run_time = pd.Timestamp(run_time)\n"
        "    now = log[(log['date'] >= run_time - size) & (log['date'] < run_time)]\n"
        "    before = log[(log['date'] >= run_time - offset - size) & (log['date'] < run_time - offset)]\n"
        "    return float(drift.normalized_wasserstein_distance(before[feature], now[feature]))\n"
    ),
    # the lower tail: the quantile at the false-alarm rate instead of 1 - rate
    "ex4_7_quiet_threshold": (
        "def quiet_threshold(reference, feature, false_alarm_rate, time_column='date'):\n"
        "    distances = [drift.normalized_wasserstein_distance(reference[feature], group[feature])\n"
        "                 for _, group in reference.groupby(time_column)]\n"
        "    return float(np.quantile(distances, false_alarm_rate))\n"
    ),
}
