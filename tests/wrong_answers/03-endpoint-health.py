"""Wrong answers for lesson 03 (see tests/wrong_answers/__init__.py).

Each is a mistake the lesson warns about: a table that ignores its grain, errors read from the
model's status code, a mean of ratios, the
workbook's factor taken far too low, ceil on a float that is a hair above a whole number, and an
autoscale setting built as Learn builds it, without ``enabled=True``.
"""

WRONG = {
    # minute bins whatever freq says (so an hourly p95 is never recomputed), and linear percentiles
    "ex3_1_latency_table": (
        "def latency_table(log, freq='1min'):\n"
        "    bins = log['TimeGenerated'].dt.floor('1min')\n"
        "    classes = (log['ResponseCode'].astype(int) // 100).map({2: '2xx', 4: '4xx', 5: '5xx'})\n"
        "    grouped = log.groupby(bins)\n"
        "    table = pd.DataFrame({'requests': grouped.size()})\n"
        "    table = table.join(pd.crosstab(bins, classes).reindex(columns=['2xx', '4xx', '5xx'], fill_value=0))\n"
        "    table['p50_ms'] = grouped['TotalDurationMs'].quantile(0.5)\n"
        "    table['p95_ms'] = grouped['TotalDurationMs'].quantile(0.95)\n"
        "    return table\n"
    ),
    # errors counted from the model's status (a 429 or 408 never reached the model: its ModelStatusCode is
    # empty, a comparison with empty is false, so every refusal is missed), and order by without asc (newest first)
    "ex3_2_errors_kql": (
        "def errors_kql(minutes=1):\n"
        "    return f\"\"\"AmlOnlineEndpointTrafficLog\n"
        "        | summarize requests = count(), errors = countif(ModelStatusCode != 200),\n"
        "                    model_failed = countif(ModelStatusCode != 200) by bin(TimeGenerated, {minutes}m)\n"
        "        | extend error_share = todouble(errors) / requests\n"
        "        | order by TimeGenerated\"\"\"\n"
    ),
    # the mean of per-minute ratios: a quiet minute weighs like a busy one, and 0/0 gives NaN
    "ex3_3_burn_rate": (
        "def burn_rate(bad, requests, objective, window):\n"
        "    return (bad / requests).rolling(window).mean() / (1 - objective)\n"
    ),
    # pages at burn rate 2: fires on every afternoon peak and is already firing when incidents start
    "ex3_4_page_alerts": (
        "def page_alerts():\n"
        "    return [slo.BurnRateAlert('1h', '5min', 2.0)]\n"
    ),
    # ceil of a float: 21 requests in service over 2 x 0.7 slots is 15.000000000000002, so 16 instances
    "ex3_5_instances_needed": (
        "import math\n"
        "def instances_needed(requests_per_minute, service_ms, max_concurrent, target):\n"
        "    in_service = requests_per_minute / 60.0 * service_ms / 1000.0\n"
        "    return max(1, math.ceil(in_service / (max_concurrent * target)))\n"
    ),
    # the SDK object built by hand as Learn does: enabled defaults to False, so it stays at default=4
    "ex3_6_my_autoscale": (
        "def my_autoscale():\n"
        "    from azure.mgmt.monitor.models import AutoscaleProfile, AutoscaleSettingResource, ScaleCapacity\n"
        "    cpu = 'CpuUtilizationPercentage'\n"
        "    rules = [autoscale.scale_rule(cpu, 'GreaterThan', 40, 'Increase', cooldown='PT5M'),\n"
        "             autoscale.scale_rule(cpu, 'LessThan', 15, 'Decrease', cooldown='PT30M', time_window='PT30M')]\n"
        "    profile = AutoscaleProfile(name='default', capacity=ScaleCapacity(minimum='1', maximum='10', default='4'),\n"
        "                               rules=rules)\n"
        "    return AutoscaleSettingResource(location='eastus', profiles=[profile],\n"
        "                                    target_resource_uri=autoscale.DEPLOYMENT_ID)\n"
    ),
}
