"""Wrong answers for lesson 05 (see tests/wrong_answers/__init__.py)."""

WRONG = {
    # takes the daily budget as a number of values of the sample: too deaf on a long sample, over budget on a short one
    "ex5_1_doubt_threshold": (
        "def doubt_threshold(confidences, requests_per_day, events_per_day):\n"
        "    values = np.sort(np.asarray(confidences, dtype=float))\n"
        "    return float(values[int(events_per_day)])\n"
    ),
    # ignores `minutes`: always one row per hour (right for the default, wrong for any other bin)
    "ex5_2_failure_rate_sql": (
        "def failure_rate_sql(minutes=60):\n"
        "    return '''\n"
        "        SELECT strftime('%Y-%m-%d %H:00:00', timestamp) AS bin, COUNT(*) AS requests,\n"
        "               SUM(success = 0) AS failed, 1.0 * SUM(success = 0) / COUNT(*) AS failure_rate\n"
        "        FROM requests GROUP BY bin ORDER BY bin'''\n"
    ),
    # filters the event's name in WHERE: the left join becomes an inner join, requests without events vanish
    "ex5_3_doubtful_share_sql": (
        "def doubtful_share_sql(minutes=60):\n"
        "    seconds = 60 * minutes\n"
        "    return f'''\n"
        "        SELECT datetime(CAST(strftime('%s', r.timestamp) AS INTEGER) / {seconds} * {seconds}, 'unixepoch') AS bin,\n"
        "               COUNT(*) AS requests, COUNT(e.operation_Id) AS doubtful,\n"
        "               1.0 * COUNT(e.operation_Id) / COUNT(*) AS doubtful_share\n"
        "        FROM requests AS r LEFT JOIN customEvents AS e ON e.operation_Id = r.operation_Id\n"
        "        WHERE e.name = 'LowConfidencePrediction'\n"
        "        GROUP BY bin ORDER BY bin'''\n"
    ),
    # alerts on the slowest single request: every healthy slow outlier raises a false alarm
    "ex5_4_slowdown_rule": (
        "def slowdown_rule():\n"
        "    return alerts.MetricRule(name='slow-scoring', metric_name='requests/duration', time_aggregation='Maximum',\n"
        "                             operator='GreaterThan', threshold=300, window_size='PT1H',\n"
        "                             evaluation_frequency='PT15M', severity=2)\n"
    ),
}
