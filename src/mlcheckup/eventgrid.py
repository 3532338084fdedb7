"""Event Grid, offline: a monitor's breach becomes an event, delivered to a handler as Azure delivers it.

How Azure ML reacts to a model monitor's breach (azure-api.md §7):

1. the monitor's run evaluates each signal's metrics (:func:`breaches`: *below* the threshold
   breaches for the p-value tests, NDCG and accuracy/precision/recall, *above* it for the rest);
   on a breach the run is tagged :data:`BREACH_TAG` with :func:`breach_message` and **fails**;
2. the workspace publishes ``Microsoft.MachineLearningServices.RunStatusChanged``
   (:func:`run_status_event`) in the Event Grid schema;
3. an :func:`event_subscription` (a real ``azure-mgmt-eventgrid`` ``EventSubscription``) keeps the
   events whose ``data.RunTags.azureml_modelmonitor_threshold_breached`` contains
   :data:`BREACH_TEXT` (:func:`matches` applies its filters here);
4. Event Grid POSTs each one to a webhook as a JSON **array of one event**, at least once and in
   no guaranteed order (:func:`deliver`: duplicates and out-of-order arrivals on a seeded simulated
   clock, retries with backoff on failure, none on 400/401/403/413), after the subscription's
   validation handshake (:func:`handshake`); the receiver parses it with ``azure-eventgrid``'s
   ``EventGridEvent`` (:func:`parse_delivery`) and must be idempotent.

:func:`webhook` turns a Python handler ``on_event(event) -> action`` into such a receiver.
Nothing sleeps and nothing leaves the process. Taught in lesson 07.
"""

from __future__ import annotations

import heapq
import json
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _validate
from .errors import ValidationError

__all__ = ["BREACH_FILTER_KEY", "BREACH_TAG", "BREACH_TEXT", "HIGHER_IS_BETTER", "NOT_RETRIED", "RETRY_SCHEDULE",
           "RUN_STATUS_CHANGED", "SUCCESS", "VALIDATION_EVENT", "Delivery", "breach_message", "breaches",
           "check_subscription", "deliver", "event_subscription", "handshake", "matches", "parse_delivery",
           "run_status_event", "subscription_payload", "webhook"]

RUN_STATUS_CHANGED = "Microsoft.MachineLearningServices.RunStatusChanged"
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
#: The run tag Azure's monitoring code sets on a breach.
BREACH_TAG = "azureml_modelmonitor_threshold_breached"
#: The text the documented subscription filter looks for in that tag.
BREACH_TEXT = "has failed due to one or more features violating metric thresholds"
BREACH_FILTER_KEY = f"data.RunTags.{BREACH_TAG}"
#: Metrics that breach when *below* their threshold (every other metric breaches above it).
HIGHER_IS_BETTER = frozenset({"two_sample_kolmogorov_smirnov_test", "pearsons_chi_squared_test",
                              "normalized_discounted_cumulative_gain", "accuracy", "precision", "recall",
                              "aggregated_coherence_pass_rate", "aggregated_fluency_pass_rate",
                              "aggregated_groundedness_pass_rate", "aggregated_relevance_pass_rate",
                              "aggregated_similarity_pass_rate"})
#: Answers that count as delivered.
SUCCESS = frozenset({200, 201, 202, 203, 204})
#: Answers Event Grid never retries.
NOT_RETRIED = frozenset({400, 401, 403, 413})
#: Seconds after the first attempt at which Event Grid retries (then hourly).
RETRY_SCHEDULE = (10, 30, 60, 300, 600, 1800, 3600)
_ROW_KEYS = ("group", "metric_value", "metric_name", "threshold_value")


def breaches(rows: Iterable[dict] | pd.DataFrame) -> list[dict]:
    """The metric rows that breach their threshold, by Azure's rule (rows with a null value or threshold skipped).

    Each row has ``group`` (the feature), ``metric_name``, ``metric_value`` and ``threshold_value``.

    >>> breaches([{"group": "amount", "metric_name": "jensen_shannon_distance", "metric_value": 0.3,
    ...            "threshold_value": 0.1}])[0]["group"]
    'amount'
    """
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    found = []
    for row in records:
        missing = [key for key in _ROW_KEYS if key not in row]
        if missing:
            raise ValidationError(f"a metric row needs {list(_ROW_KEYS)} (got keys {sorted(row)}; missing {missing})")
        value, threshold = row["metric_value"], row["threshold_value"]
        if value is None or threshold is None or pd.isna(value) or pd.isna(threshold):
            continue
        below = row["metric_name"] in HIGHER_IS_BETTER
        if (value < threshold) if below else (value > threshold):
            found.append({key: row[key] for key in _ROW_KEYS})
    return found


def breach_message(signal: str, rows: list[dict]) -> str:
    """The text of the :data:`BREACH_TAG` run tag for one signal, as Azure's monitoring code writes it."""
    return (f"The signal '{signal}' {BREACH_TEXT}.\nThe feature names and their corresponding computed metric "
            f"values violating the threshold are \n{json.dumps(rows)}\n")


def _ids(seed: int, n: int) -> list[str]:
    rng = np.random.Generator(np.random.PCG64(seed))
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]


def run_status_event(monitor: str, run: int, time, signals: dict[str, list[dict]], *,
                     workspace: str = "mlcheckup-ws", seed: int = 0) -> dict:
    """The ``RunStatusChanged`` event of one monitor run, in the Event Grid schema.

    Parameters
    ----------
    monitor : str
        The monitor (schedule) name; its runs live in an experiment of that name.
    run : int
        The run's number (its id is ``<monitor>-run-<run>``).
    time : timestamp-like
        When the run finished.
    signals : dict
        Each signal's metric rows (see :func:`breaches`). Any breach fails the run and tags it with
        the message of the first breaching signal.
    workspace : str
        Workspace name, in the event's ``topic``.
    seed : int
        With the workspace and the run, makes the event ``id`` (unique per run, reproducible).

    Returns
    -------
    dict
        ``id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion``; ``data`` holds
        ``RunId, RunStatus, RunTags, RunProperties, ExperimentId, ExperimentName, RunType``.
    """
    tags = {}
    for name, rows in signals.items():
        found = breaches(rows)
        if found and BREACH_TAG not in tags:
            tags[BREACH_TAG] = breach_message(name, found)
    run_id = f"{monitor}-run-{int(run)}"
    experiment = str(uuid.uuid5(uuid.NAMESPACE_URL, monitor))
    topic = (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlcheckup-rg/providers/"
             f"Microsoft.MachineLearningServices/workspaces/{workspace}")
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{topic}/{run_id}/{seed}")), "topic": topic,
            "subject": f"experiments/{experiment}/runs/{run_id}", "eventType": RUN_STATUS_CHANGED,
            "eventTime": pd.Timestamp(time).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "data": {"ExperimentId": experiment, "ExperimentName": monitor, "RunId": run_id,
                     "RunType": "azureml.PipelineRun", "RunTags": tags,
                     "RunProperties": {"azureml.runsource": "azureml.PipelineRun"},
                     "RunStatus": "Failed" if tags else "Completed"},
            "dataVersion": "2", "metadataVersion": "1"}


# ---------------------------------------------------------------------------------- the subscription

def event_subscription(*, endpoint_url: str, monitor: str | None = None, max_delivery_attempts: int = 30,
                       event_time_to_live_in_minutes: int = 1440):
    """The documented Event Grid subscription to a monitor's breaches, as an ``azure-mgmt-eventgrid`` object.

    Event type *Run status changed* only; advanced filter ``StringContains`` on
    :data:`BREACH_FILTER_KEY` with :data:`BREACH_TEXT`; with ``monitor``, a second filter
    (``StringIn`` on ``data.ExperimentName``) keeps one monitor's runs. Checked by :func:`check_subscription`.
    """
    from azure.mgmt.eventgrid.models import (
        EventSubscription,
        EventSubscriptionFilter,
        RetryPolicy,
        StringContainsAdvancedFilter,
        StringInAdvancedFilter,
        WebHookEventSubscriptionDestination,
    )

    filters = [StringContainsAdvancedFilter(key=BREACH_FILTER_KEY, values=[BREACH_TEXT])]
    if monitor is not None:
        filters.append(StringInAdvancedFilter(key="data.ExperimentName", values=[monitor]))
    subscription = EventSubscription(
        destination=WebHookEventSubscriptionDestination(endpoint_url=endpoint_url),
        filter=EventSubscriptionFilter(included_event_types=[RUN_STATUS_CHANGED], advanced_filters=filters),
        event_delivery_schema="EventGridSchema",
        retry_policy=RetryPolicy(max_delivery_attempts=max_delivery_attempts,
                                 event_time_to_live_in_minutes=event_time_to_live_in_minutes))
    check_subscription(subscription)
    return subscription


def check_subscription(subscription) -> None:
    """Raise :class:`~mlcheckup.errors.ValidationError` unless ``subscription`` would deliver monitor breaches.

    Checks what Azure checks on create (an https webhook, 1-30 attempts, a time-to-live of 1-1440
    minutes, at most 25 advanced filters) and what the breach recipe needs (the RunStatusChanged
    type and the StringContains filter on the breach tag).
    """
    from azure.mgmt.eventgrid.models import EventSubscription, WebHookEventSubscriptionDestination

    if not isinstance(subscription, EventSubscription):
        raise ValidationError(f"expected an azure.mgmt.eventgrid.models.EventSubscription (got "
                              f"{type(subscription).__name__}); build one with eventgrid.event_subscription(...)")
    destination = subscription.destination
    if not isinstance(destination, WebHookEventSubscriptionDestination) or not str(
            destination.endpoint_url or "").startswith("https://"):
        got = getattr(destination, "endpoint_url", destination)
        raise ValidationError(f"the destination must be a WebHookEventSubscriptionDestination with an https:// "
                              f"endpoint_url (got {got!r}); Event Grid delivers only to https webhooks")
    policy = subscription.retry_policy
    if policy is not None:
        _validate.whole("retry_policy.max_delivery_attempts", policy.max_delivery_attempts, 1, 30)
        _validate.whole("retry_policy.event_time_to_live_in_minutes", policy.event_time_to_live_in_minutes, 1, 1440)
    chosen = subscription.filter
    types = list(getattr(chosen, "included_event_types", None) or [])
    if RUN_STATUS_CHANGED not in types:
        raise ValidationError(f"filter.included_event_types must contain {RUN_STATUS_CHANGED!r} (got {types}); "
                              "a monitor's breach arrives as a run status change")
    advanced = list(chosen.advanced_filters or [])
    if len(advanced) > 25:
        raise ValidationError(f"at most 25 advanced filters are allowed (got {len(advanced)})")
    for item in advanced:
        if not item.key or not getattr(item, "values", [None]):
            raise ValidationError(f"advanced filter {type(item).__name__} needs a key and values "
                                  f"(got key={item.key!r}, values={getattr(item, 'values', None)!r})")
    wanted = [item for item in advanced if item.operator_type == "StringContains" and item.key == BREACH_FILTER_KEY
              and any(BREACH_TEXT.lower() in str(value).lower() or str(value).lower() in BREACH_TEXT.lower()
                      for value in item.values)]
    if not wanted:
        got = [(item.operator_type, item.key, getattr(item, "values", None)) for item in advanced]
        raise ValidationError(f"no StringContains filter on {BREACH_FILTER_KEY!r} with {BREACH_TEXT!r} (got {got}); "
                              "without it every run status change (each start and finish) is delivered")


def subscription_payload(subscription) -> dict:
    """The JSON body of the PUT that creates ``subscription`` (checked first)."""
    check_subscription(subscription)
    return subscription.serialize()


def _lookup(event: dict, key: str):
    value = event
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = {k.lower(): v for k, v in value.items()}.get(part.lower())
    return value


def matches(subscription, event: dict) -> bool:
    """Whether Event Grid would deliver ``event`` (a dict) to ``subscription`` (string filters are case-insensitive)."""
    chosen = subscription.filter
    if chosen.included_event_types and event.get("eventType") not in chosen.included_event_types:
        return False
    tests = {"StringContains": lambda text, value: value in text, "StringIn": lambda text, value: text == value,
             "StringBeginsWith": lambda text, value: text.startswith(value),
             "StringEndsWith": lambda text, value: text.endswith(value)}
    for item in chosen.advanced_filters or []:
        if item.operator_type not in tests:
            raise ValidationError(f"matches() applies {sorted(tests)} filters (got {item.operator_type})")
        found = _lookup(event, item.key)
        if not isinstance(found, str) or not any(tests[item.operator_type](found.lower(), str(v).lower())
                                                 for v in item.values):
            return False
    return True


# ---------------------------------------------------------------------------------- delivery

def parse_delivery(body: str | bytes) -> list:
    """Parse a delivery (a JSON array of events in the Event Grid schema) into ``azure.eventgrid.EventGridEvent``s.

    ``EventGridEvent.from_dict`` accepts a dict with missing fields silently, so each event's
    required fields are checked first.
    """
    from azure.eventgrid import EventGridEvent

    try:
        events = json.loads(body)
    except ValueError as error:
        raise ValidationError(f"a delivery must be JSON ({error}); got {str(body)[:60]!r}") from None
    if not isinstance(events, list) or not events:
        raise ValidationError(f"a delivery is a JSON array of events, even for one (got {type(events).__name__})")
    required = ("id", "subject", "eventType", "eventTime", "data", "dataVersion")
    for event in events:
        missing = [key for key in required if not isinstance(event, dict) or key not in event]
        if missing:
            raise ValidationError(f"an Event Grid event needs {list(required)} (missing {missing})")
    return [EventGridEvent.from_dict(event) for event in events]


@dataclass
class Delivery:
    """What :func:`deliver` did: every attempt (``attempts``) and each event's fate (``fates``)."""

    attempts: pd.DataFrame
    fates: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def delivered(self) -> int:
        """Events delivered at least once."""
        return int((self.fates["fate"] == "delivered").sum()) if len(self.fates) else 0


def _answer(reply) -> tuple[int, str]:
    if isinstance(reply, tuple):
        status, body = reply
    else:
        status, body = reply, ""
    return int(status), body if isinstance(body, str) else json.dumps(body)


def _call(receiver: Callable, body: str, timeout: float) -> tuple[int, str]:
    """POST ``body`` to ``receiver``; a receiver still running after ``timeout`` s is left behind (its thread ends
    when it returns), as Event Grid stops waiting for a webhook after 30 s."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(receiver, body)
    try:
        return _answer(future.result(timeout=timeout))
    except FutureTimeout:
        return 408, "no answer within the timeout"
    except Exception as error:  # the webhook failed: Event Grid sees a 500 and retries
        return 500, f"{type(error).__name__}: {error}"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def deliver(events: list[dict], receiver: Callable, *, seed: int = 0, duplicates: float = 0.05,
            mean_latency_s: float = 20.0, max_delivery_attempts: int = 30, time_to_live_minutes: int = 1440,
            timeout: float = 30.0) -> Delivery:
    """Deliver events to ``receiver`` as Event Grid does, on a seeded simulated clock.

    Each event is POSTed as a JSON array of one event, after a random latency (so events close in
    time may arrive out of order); a share ``duplicates`` of them arrive twice. An answer in
    :data:`SUCCESS` delivers it; 400/401/403/413 drop it at once; anything else (or an exception,
    or no answer within ``timeout`` real seconds) is retried at :data:`RETRY_SCHEDULE` plus jitter
    until ``max_delivery_attempts`` or ``time_to_live_minutes`` runs out, then dropped.

    Parameters
    ----------
    events : list of dict
        Events in the Event Grid schema (``eventTime`` is when each was published).
    receiver : callable
        ``receiver(body: str) -> status`` or ``(status, body)``.

    Returns
    -------
    Delivery
    """
    _validate.fraction("duplicates", duplicates)
    attempts_allowed = _validate.whole("max_delivery_attempts", max_delivery_attempts, 1, 30)
    ttl = pd.Timedelta(minutes=_validate.whole("time_to_live_minutes", time_to_live_minutes, 1, 1440))
    rng = np.random.Generator(np.random.PCG64(seed))
    queue = []
    for order, event in enumerate(events):
        published = pd.Timestamp(event["eventTime"]).tz_localize(None)
        copies = 2 if rng.random() < duplicates else 1
        for copy in range(copies):
            arrival = published + pd.Timedelta(seconds=float(rng.exponential(mean_latency_s)) + 300 * copy)
            heapq.heappush(queue, (arrival, order, copy, 1))
    rows, fates = [], {}
    while queue:
        when, order, copy, attempt = heapq.heappop(queue)
        event = events[order]
        status, _ = _call(receiver, json.dumps([event]), timeout)
        published = pd.Timestamp(event["eventTime"]).tz_localize(None)
        if status in SUCCESS:
            outcome = "delivered"
        elif status in NOT_RETRIED:
            outcome = "dropped"
        else:
            wait = RETRY_SCHEDULE[attempt - 1] if attempt <= len(RETRY_SCHEDULE) else 3600
            retry_at = when + pd.Timedelta(seconds=wait * float(rng.uniform(0.9, 1.1)))
            if attempt < attempts_allowed and retry_at - published <= ttl:
                heapq.heappush(queue, (retry_at, order, copy, attempt + 1))
                outcome = "retry"
            else:
                outcome = "dropped"
        rows.append({"time": when, "event_id": event["id"], "copy": copy, "attempt": attempt, "status": status,
                     "outcome": outcome})
        if outcome != "retry" and fates.get(event["id"]) != "delivered":
            fates[event["id"]] = outcome
    attempts = pd.DataFrame(rows, columns=["time", "event_id", "copy", "attempt", "status", "outcome"])
    return Delivery(attempts, pd.DataFrame({"event_id": list(fates), "fate": list(fates.values())}))


def handshake(receiver: Callable, *, seed: int = 0, timeout: float = 30.0) -> bool:
    """Send the subscription validation event; True if ``receiver`` echoes its ``validationCode``."""
    code = _ids(seed + 7, 1)[0].upper()
    event = {"id": _ids(seed + 8, 1)[0], "topic": "/subscriptions/00000000-0000-0000-0000-000000000000",
             "subject": "", "eventType": VALIDATION_EVENT, "eventTime": "2024-01-01T00:00:00.000000Z",
             "data": {"validationCode": code,
                      "validationUrl": f"https://rp-eastus.eventgrid.azure.net/validate?code={code}"},
             "dataVersion": "2", "metadataVersion": "1"}
    status, body = _call(receiver, json.dumps([event]), timeout)
    try:
        return status == 200 and json.loads(body).get("validationResponse") == code
    except (ValueError, AttributeError):
        return False


def webhook(on_event: Callable, log: list | None = None) -> Callable[[str], tuple[int, dict]]:
    """A receiver for :func:`deliver` around ``on_event(event) -> action``.

    It answers the validation handshake, parses each delivery with :func:`parse_delivery` (400 if
    malformed: Event Grid will not retry), calls ``on_event`` with each ``EventGridEvent`` and
    answers 200; an exception in ``on_event`` propagates (Event Grid sees a 500 and retries).
    Each call's ``(event id, action)`` is appended to ``log``.
    """
    def receive(body: str):
        try:
            events = parse_delivery(body)
        except ValidationError as error:
            return 400, {"error": str(error)}
        if events[0].event_type == VALIDATION_EVENT:
            return 200, {"validationResponse": events[0].data["validationCode"]}
        for event in events:
            action = on_event(event)
            if log is not None:
                log.append((event.id, action))
        return 200, {}
    return receive
