"""Replay a month of traffic through a monitoring plan (private to :mod:`mlcheckup.capstone`).

:func:`replay` runs, on the month's simulated clock and without sleeping:

1. the plan's ``score.py`` on the real inference server (it must refuse a bad request with a
   4xx), and a 25 % sample of the month's payments through it, one request per 6 simulated
   hours, so that the data collector stores the inputs and outputs the monitor reads;
2. the monitor's signals at each scheduled run over the collected data (drift, prediction drift
   and data quality with :mod:`mlcheckup.model_monitor`; performance from the outputs joined to
   the labels known at the run's time); a breaching run fails and raises ``RunStatusChanged``;
3. the breaches through the documented Event Grid subscription to ``on_event`` (handshake,
   duplicates, out-of-order arrivals, retries);
4. the month's request telemetry into App Insights, the alert rules over it, and their
   notifications to ``on_event``;
5. the load into the autoscale setting, for instance-hours and cost.

Limits, on purpose: the requests are a 1-in-200 sample of the traffic (count thresholds scale with
it); a handler that hangs is abandoned after ``handler_timeout`` real seconds (its thread runs on
until it returns) and every later call counts as failed; the month does not react to actions (a
rollback does not end the slow release).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np
import pandas as pd

from .. import eventgrid
from .._process import session_dir
from .._progress import finish, progress
from ..projects import PAYMENT_FEATURES, load_payments, write_payments_project
from ._month import check_month
from ._plan import ACTIONS, check_plan
from ._report import Report, score_report

_BATCH = "6h"
_SAMPLING_RATE = 0.25
_DUPLICATES = 0.3
_SPARK_HOURS_PER_SIGNAL_RUN = 0.25
_BAD_REQUEST = {"data": [[25.0, 24, 1, 3.0, 100, 0, 1]]}


class _Guarded:
    """Calls ``on_event`` with a real-time limit; after one hang every later call fails at once."""

    def __init__(self, on_event, timeout: float):
        self.on_event, self.timeout, self.problem = on_event, timeout, None

    def __call__(self, event):
        if self.problem and "hangs" in self.problem:
            raise TimeoutError(self.problem)
        pool = ThreadPoolExecutor(max_workers=1)
        future = pool.submit(self.on_event, event)
        try:
            action = future.result(timeout=self.timeout)
        except FutureTimeout:
            self.problem = f"on_event hangs: no answer within {self.timeout:g} s (it must return at once)"
            raise TimeoutError(self.problem) from None
        except Exception as error:
            self.problem = self.problem or f"on_event raised {type(error).__name__}: {error}"
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return action if action in ACTIONS else f"invalid:{action!r}"[:40]


def _probe(endpoint) -> str | None:
    """None if the served score.py scores a good request and refuses a bad one with a 4xx and a message."""
    from ..projects import payments_payload

    good = endpoint.post(payments_payload(2), headers={"x-request-id": "probe-good"})
    if good.status_code != 200 or "fraud_risk" not in good.text:
        return (f"score.py answered {good.status_code} to a valid request (expected 200 with 'fraud_risk'): "
                f"{good.text[:120]}")
    bad = endpoint.post(_BAD_REQUEST, headers={"x-request-id": "probe-bad"})
    try:
        message = json.loads(bad.text).get("message", "")
    except (ValueError, AttributeError):
        message = ""
    if not 400 <= bad.status_code < 500 or not message:
        return (f"score.py answered {bad.status_code} {bad.text[:80]!r} to hour=24; it must refuse bad input with a "
                "4xx and a JSON message saying what is wrong")
    return None


def _serve(month, script, project, tag: str) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """Send the month's scored payments through a real endpoint; return collected inputs, outputs, probe problem."""
    from ..endpoint import LocalEndpoint

    sent = month.requests["status_code"].to_numpy() == 200
    sampled = np.random.Generator(np.random.PCG64([month.seed, 11])).random(len(month.payments)) < _SAMPLING_RATE
    payments = month.payments[sent[month.payments["request"].to_numpy()] & sampled]
    batches = payments.groupby(payments["time"].dt.floor(_BATCH)).indices
    problem, rows = None, []
    with LocalEndpoint(script, project.model_dir, name="payments-endpoint", model_name="payments") as endpoint:
        problem = _probe(endpoint)
        if problem is None:
            with progress(len(batches), "scoring the month", unit="request") as bar:
                for stamp, index in batches.items():
                    request = f"{tag}-{stamp:%Y%m%d%H}"
                    chunk = payments.iloc[index]
                    reply = endpoint.post({"data": chunk[list(PAYMENT_FEATURES)].to_numpy(float).tolist()},
                                          headers={"x-request-id": request})
                    if reply.status_code == 200:
                        rows.append(pd.DataFrame({"correlationid": [f"{request}_{i}" for i in range(len(index))],
                                                  "payment": chunk.index.to_numpy()}))
                    bar.update()
                finish(bar)
        inputs, outputs = endpoint.collected("model_inputs"), endpoint.collected("model_outputs")
    if problem is not None:
        return pd.DataFrame(), pd.DataFrame(), problem
    index = pd.concat(rows, ignore_index=True)
    inputs = inputs.merge(index, on="correlationid").set_index("payment").sort_index()
    outputs = outputs.merge(index, on="correlationid").set_index("payment").sort_index()
    inputs["time"] = month.payments.loc[inputs.index, "time"]
    outputs["time"] = month.payments.loc[outputs.index, "time"]
    return inputs, outputs, None


def _run_times(schedule, month) -> pd.DatetimeIndex:
    pattern = getattr(schedule.trigger, "schedule", None)
    hours = getattr(pattern, "hours", None) or [3]
    hour = hours[0] if isinstance(hours, list) else hours
    interval = int(getattr(schedule.trigger, "interval", 1) or 1)
    days = pd.date_range(month.start.normalize() + pd.Timedelta(days=1), month.end, freq=f"{interval}D")
    return days + pd.Timedelta(hours=int(hour))


def _performance(schedule) -> dict:
    """Performance signals: name -> (window, {metric: threshold}) as the SDK sends them."""
    from .. import model_monitor

    found = {}
    signals = schedule.create_monitor.monitoring_signals
    for name, signal in signals.items():
        if type(signal).__name__ != "ModelPerformanceSignal":
            continue
        window = getattr(getattr(signal.production_data, "data_window", None), "lookback_window_size", None) or "P7D"
        found[name] = (pd.Timedelta(window), {})
    if found:
        sent = model_monitor.sent_performance_thresholds(schedule)
        for row in sent[sent["place"] == "property"].itertuples():
            found[row.signal][1][row.metric] = float(row.threshold)
    return found


def _performance_rows(outputs, month, start, end, thresholds) -> list[dict]:
    window = outputs[(outputs["time"] >= start) & (outputs["time"] < end)]
    truth = month.payments.loc[window.index]
    known = (truth["labeled_at"] <= end).to_numpy()
    predicted, actual = window["blocked"].to_numpy()[known], truth["fraud"].to_numpy()[known]
    if len(actual) < 50:
        return []
    values = {"accuracy": float((predicted == actual).mean()),
              "precision": float(actual[predicted == 1].mean()) if (predicted == 1).any() else float("nan"),
              "recall": float(predicted[actual == 1].mean()) if (actual == 1).any() else float("nan")}
    return [{"group": "", "metric_name": metric, "metric_value": values.get(metric, float("nan")),
             "threshold_value": threshold} for metric, threshold in thresholds.items()]


def _monitor_events(schedule, month, inputs, outputs, model_dir) -> tuple[list[dict], dict, int]:
    """Run the schedule's signals at each run; return (events, signal name -> type, signal runs)."""
    import joblib

    from .. import model_monitor

    local = model_monitor.local_signals(schedule, skip_unsupported=True)
    performance = _performance(schedule)
    kinds = {name: signal.signal for name, signal in local.items()} | dict.fromkeys(performance, "model_performance")
    reference = load_payments()[list(PAYMENT_FEATURES)]
    model = joblib.load(model_dir / "model.joblib")
    risk = np.round(model.predict_proba(reference.to_numpy(float))[:, 1], 4)
    reference_outputs = pd.DataFrame({"fraud_risk": risk, "blocked": (risk > 0.5).astype(int)})
    events, runs = [], 0
    times = _run_times(schedule, month)
    with progress(len(times), "monitor runs", unit="run") as bar:
        for number, when in enumerate(times, start=1):
            tables = {}
            for name, signal in local.items():
                lookback = pd.Timedelta(signal.production_window)
                frame, base = ((outputs, reference_outputs) if signal.signal == "prediction_drift"
                               else (inputs, reference))
                window = frame[(frame["time"] >= when - lookback) & (frame["time"] < when)]
                if len(window) < 50:
                    continue
                table = signal.evaluate(base, window[base.columns])
                tables[name] = [{"group": row.feature_name, "metric_name": row.metric_name,
                                 "metric_value": row.metric_value, "threshold_value": row.threshold_value}
                                for row in table.itertuples()]
            for name, (lookback, thresholds) in performance.items():
                tables[name] = _performance_rows(outputs, month, when - lookback, when, thresholds)
            runs += len(tables)
            events.append(eventgrid.run_status_event(schedule.name, number, when, tables, seed=month.seed))
            bar.update()
        finish(bar)
    return events, kinds, runs


def _signal_of(event) -> str:
    tag = (event.data or {}).get("RunTags", {}).get(eventgrid.BREACH_TAG, "")
    return tag.split("'")[1] if tag.count("'") >= 2 else ""


def _deliver_breaches(schedule, events, kinds, guard, month) -> pd.DataFrame:
    """Deliver the monitor's subscription's events to the handler; return the handled calls."""
    subscription = eventgrid.event_subscription(endpoint_url="https://capstone.example.com/api/on-event",
                                                monitor=schedule.name)
    wanted = [event for event in events if eventgrid.matches(subscription, event)]
    calls = []

    def handler(event):
        action = guard(event)
        signal = _signal_of(event)
        calls.append({"event_id": event.id, "source": f"{schedule.name}/{signal}", "channel": kinds.get(signal, "?"),
                      "action": action})
        return action

    receiver = eventgrid.webhook(handler)
    columns = ["event_id", "source", "channel", "action"]
    if not eventgrid.handshake(receiver, seed=month.seed):
        return pd.DataFrame(columns=["time", *columns])
    seed = month.seed * 1000 + sum(map(ord, schedule.name))
    result = eventgrid.deliver(wanted, receiver, seed=seed, duplicates=_DUPLICATES, timeout=guard.timeout + 1)
    delivered = result.attempts[result.attempts["status"] == 200].reset_index(drop=True)
    frame = pd.DataFrame(calls, columns=columns)
    frame.insert(0, "time", delivered["time"].iloc[:len(frame)].to_numpy() if len(frame) else [])
    return frame


def _alert_calls(rules, month, guard) -> tuple[pd.DataFrame, list[str]]:
    from .. import alerts
    from ..appinsights import AppInsightsIngestion
    from ._telemetry import send_month_telemetry

    calls, problems = [], []
    if not rules:
        return pd.DataFrame(columns=["time", "rule", "condition", "action"]), problems
    with AppInsightsIngestion() as store:
        send_month_telemetry(month, store)
        for rule in rules:
            try:
                result = alerts.evaluate(rule, store, start=month.start, end=month.end, deliver_to_webhooks=False)
            except Exception as error:  # one broken rule is reported, the others still run
                problems.append(f"alert rule {getattr(rule, 'name', '?')!r} failed: {type(error).__name__}: {error}")
                continue
            for note in result.notifications:
                try:
                    action = guard(note)
                except Exception:
                    action = "error"
                calls.append({"time": note.time, "rule": note.rule, "condition": note.monitor_condition,
                              "action": action})
    return pd.DataFrame(calls, columns=["time", "rule", "condition", "action"]), problems


def replay(plan, month, *, handler_timeout: float = 2.0) -> Report:
    """Replay ``month`` through ``plan`` and score it; never raises for a broken plan (see :attr:`Report.problems`).

    Parameters
    ----------
    plan : MonitoringPlan
        What the student's ``build_monitoring()`` returned.
    month : Month
        From :func:`make_month`.
    handler_timeout : float, default 2
        Real seconds ``on_event`` may take per call before it counts as hung.

    Returns
    -------
    Report
    """
    month = check_month(month)
    usable, problems = check_plan(plan)
    folder = session_dir() / "capstone" / f"month-{month.seed}"
    project = write_payments_project(folder / "payments")
    script = usable.get("score_script", project.score_script)
    inputs, outputs, problem = _serve(month, script, project, f"m{month.seed}")
    refuses_bad_input = "score_script" in usable and problem is None
    if problem is not None:
        problems["score_script"] = problem
        usable.pop("score_script", None)
        inputs, outputs, _ = _serve(month, project.score_script, project, f"m{month.seed}")
    guard = _Guarded(usable.get("on_event", lambda event: "ignore"), handler_timeout)
    breach_calls, signal_runs = [pd.DataFrame(columns=["time", "event_id", "source", "channel", "action"])], 0
    schedules = usable.get("schedule", [])
    for schedule in schedules:
        events, kinds, runs = _monitor_events(schedule, month, inputs, outputs, project.model_dir)
        breach_calls.append(_deliver_breaches(schedule, events, kinds, guard, month))
        signal_runs += runs
    alert_calls, alert_problems = _alert_calls(usable.get("alerts", []), month, guard)
    problems.update({f"alerts[{i}]": text for i, text in enumerate(alert_problems)})
    if guard.problem and "on_event" in usable:
        problems["on_event"] = guard.problem
    serving = None
    if "autoscale" in usable:
        from .. import autoscale

        serving = autoscale.simulate(usable["autoscale"], month.load_per_minute())
    instance = getattr(schedules[0], "create_monitor", None) if schedules else None
    sku = getattr(getattr(instance, "compute", None), "instance_type", "standard_e4s_v3") or "standard_e4s_v3"
    frames = [frame for frame in breach_calls if len(frame)]
    breaches = pd.concat(frames, ignore_index=True) if frames else breach_calls[0]
    return score_report(month, breach_calls=breaches, alert_calls=alert_calls,
                        signal_runs=signal_runs, spark_sku=sku, serving=serving, problems=problems,
                        refuses_bad_input=refuses_bad_input, hours_per_signal_run=_SPARK_HOURS_PER_SIGNAL_RUN)
