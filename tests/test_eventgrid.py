"""Event Grid offline: breach tags, the subscription and its filters, at-least-once delivery, the handshake."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from azure.eventgrid import EventGridEvent
from azure.mgmt.eventgrid.models import EventSubscription, RetryPolicy

from mlcheckup import eventgrid
from mlcheckup.errors import ValidationError

DRIFT = [{"group": "amount", "metric_name": "jensen_shannon_distance", "metric_value": 0.31, "threshold_value": 0.1},
         {"group": "hour", "metric_name": "jensen_shannon_distance", "metric_value": 0.02, "threshold_value": 0.1}]
QUIET = [{"group": "amount", "metric_name": "two_sample_kolmogorov_smirnov_test", "metric_value": 0.4,
          "threshold_value": 0.05}]


def _events(n=6, seed=0, every="min"):
    times = pd.date_range("2024-03-04", periods=n, freq=every)
    return [eventgrid.run_status_event("fraud-drift", i, t, {"drift": DRIFT}, seed=seed) for i, t in enumerate(times)]


def test_breach_direction_follows_azure():
    assert [row["group"] for row in eventgrid.breaches(DRIFT)] == ["amount"]
    assert eventgrid.breaches(QUIET) == []                       # p-value above threshold: no breach
    low_p = [{**QUIET[0], "metric_value": 0.01}]
    assert len(eventgrid.breaches(low_p)) == 1
    assert eventgrid.breaches([{**DRIFT[0], "threshold_value": None}]) == []
    with pytest.raises(ValidationError, match="missing \\['threshold_value'\\]"):
        eventgrid.breaches([{"group": "a", "metric_name": "x", "metric_value": 1}])


def test_a_breaching_run_fails_with_azures_exact_tag():
    event = eventgrid.run_status_event("fraud-drift", 3, "2024-03-05T06:00", {"quality": QUIET, "drift": DRIFT})
    data = event["data"]
    assert event["eventType"] == "Microsoft.MachineLearningServices.RunStatusChanged"
    assert data["RunStatus"] == "Failed"
    assert data["RunTags"][eventgrid.BREACH_TAG] == (
        "The signal 'drift' has failed due to one or more features violating metric thresholds.\n"
        "The feature names and their corresponding computed metric values violating the threshold are \n"
        '[{"group": "amount", "metric_value": 0.31, "metric_name": "jensen_shannon_distance", '
        '"threshold_value": 0.1}]\n')
    quiet = eventgrid.run_status_event("fraud-drift", 4, "2024-03-06", {"quality": QUIET})
    assert quiet["data"]["RunStatus"] == "Completed" and quiet["data"]["RunTags"] == {}
    assert quiet["id"] != event["id"]


def test_the_documented_subscription_serializes_and_filters():
    subscription = eventgrid.event_subscription(endpoint_url="https://ops.example.com/api/monitor",
                                                monitor="fraud-drift")
    body = eventgrid.subscription_payload(subscription)["properties"]
    assert body["filter"]["includedEventTypes"] == [eventgrid.RUN_STATUS_CHANGED]
    assert body["filter"]["advancedFilters"][0] == {
        "operatorType": "StringContains", "key": "data.RunTags.azureml_modelmonitor_threshold_breached",
        "values": ["has failed due to one or more features violating metric thresholds"]}
    assert body["destination"]["endpointType"] == "WebHook"
    breach = _events(1)[0]
    quiet = eventgrid.run_status_event("fraud-drift", 9, "2024-03-06", {"quality": QUIET})
    other = eventgrid.run_status_event("other-monitor", 1, "2024-03-06", {"drift": DRIFT})
    assert eventgrid.matches(subscription, breach)
    assert not eventgrid.matches(subscription, quiet) and not eventgrid.matches(subscription, other)


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: setattr(s.destination, "endpoint_url", "http://ops.example.com"), "https:// endpoint_url"),
    (lambda s: setattr(s, "retry_policy", RetryPolicy(max_delivery_attempts=31)), "max_delivery_attempts must be a whole number from 1 to 30 \\(got 31\\)"),
    (lambda s: setattr(s.filter, "included_event_types", ["Microsoft.MachineLearningServices.RunCompleted"]),
     "must contain 'Microsoft.MachineLearningServices.RunStatusChanged'"),
    (lambda s: setattr(s.filter, "advanced_filters", []), "no StringContains filter"),
])
def test_a_malformed_subscription_is_refused_clearly(change, message):
    subscription = eventgrid.event_subscription(endpoint_url="https://ops.example.com/api")
    change(subscription)
    with pytest.raises(ValidationError, match=message):
        eventgrid.check_subscription(subscription)
    with pytest.raises(ValidationError, match="got dict"):
        eventgrid.check_subscription({"filter": {}})
    assert isinstance(eventgrid.event_subscription(endpoint_url="https://x.example.com"), EventSubscription)


def test_delivery_is_a_json_array_of_one_event_parsed_by_the_sdk():
    bodies = []
    eventgrid.deliver(_events(3), lambda body: bodies.append(body) or 200, seed=1, duplicates=0)
    assert all(len(json.loads(body)) == 1 for body in bodies)
    parsed = eventgrid.parse_delivery(bodies[0])
    assert isinstance(parsed[0], EventGridEvent) and parsed[0].event_type == eventgrid.RUN_STATUS_CHANGED
    with pytest.raises(ValidationError, match="JSON array"):
        eventgrid.parse_delivery(json.dumps(_events(1)[0]))
    with pytest.raises(ValidationError, match="missing \\['eventType'"):
        eventgrid.parse_delivery(json.dumps([{"id": "1", "subject": "s"}]))


def test_at_least_once_with_duplicates_and_out_of_order_arrivals_reproducibly():
    events = _events(40, every="5s")
    seen = []
    result = eventgrid.deliver(events, lambda body: seen.append(json.loads(body)[0]["id"]) or 200, seed=3,
                               duplicates=0.2)
    order = [event["id"] for event in events]
    assert set(seen) == set(order) and len(seen) > len(order)            # every event, some twice
    first_arrivals = list(dict.fromkeys(seen))
    assert first_arrivals != order                                      # out of order
    again = eventgrid.deliver(events, lambda body: 200, seed=3, duplicates=0.2)
    pd.testing.assert_frame_equal(result.attempts, again.attempts)
    assert result.delivered == 40


def test_failures_are_retried_with_backoff_but_400_401_403_413_are_not():
    calls = []

    def flaky(body):
        calls.append(body)
        return 503 if len(calls) < 3 else 200

    result = eventgrid.deliver(_events(1), flaky, duplicates=0)
    assert list(result.attempts["outcome"]) == ["retry", "retry", "delivered"]
    gaps = result.attempts["time"].diff().dt.total_seconds().dropna().tolist()
    assert 9 <= gaps[0] <= 11 and 27 <= gaps[1] <= 33
    for status in (400, 401, 403, 413):
        refused = eventgrid.deliver(_events(1), lambda body, s=status: s, duplicates=0)
        assert list(refused.attempts["outcome"]) == ["dropped"], status
    limited = eventgrid.deliver(_events(1), lambda body: 500, duplicates=0, max_delivery_attempts=4)
    assert len(limited.attempts) == 4 and limited.fates["fate"].tolist() == ["dropped"]


def test_a_handler_that_raises_or_hangs_is_a_failed_attempt_not_a_crash():
    def broken(body):
        raise RuntimeError("boom")

    result = eventgrid.deliver(_events(1), broken, duplicates=0, max_delivery_attempts=2)
    assert list(result.attempts["status"]) == [500, 500]
    import threading
    gate, done = threading.Event(), threading.Event()

    def hangs(body):
        gate.wait(5)
        done.set()
        return 200

    hung = eventgrid.deliver(_events(1), hangs, duplicates=0, max_delivery_attempts=1, timeout=0.2)
    finished_first = done.is_set()
    gate.set()
    assert list(hung.attempts["status"]) == [408] and not finished_first   # deliver did not wait for it


def test_the_webhook_answers_the_handshake_and_calls_the_handler_per_event():
    log = []
    receiver = eventgrid.webhook(lambda event: "page", log)
    assert eventgrid.handshake(receiver, seed=4)
    assert not eventgrid.handshake(lambda body: (200, {"validationResponse": "wrong"}))
    eventgrid.deliver(_events(2), receiver, duplicates=0)
    assert [action for _, action in log] == ["page", "page"]
    assert receiver("not json")[0] == 400
