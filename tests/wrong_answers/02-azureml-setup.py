"""Wrong answers for lesson 02 (see tests/wrong_answers/__init__.py)."""

WRONG = {
    # raises on a bad request (the server turns that into a generic 500) and returns a NumPy
    # array, which the server cannot encode as JSON (a 500 for good requests too)
    "ex2_1_run": (
        "def run(raw_data):\n"
        "    rows = np.asarray(json.loads(raw_data)[\"data\"], dtype=float)\n"
        "    if rows.ndim != 2 or rows.shape[1] != 64:\n"
        "        raise ValueError(f\"expected rows of 64 pixels, got shape {rows.shape}\")\n"
        "    return {\"predictions\": model.predict(rows)}\n"
    ),
    # spends the whole budget: the largest rate it pays for, capped at 1.0, and never asks whether the
    # incident shows (nor that joined rows need rate squared), so it never refuses
    "ex2_2_sampling_rate_for": (
        "def sampling_rate_for(requests_per_hour, incident_share, window_hours, rows_needed,\n"
        "                      cost_per_1000_payloads, budget_per_month, joined=False):\n"
        "    affordable = budget_per_month / (2 * requests_per_hour * 24 * 30 * cost_per_1000_payloads / 1000)\n"
        "    return float(min(1.0, math.floor(100 * affordable) / 100))\n"
    ),
    # numbers rows by their position in the whole file instead of in their own line
    "ex2_3_joined_rows": (
        "def joined_rows(input_lines, output_lines):\n"
        "    def rows(lines):\n"
        "        records = [dict(record) for line in lines for record in line[\"data\"]]\n"
        "        ids = [line[\"correlationid\"] for line in lines for _ in line[\"data\"]]\n"
        "        frame = pd.DataFrame.from_records(records)\n"
        "        frame[\"correlationid\"] = [f\"{cid}_{n}\" for n, cid in enumerate(ids)]\n"
        "        return frame\n"
        "    return rows(input_lines).merge(rows(output_lines), on=\"correlationid\")\n"
    ),
    # sizes for the peak with no spare instance and ignores the 20 % quota reserve
    "ex2_4_cheapest_plan": (
        "def cheapest_plan(peak_requests_per_second, sizes, quota_vcpus):\n"
        "    plans = []\n"
        "    for name, size in sizes.items():\n"
        "        count = math.ceil(peak_requests_per_second / size[\"requests_per_second\"])\n"
        "        if count * size[\"vcpus\"] <= quota_vcpus:\n"
        "            plans.append((size[\"price_per_hour\"] * count, name, count))\n"
        "    if not plans:\n"
        "        raise ValueError(f\"no plan fits {quota_vcpus} vCPUs\")\n"
        "    _, name, count = min(plans)\n"
        "    return name, count\n"
    ),
}
