"""Wrong answers for lesson 06 (see tests/wrong_answers/__init__.py).

Each is a mistake real monitoring code makes with late labels and confidences.
"""

WRONG = {
    # joins the whole feed: ignores as_of, lets the last row win whatever it holds ('n/a', an early label)
    "ex6_1_labels_as_of": (
        "def labels_as_of(predictions, feed, as_of):\n"
        "    latest = feed.drop_duplicates('correlationid', keep='last')\n"
        "    return predictions.merge(latest[['correlationid', 'label']], on='correlationid', how='left')\n"
    ),
    # the textbook (Wald) interval p ± z sqrt(p(1-p)/n): centred on p, too narrow near 1
    "ex6_2_accuracy_interval": (
        "from scipy import stats\n\n\n"
        "def accuracy_interval(correct, labelled, confidence=0.95):\n"
        "    if labelled == 0:\n"
        "        return 0.0, 1.0\n"
        "    z = stats.norm.ppf(0.5 + confidence / 2)\n"
        "    p = correct / labelled\n"
        "    half = z * np.sqrt(p * (1 - p) / labelled)\n"
        "    return max(0.0, float(p - half)), min(1.0, float(p + half))\n"
    ),
    # every non-empty bin counts the same, however few predictions it holds
    "ex6_3_expected_calibration_error": (
        "def expected_calibration_error(confidence, correct, bins=10):\n"
        "    confidence = np.asarray(confidence, dtype=float)\n"
        "    correct = np.asarray(correct, dtype=float)\n"
        "    which = np.minimum((confidence * bins).astype(int), bins - 1)\n"
        "    gaps = [abs(correct[which == b].mean() - confidence[which == b].mean()) for b in np.unique(which)]\n"
        "    return float(np.mean(gaps))\n"
    ),
    # the raw mean confidence: no calibration, so an overconfident model looks better than it is
    "ex6_4_estimate_accuracy": (
        "def estimate_accuracy(reference_confidence, reference_correct, confidence, bins=10):\n"
        "    return float(np.mean(confidence))\n"
    ),
    # pages when the Wilson interval is below the floor, as if fresh labels were right and asked about once
    "ex6_7_page": (
        "def page(window, floor=0.94):\n"
        "    if window['estimated'] < floor:\n"
        "        return 'estimate'\n"
        "    if window['labelled'] >= 30 and window['high'] < floor:\n"
        "        return 'labels'\n"
        "    return None\n"
    ),
    # trusts the REST field: always Accuracy 0.9, whatever was asked
    "ex6_6_thresholds_sent": (
        "def thresholds_sent(signal_payload):\n"
        "    field = signal_payload.get('metricThreshold') or {}\n"
        "    if not field:\n"
        "        return {}\n"
        "    return {field['metric'].lower(): float(field['threshold']['value'])}\n"
    ),
}
