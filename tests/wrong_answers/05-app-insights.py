"""Wrong answers for lesson 05 (see tests/wrong_answers/__init__.py)."""

WRONG = {
    # takes the daily budget as a number of values of the sample: too deaf on a long sample, over budget on a short one
    "ex5_1_doubt_threshold": (
        "def doubt_threshold(confidences, requests_per_day, events_per_day):\n"
        "    values = np.sort(np.asarray(confidences, dtype=float))\n"
        "    return float(values[int(events_per_day)])\n"
    ),
    # ignores `minutes`: always hourly bins (right for the default, wrong for any other bin)
    "ex5_2_failure_rate_kql": (
        "def failure_rate_kql(minutes=60):\n"
        "    return '''\n"
        "        requests\n"
        "        | summarize requests = count(), failed = countif(success == false) by bin(timestamp, 1h)\n"
        "        | extend failure_rate = todouble(failed) / requests\n"
        "        | order by timestamp asc'''\n"
    ),
    # a join without kind= (innerunique): only requests that have an event survive, so every share is 1
    "ex5_3_doubtful_share_kql": (
        "def doubtful_share_kql(minutes=60):\n"
        "    return f'''\n"
        "        requests\n"
        "        | join (customEvents | where name == \"LowConfidencePrediction\"\n"
        "                          | project operation_Id, doubtful = 1) on operation_Id\n"
        "        | summarize requests = count(), doubtful = countif(doubtful == 1) by bin(timestamp, {minutes}m)\n"
        "        | extend doubtful_share = todouble(doubtful) / requests\n"
        "        | order by timestamp asc'''\n"
    ),
    # alerts on the slowest single request: every healthy slow outlier raises a false alarm
    "ex5_4_slowdown_rule": (
        "def slowdown_rule():\n"
        "    return alerts.MetricRule(name='slow-scoring', metric_name='requests/duration', time_aggregation='Maximum',\n"
        "                             operator='GreaterThan', threshold=300, window_size='PT1H',\n"
        "                             evaluation_frequency='PT15M', severity=2)\n"
    ),
}
