"""Wrong answers for lesson 04 (see tests/wrong_answers/__init__.py).

Each is a mistake that real code makes, most of them defaults of a popular library (Evidently 0.7,
NannyML): see benchmarks/README.md, "Drift".
"""

WRONG = {
    # types from the dtype alone (every integer column numerical) and a float64 comparison with 0.1
    "ex4_1_breaching_features": (
        "def breaching_features(reference, window):\n"
        "    rows = []\n"
        "    for feature in reference.columns:\n"
        "        if pd.api.types.is_numeric_dtype(reference[feature]):\n"
        "            kind, metric = 'Numerical', 'normalized_wasserstein_distance'\n"
        "            value = drift.normalized_wasserstein_distance(reference[feature], window[feature])\n"
        "        else:\n"
        "            kind, metric = 'Categorical', 'jensen_shannon_distance'\n"
        "            value = drift.jensen_shannon_distance(reference[feature], window[feature], categorical=True)\n"
        "        if value > 0.1:\n"
        "            rows.append((feature, kind, metric, float(value)))\n"
        "    return pd.DataFrame(rows, columns=['feature_name', 'data_type', 'metric_name', 'metric_value'])\n"
    ),
    # no +1 smoothing: an empty bin gives inf, and every value differs slightly
    "ex4_3_psi": (
        "def psi(p_counts, q_counts):\n"
        "    p = np.asarray(p_counts, dtype=float); q = np.asarray(q_counts, dtype=float)\n"
        "    p, q = p / p.sum(), q / q.sum()\n"
        "    return float(np.sum((q - p) * np.log(q / p)))\n"
    ),
    # keeps the threshold it was asked for: ignores that a small reference inflates the statistic
    "ex4_5_chi_squared_threshold": (
        "def chi_squared_threshold(alpha, n_categories, reference_rows, window_rows):\n"
        "    return float(alpha)\n"
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
