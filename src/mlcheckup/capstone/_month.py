"""A month of card-payment traffic with seeded incidents and its answer key (private to :mod:`mlcheckup.capstone`).

Requests arrive on a day/night cycle (about 6 an hour on average, a 1-in-200 sample); each carries a batch of
payments from one acquirer. The truth of each payment (fraud or not) is known only
``label_delay_hours`` later. After a quiet start, six kinds of incident happen, each in its own
slot (concept drift, once it starts, stays):

=============  =====================================================  ================  ===============
kind           what happens                                            seen by           right action
=============  =====================================================  ================  ===============
outage         an hour in office hours, 70 % of requests get 503    alert             page
slow_release   a new model version scores 2.2 times slower, 2 days     alert             rollback
covariate      a partner bank abroad: ``distance_km`` ×20 for half      data drift        retrain
               the payments, 3 days
concept        skimming: in-store payments become risky, online ones   performance       retrain
               safer (``fraud_probability(concept=1)``); inputs as
               before, only the late labels show it
quality        an acquirer sends amounts in cents for 12 hours:         alert, data       page
               big ones are refused (400), small ones slip through     quality
harmless       an evening sales week: more payments after 18:00;       nothing           ignore (no page)
               the model is as good as ever
=============  =====================================================  ================  ===============
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from ..projects import PAYMENT_FEATURES, PAYMENT_RANGES, fraud_probability, label_delays, payment_features

#: Incident kinds, in the order of the table above.
KINDS = ("outage", "slow_release", "covariate", "concept", "quality", "harmless")
#: The action each kind calls for.
EXPECTED_ACTION = {"outage": "page", "slow_release": "rollback", "covariate": "retrain", "concept": "retrain",
                   "quality": "page", "harmless": "ignore"}
#: What can detect each kind: ``alert`` (an alert rule) or a monitor signal type.
CHANNELS = {"outage": ("alert",), "slow_release": ("alert",), "covariate": ("data_drift",),
            "concept": ("model_performance",), "quality": ("alert", "data_quality"), "harmless": ()}
#: How late a detection still counts.
ALLOWED_DELAY = {"outage": pd.Timedelta("30min"), "slow_release": pd.Timedelta("3h"),
                 "covariate": pd.Timedelta("2D"), "concept": pd.Timedelta("7D"), "quality": pd.Timedelta("1D"),
                 "harmless": pd.Timedelta(0)}
_LENGTH = {"outage": pd.Timedelta("60min"), "slow_release": pd.Timedelta("2D"), "covariate": pd.Timedelta("3D"),
           "quality": pd.Timedelta("12h"), "harmless": pd.Timedelta("3D")}
_DESCRIPTION = {
    "outage": "a node failure: 70 % of requests answer 503 for an hour",
    "slow_release": "model version 2 is deployed and scores 2.2 times slower; roll it back",
    "covariate": "a partner bank abroad sends half the payments, from 20 times farther away (distance_km)",
    "concept": "card skimming: in-store payments turn risky and online ones safer; the inputs look the same",
    "quality": "an acquirer sends amounts in cents: large ones are refused with 400, small ones slip through",
    "harmless": "an evening sales week: more payments after 18:00, which the model scores as well as ever",
}
_RATE_PER_HOUR = 6.0
_SAMPLE = 200   # each simulated request stands for this many real ones (autoscale load)


@dataclass
class Month:
    """A month of traffic: requests (telemetry), payments (the model's inputs and truth), and the answer key.

    Attributes
    ----------
    seed : int
    start, end : pandas.Timestamp
    requests : pandas.DataFrame
        One row per request: ``timestamp``, ``request_id``, ``latency_ms``, ``status_code``, ``payments``.
    payments : pandas.DataFrame
        One row per payment: ``request`` (its row in ``requests``), ``time``, the model's inputs,
        ``fraud`` (the truth) and ``labeled_at`` (when the truth is known).
    incidents : pandas.DataFrame
        The answer key: ``incident, kind, start, end, expected_action, channels, allowed_delay, description``.
    """

    seed: int
    start: pd.Timestamp
    end: pd.Timestamp
    requests: pd.DataFrame
    payments: pd.DataFrame
    incidents: pd.DataFrame

    def load_per_minute(self) -> pd.Series:
        """Requests per minute reaching the deployment (the requests here are a 1-in-200 sample)."""
        minutes = pd.date_range(self.start, self.end, freq="min", inclusive="left")
        counts = self.requests["timestamp"].dt.floor("min").value_counts().reindex(minutes, fill_value=0)
        smooth = counts.rolling(30, center=True, min_periods=1).mean() * _SAMPLE
        return smooth.rename("requests")

    def __repr__(self) -> str:
        kinds = ", ".join(f"{row.kind} {row.start:%a %d %H:%M}" for row in self.incidents.itertuples())
        return (f"Month(seed={self.seed}, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}, {len(self.requests):,} "
                f"requests, {len(self.payments):,} payments; incidents: {kinds})")


def _slots(rng: np.random.Generator, start: pd.Timestamp, days: int) -> dict[str, pd.Timestamp]:
    """Seeded onsets: concept drift on day 6-9 (it stays); the others in their own 4-day slots from day 5."""
    others = [k for k in KINDS if k != "concept"]
    order = rng.permutation(len(others))
    slot = (days - 5) / len(others)
    onsets = {}
    for position, index in enumerate(order):
        kind = others[index]
        day = start + pd.Timedelta(days=5 + position * slot)
        offset = pd.Timedelta(hours=int(rng.integers(9, 15))) if kind in ("outage", "quality") else pd.Timedelta(
            hours=int(rng.integers(0, 24)))
        onsets[kind] = day.normalize() + pd.Timedelta(days=int(rng.integers(0, max(1, int(slot) - 2)))) + offset
    onsets["concept"] = start + pd.Timedelta(days=int(rng.integers(6, 10)), hours=int(rng.integers(0, 24)))
    return onsets


def _arrivals(rng: np.random.Generator, start: pd.Timestamp, days: int, evening: tuple) -> pd.DatetimeIndex:
    minutes = pd.date_range(start, periods=days * 24 * 60, freq="min")
    hour = np.asarray(minutes.hour + minutes.minute / 60, dtype=float)
    rate = 0.25 + np.sin(np.pi * hour / 24) ** 2
    rate = rate / rate.mean() * _RATE_PER_HOUR / 60
    rate = np.where((minutes >= evening[0]) & (minutes < evening[1]) & (minutes.hour >= 18), rate * 4, rate)
    counts = rng.poisson(rate)
    stamps = np.repeat(minutes.to_numpy(), counts)
    return pd.DatetimeIndex(stamps + pd.to_timedelta(rng.uniform(0, 60, len(stamps)), unit="s")).sort_values()


def make_month(seed: int = 0, *, start="2024-04-01", days: int = 28) -> Month:
    """Generate a month of payments traffic with one incident of each kind (:data:`KINDS`) and its answer key.

    The same seed always gives the same month; another seed moves every onset and redraws the traffic.
    """
    seed = _validate.whole("seed", seed, 0)
    days = _validate.whole("days", days, 21, 60)
    start = pd.Timestamp(start)
    rng = np.random.Generator(np.random.PCG64([seed, 7]))
    onsets = _slots(rng, start, days)
    end = start + pd.Timedelta(days=days)
    spans = {kind: (onsets[kind], end if kind == "concept" else onsets[kind] + _LENGTH[kind]) for kind in KINDS}
    times = _arrivals(rng, start, days, spans["harmless"])
    n = len(times)
    sizes = 1 + rng.poisson(15, n)
    request_of = np.repeat(np.arange(n), sizes)
    payment_times = pd.DatetimeIndex(times[request_of])
    payments = payment_features(rng, payment_times)
    payments.insert(0, "time", payment_times)
    payments.insert(0, "request", request_of)

    def during(kind, stamps):
        return (stamps >= spans[kind][0]) & (stamps < spans[kind][1])

    abroad = during("covariate", payment_times) & (rng.random(len(payments)) < 0.5)
    payments.loc[abroad, "distance_km"] = np.minimum(payments.loc[abroad, "distance_km"] * 20 + 300, 19_999.0)
    concept = np.where(during("concept", payment_times), 1.0, 0.0)
    truth = np.where(concept > 0, fraud_probability(payments, concept=1.0), fraud_probability(payments))
    payments["fraud"] = rng.binomial(1, truth).astype(np.int64)
    cents_request = during("quality", times) & (rng.random(n) < 0.3)
    cents = cents_request[request_of]
    payments.loc[cents, "amount"] = np.round(payments.loc[cents, "amount"] * 100, 2)
    payments["labeled_at"] = payment_times + pd.to_timedelta(label_delays(rng, payments["fraud"].to_numpy()),
                                                             unit="h")

    latency = rng.lognormal(np.log(35), 0.25, n) * (1 + 0.04 * sizes)
    latency = np.where(during("slow_release", times), latency * 2.2, latency)
    status = np.full(n, 200)
    too_big = pd.Series(payments["amount"].to_numpy() > PAYMENT_RANGES["amount"][1]).groupby(request_of).any()
    status[too_big.to_numpy()] = 400
    failed = during("outage", times) & (rng.random(n) < 0.7)
    status[failed] = 503
    latency = np.where(status == 503, rng.uniform(2, 6, n), np.where(status == 400, rng.uniform(3, 8, n), latency))
    requests = pd.DataFrame({"timestamp": times, "request_id": [f"m{seed}-{i:06d}" for i in range(n)],
                             "latency_ms": np.round(latency, 2), "status_code": status, "payments": sizes})
    key = pd.DataFrame([{"kind": kind, "start": spans[kind][0], "end": spans[kind][1],
                         "expected_action": EXPECTED_ACTION[kind], "channels": CHANNELS[kind],
                         "allowed_delay": ALLOWED_DELAY[kind], "description": _DESCRIPTION[kind]} for kind in KINDS])
    key = key.sort_values("start", kind="stable").reset_index(drop=True)
    key.insert(0, "incident", np.arange(1, len(key) + 1))
    return Month(seed, start, end, requests, payments[["request", "time", *PAYMENT_FEATURES, "fraud", "labeled_at"]],
                 key)


def check_month(month) -> Month:
    """Raise :class:`~mlcheckup.errors.ValidationError` unless ``month`` is a :class:`Month`."""
    if not isinstance(month, Month):
        raise ValidationError(f"expected a capstone Month (got {type(month).__name__}); make one with "
                              "capstone.make_month(seed)")
    return month
