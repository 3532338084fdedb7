"""A simulated clock for an online endpoint: when requests arrive, and how long each one takes.

Traffic follows office hours (a peak early in the afternoon, quiet nights, half-load weekends);
arrivals are a Poisson process per minute. Latency is log-normal around ``median_ms`` and grows
with load (queueing at the peak), with a rare slow tail (garbage collection, cold caches). No
clock is read and nothing sleeps: time is an array of timestamps.

Private to :mod:`mlcheckup.scenarios`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MINUTE_NS = 60 * 10**9
#: Median latency of the healthy endpoint at night, in milliseconds.
MEDIAN_MS = 28.0


def load_profile(times: pd.DatetimeIndex) -> np.ndarray:
    """Relative load at each time, 1.0 on average over a week (weekday peak 2.7, night 0.5).

    Examples
    --------
    >>> week = pd.date_range("2024-03-04", periods=7 * 24 * 60, freq="min")
    >>> round(float(load_profile(week).mean()), 6)
    1.0
    """
    hour = np.asarray(times.hour + times.minute / 60.0, dtype=float)
    weekend = np.asarray(times.day_of_week >= 5)
    shape = (0.2 + 0.8 * np.exp(-(((hour - 13.0) / 4.0) ** 2))) * np.where(weekend, 0.5, 1.0)
    return shape / _WEEK_MEAN


def _week_mean() -> float:
    hours = np.arange(7 * 24 * 60) / 60.0 % 24
    weekend = np.arange(7 * 24 * 60) >= 5 * 24 * 60
    return float(np.mean((0.2 + 0.8 * np.exp(-(((hours - 13.0) / 4.0) ** 2))) * np.where(weekend, 0.5, 1.0)))


_WEEK_MEAN = _week_mean()


def arrivals(start: pd.Timestamp, end: pd.Timestamp, requests_per_hour: float, rng: np.random.Generator) -> pd.DatetimeIndex:
    """Request times between ``start`` and ``end``: Poisson per minute, rate following :func:`load_profile`.

    Times are sorted and rounded to the millisecond.
    """
    minutes = pd.date_range(start, end, freq="min", inclusive="left", unit="ns")
    counts = rng.poisson(requests_per_hour / 60.0 * load_profile(minutes))
    base = np.repeat(minutes.asi8, counts)
    offsets = rng.random(base.size) * MINUTE_NS
    stamps = np.sort(base + offsets.astype(np.int64))
    return pd.DatetimeIndex(stamps.astype("datetime64[ns]")).round("ms")


def latencies(times: pd.DatetimeIndex, rng: np.random.Generator, median_ms: float = MEDIAN_MS) -> np.ndarray:
    """Latency in milliseconds of each request of a healthy endpoint, given its arrival time.

    Log-normal (sigma 0.25) around ``median_ms``, times ``1 + 0.25 * load**2`` for queueing, and
    one request in 200 waits an extra exponential 150 ms.
    """
    load = load_profile(times)
    body = median_ms * np.exp(0.25 * rng.standard_normal(len(times))) * (1.0 + 0.25 * load**2)
    tail = (rng.random(len(times)) < 0.005) * rng.exponential(150.0, len(times))
    return np.round(body + tail, 1)
