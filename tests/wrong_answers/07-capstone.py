"""Wrong answers for lesson 07 (see tests/wrong_answers/__init__.py).

The plan is one answer cell, so its wrong answer combines the capstone's three classic mistakes:
a handler that acts on every delivery (no memory of event ids, a page for a Resolved alert), one
monitor holding every signal with thresholds tight enough to "catch everything", and a plan
returned as a plain dict instead of a MonitoringPlan.
"""

WRONG = {
    "ex7_1_plan": (
        "def make_handler(routes):\n"
        "    def on_event(event):\n"
        "        if isinstance(event, alerts.Notification):\n"
        "            return routes.get(event.rule, 'page')\n"
        "        tag = event.data.get('RunTags', {}).get(eventgrid.BREACH_TAG, '')\n"
        "        return routes.get(tag.split(\"'\")[1] if \"'\" in tag else '', 'page')\n"
        "    return on_event\n"
        "\n"
        "\n"
        "def monitors():\n"
        "    tight = {'normalized_wasserstein_distance': 0.02}\n"
        "    signals = {\n"
        "        'inputs': model_monitor.data_drift_signal('azureml:payments-reference:1', numerical=tight,\n"
        "                                                  categorical={'jensen_shannon_distance': 0.02}, alert=True),\n"
        "        'quality': model_monitor.data_quality_signal('azureml:payments-reference:1', alert=True),\n"
        "        'performance': model_monitor.performance_signal(\n"
        "            'azureml:outputs:1', 'azureml:chargebacks:1', classification={'accuracy': 0.95},\n"
        "            prediction_column='blocked', actual_column='fraud', alert=True)}\n"
        "    return [model_monitor.monitor_schedule('fraud-monitor', endpoint='payments-endpoint', deployment='blue',\n"
        "                                           emails=['fraud-oncall@example.com'], signals=signals)]\n"
        "\n"
        "\n"
        "def build_monitoring():\n"
        "    rules = [alerts.MetricRule(name='failed-requests', metric_name='requests/failed', time_aggregation='Count',\n"
        "                               operator='GreaterThan', threshold=0)]\n"
        "    return {'score_script': project.score_script, 'schedule': monitors(), 'alerts': rules,\n"
        "            'on_event': make_handler({'failed-requests': 'page'})}\n"
    ),
}
