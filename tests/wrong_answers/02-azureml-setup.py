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
    # enables the collections with a Python bool, which the schema refuses, and forgets App Insights
    "ex2_2_monitored_deployment": (
        "def monitored_deployment(name, endpoint_name, *, model, environment, code,\n"
        "                         instance_type=\"Standard_DS3_v2\", instance_count=1):\n"
        "    collector = DataCollector(collections={\"model_inputs\": DeploymentCollection(enabled=True),\n"
        "                                           \"model_outputs\": DeploymentCollection(enabled=True)},\n"
        "                              sampling_rate=1.0, rolling_rate=\"hour\")\n"
        "    return ManagedOnlineDeployment(name=name, endpoint_name=endpoint_name, model=model,\n"
        "                                   environment=environment,\n"
        "                                   code_configuration=CodeConfiguration(code=str(code), scoring_script=\"score.py\"),\n"
        "                                   instance_type=instance_type, instance_count=instance_count,\n"
        "                                   data_collector=collector)\n"
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
    # forgets the instance count, and looks the price up directly (a KeyError for an unknown size)
    "ex2_4_daily_cost": (
        "def daily_cost(deployment, prices, hours=24.0):\n"
        "    return float(prices[deployment.instance_type] * hours)\n"
    ),
}
