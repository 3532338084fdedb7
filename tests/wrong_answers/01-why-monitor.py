"""Wrong answers for lesson 01 (see tests/wrong_answers/__init__.py): one real mistake per exercise."""

WRONG = {
    # the naive monitor again: each window scored on everything served up to it (running metrics)
    "ex1_1_window_metrics": (
        "def window_metrics(labels, predictions, windows):\n"
        "    frame = pd.DataFrame({'label': list(labels), 'prediction': list(predictions), 'window': list(windows)})\n"
        "    rows = {}\n"
        "    for window in sorted(frame['window'].unique()):\n"
        "        seen = frame[frame['window'] <= window]\n"
        "        p, r, f, _ = precision_recall_fscore_support(seen['label'], seen['prediction'],\n"
        "                                                     average='macro', zero_division=0)\n"
        "        rows[window] = {'n': len(seen), 'accuracy': float(np.mean(seen['label'] == seen['prediction'])),\n"
        "                        'precision': p, 'recall': r, 'f1': f}\n"
        "    return pd.DataFrame.from_dict(rows, orient='index')\n"
    ),
    # the share of out-of-range *values*, not of requests, and NaN slips through every comparison
    "ex1_2_out_of_range_share": (
        "def out_of_range_share(X, low, high):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    return float(((X < low) | (X > high)).mean())\n"
    ),
    # fixed the classes but forgot the half: 0 to 2 instead of 0 to 1
    "ex1_3_prediction_mix_shift": (
        "def prediction_mix_shift(before, after):\n"
        "    before, after = np.asarray(before), np.asarray(after)\n"
        "    return float(sum(abs(np.mean(before == c) - np.mean(after == c)) for c in np.union1d(before, after)))\n"
    ),
    # a line through every request (big windows weigh more), and NaN poisons the fit
    "ex1_4_confidence_trend": (
        "def confidence_trend(confidence, windows):\n"
        "    return float(np.polyfit(np.asarray(windows, dtype=float), np.asarray(confidence, dtype=float), 1)[0])\n"
    ),
    # counts breaches since the start instead of in a row, and returns the position, not the label
    "ex1_5_first_sustained_breach": (
        "def first_sustained_breach(values, threshold, patience=1, below=True):\n"
        "    count = 0\n"
        "    for position, value in enumerate(values):\n"
        "        if (value < threshold) if below else (value > threshold):\n"
        "            count += 1\n"
        "            if count >= patience:\n"
        "                return position\n"
        "    return None\n"
    ),
    # asks about accuracy first and calls every drop decay: errors and concept drift are misnamed
    "ex1_6_diagnose": (
        "def diagnose(signals):\n"
        "    if signals['accuracy'].iloc[0] - signals['accuracy'].min() > 0.05:\n"
        "        return 'performance decay'\n"
        "    if signals['out_of_range'].max() > 0.01 or signals['error_rate'].max() > 0.01:\n"
        "        return 'unexpected errors'\n"
        "    if signals['drifted_pixels'].max() > 0.3 or signals['prediction_shift'].max() > 0.2:\n"
        "        return 'data drift'\n"
        "    return 'healthy'\n"
    ),
    # counts every window the alert is firing in, not every alarm (one per run), and never scales the budget
    "ex1_7_patience_for_budget": (
        "def patience_for_budget(quiet, threshold, alarms_per_month, below=True):\n"
        "    values = quiet.to_numpy(dtype=float)\n"
        "    breach = (values < threshold) if below else (values > threshold)\n"
        "    patience = 1\n"
        "    while True:\n"
        "        firing, run = 0, 0\n"
        "        for hit in breach:\n"
        "            run = run + 1 if hit else 0\n"
        "            firing += run >= patience\n"
        "        if firing <= alarms_per_month:\n"
        "            return patience\n"
        "        patience += 1\n"
    ),
}
