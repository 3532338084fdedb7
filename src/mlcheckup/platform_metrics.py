"""Azure Monitor's platform metrics of an online endpoint, computed from its traffic log.

Azure computes an online endpoint's metrics from the requests its front end serves, at a
1-minute grain (``PT1M``), under these names and dimensions (Learn, *Supported metrics for
Microsoft.MachineLearningServices/workspaces/onlineEndpoints* and ``.../deployments``):

=================================  =====  ==================================================  ==========================
metric                             unit   value per minute                                    dimensions here
=================================  =====  ==================================================  ==========================
``RequestsPerMinute``              Count  requests that ended in the minute (``Total``)       ``deployment``,
                                                                                              ``statusCode``,
                                                                                              ``statusCodeClass``,
                                                                                              ``modelStatusCode``
``RequestLatency_P50`` ... ``P99``  ms     the percentile of ``TotalDurationMs`` over the      ``deployment``
                                          minute's requests (nearest rank, as KQL's
                                          ``percentile``)
``CpuUtilizationPercentage``       %      CPU of the server's processes, sampled             ``instanceId``
``CpuMemoryUtilizationPercentage`` %      resident memory of the server's processes           ``instanceId``
``DeploymentCapacity``             Count  instances of the deployment                         ``State``
``DataCollectionEventsPerMinute``  Count  payloads the data collector received               ``deployment``, ``type``
=================================  =====  ==================================================  ==========================

:func:`compute` returns them as one **tidy table**, one row per (minute, metric, dimension
values), with Azure Monitor's aggregations as columns (``Total``, ``Average``, ``Minimum``,
``Maximum``, ``Count``) and ``UnitName``; :func:`series` reads one metric back as a time series,
split by a dimension or summed over them, as the portal's metrics explorer does.

**Traps this keeps, as Azure has them**:

* a minute's percentile is computed over that minute's requests; an hour's p95 is **not** the
  mean of its sixty minute p95s (recompute it from the traffic log, or ask :func:`series` for a
  coarser ``grain``: it recomputes from the requests);
* ``RequestsPerMinute`` counts refused requests too (429, 408, 424 are requests), so a burst of
  429 raises the request rate while nothing was scored;
* minutes with no request have no latency value (not 0), and a request rate of 0.

Local differences, stated: the CPU and memory percentages are shares of *this machine*
(all its cores, all its memory), where Azure's are of the instance's VM; whether Azure's latency
percentiles exclude requests refused by the front end is not documented (here they include every
request, so a 429 burst pulls p50 down); ``DeploymentCapacity``'s ``State`` values are not
documented either (here whatever the capacity table says).

:func:`synthetic_traffic` writes a seeded ``AmlOnlineEndpointTrafficLog`` for a simulated day
(a daily load curve, a latency regression, bursts that the concurrency limit answers with 429)
with the same columns as :meth:`mlcheckup.frontend.FrontEnd.traffic_log`, so that metrics, SLOs,
alerts and autoscale replays run with no server.

Examples
--------
>>> traffic = synthetic_traffic(seed=1, hours=2, peak_rps=0.5, bursts=(), regression=None)
>>> metrics = compute(traffic)
>>> sorted(metrics["MetricName"].unique())[:2]
['RequestLatency_P50', 'RequestLatency_P90']
>>> int(series(metrics, "RequestsPerMinute").sum()) == len(traffic)
True

Taught in lesson 03.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from . import _validate
from .errors import ValidationError

__all__ = [
    "AGGREGATIONS",
    "LATENCY_PERCENTILES",
    "METRICS",
    "TRAFFIC_COLUMNS",
    "ProcessSampler",
    "compute",
    "percentile",
    "series",
    "status_code_class",
    "synthetic_traffic",
]

#: ``AmlOnlineEndpointTrafficLog``'s columns, in the order of Learn's sample query, with their pandas types
#: (Learn's table reference: ``ResponseCode``, ``ModelStatusCode``, sizes and durations are ``int``).
TRAFFIC_COLUMNS = {
    "TimeGenerated": "datetime64[ns, UTC]", "Location": "str", "OperationName": "str", "Method": "str",
    "Path": "str", "AzureMLWorkspaceId": "str", "AzureMLWorkspaceName": "str", "EndpointName": "str",
    "DeploymentName": "str", "Protocol": "str", "AuthType": "str", "IdentityData": "str",
    "ResponseCode": "int64", "ResponseCodeReason": "str", "ModelStatusCode": "Int64",
    "ModelStatusReason": "str", "RequestPayloadSize": "int64", "ResponsePayloadSize": "int64",
    "UserAgent": "str", "XRequestId": "str", "XMSClientRequestId": "str", "TotalDurationMs": "int64",
    "RequestDurationMs": "int64", "ResponseDurationMs": "int64", "RequestThrottlingDelayMs": "int64",
    "ResponseThrottlingDelayMs": "int64",
}
#: The latency percentiles Azure publishes, by metric name.
LATENCY_PERCENTILES = {"RequestLatency_P50": 50, "RequestLatency_P90": 90, "RequestLatency_P95": 95,
                       "RequestLatency_P99": 99}
#: Every metric :func:`compute` can return, with its unit and its dimensions.
METRICS = {
    "RequestsPerMinute": ("Count", ("deployment", "statusCode", "statusCodeClass", "modelStatusCode")),
    **{name: ("Milliseconds", ("deployment",)) for name in LATENCY_PERCENTILES},
    "CpuUtilizationPercentage": ("Percent", ("instanceId",)),
    "CpuMemoryUtilizationPercentage": ("Percent", ("instanceId",)),
    "DeploymentCapacity": ("Count", ("State",)),
    "DataCollectionEventsPerMinute": ("Count", ("deployment", "type")),
}
#: Azure Monitor's aggregations, as columns of the tidy table.
AGGREGATIONS = ("Total", "Average", "Minimum", "Maximum", "Count")
_DIMENSIONS = ("deployment", "statusCode", "statusCodeClass", "modelStatusCode", "instanceId", "State", "type")
_COLUMNS = ("TimeGenerated", "MetricName", *_DIMENSIONS, *AGGREGATIONS, "UnitName")
_HTTP_REASONS = {200: "OK", 400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large",
                 424: "Failed Dependency", 429: "Too Many Requests", 500: "Internal Server Error"}


def status_code_class(code) -> str:
    """``"2xx"`` for 200, ``"4xx"`` for 429...: the ``statusCodeClass`` dimension of ``RequestsPerMinute``."""
    return f"{int(code) // 100}xx"


def percentile(values, q: float) -> float:
    """The ``q``-th percentile by nearest rank, as KQL's ``percentile()`` estimates it; NaN for no values.

    >>> percentile([1, 2, 3, 4, 100], 95)
    100.0
    """
    values = np.asarray(values, dtype=float)
    return float(np.percentile(values, q, method="inverted_cdf")) if values.size else float("nan")


def _times(table: pd.DataFrame, what: str) -> pd.Series:
    if not isinstance(table, pd.DataFrame) or "TimeGenerated" not in table:
        got = list(table.columns)[:8] if isinstance(table, pd.DataFrame) else type(table).__name__
        raise ValidationError(f"{what} must be a DataFrame with a TimeGenerated column (got {got}); pass "
                              "endpoint.traffic_log() or synthetic_traffic()")
    times = pd.to_datetime(table["TimeGenerated"], utc=True)
    return times.dt.floor("min")


def _rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    frame = frame.assign(MetricName=metric, UnitName=METRICS[metric][0])
    return frame.reindex(columns=list(_COLUMNS))


def _traffic_metrics(traffic: pd.DataFrame) -> list[pd.DataFrame]:
    if not isinstance(traffic, pd.DataFrame):
        raise ValidationError(f"traffic must be a DataFrame (got {type(traffic).__name__}); pass "
                              "endpoint.traffic_log() or synthetic_traffic()")
    needed = {"TimeGenerated", "DeploymentName", "ResponseCode", "ModelStatusCode", "TotalDurationMs"}
    missing = needed - set(traffic.columns)
    if missing:
        raise ValidationError(f"the traffic log lacks the columns {sorted(missing)}; pass endpoint.traffic_log() "
                              "or synthetic_traffic(), which have AmlOnlineEndpointTrafficLog's columns")
    minute = _times(traffic, "traffic")
    code = traffic["ResponseCode"].astype("int64")
    model = traffic["ModelStatusCode"].astype("Int64").astype("string").fillna("")
    frame = pd.DataFrame({"TimeGenerated": minute, "deployment": traffic["DeploymentName"].astype(str),
                          "statusCode": code.astype(str), "statusCodeClass": (code // 100).astype(str) + "xx",
                          "modelStatusCode": model, "latency": traffic["TotalDurationMs"].astype(float)})
    counts = frame.groupby(["TimeGenerated", "deployment", "statusCode", "statusCodeClass", "modelStatusCode"],
                           observed=True).size().rename("Total").reset_index()
    counts["Count"] = counts["Total"]
    out = [_rows(counts, "RequestsPerMinute")]
    ordered = frame.sort_values(["TimeGenerated", "deployment", "latency"], kind="stable", ignore_index=True)
    groups = ordered.groupby(["TimeGenerated", "deployment"], observed=True, sort=False)
    sizes = groups.size()
    starts = np.concatenate([[0], np.cumsum(sizes.to_numpy())[:-1]])
    latency = ordered["latency"].to_numpy()
    for metric, q in LATENCY_PERCENTILES.items():
        rank = (q * sizes.to_numpy() + 99) // 100  # nearest rank, ceil(q/100 * n), in whole numbers
        rows = sizes.index.to_frame(index=False).assign(Average=latency[starts + np.maximum(rank, 1) - 1])
        rows["Minimum"] = rows["Maximum"] = rows["Average"]
        rows["Count"] = 1
        out.append(_rows(rows, metric))
    return out


def _sampled(samples: pd.DataFrame) -> list[pd.DataFrame]:
    minute = _times(samples, "cpu")
    out = []
    for metric, column in (("CpuUtilizationPercentage", "cpu_percent"),
                           ("CpuMemoryUtilizationPercentage", "memory_percent")):
        frame = pd.DataFrame({"TimeGenerated": minute, "instanceId": samples.get("instanceId", "local"),
                              "value": samples[column].astype(float)})
        rows = frame.groupby(["TimeGenerated", "instanceId"])["value"].agg(
            Average="mean", Minimum="min", Maximum="max", Count="size").reset_index()
        out.append(_rows(rows, metric))
    return out


def _capacity(capacity, minutes: pd.DatetimeIndex) -> pd.DataFrame:
    if isinstance(capacity, pd.DataFrame):
        frame = pd.DataFrame({"TimeGenerated": _times(capacity, "capacity"),
                              "State": capacity.get("State", ""), "value": capacity["instances"].astype(float)})
        rows = frame.groupby(["TimeGenerated", "State"])["value"].agg(
            Average="mean", Minimum="min", Maximum="max", Count="size").reset_index()
    else:
        count = _validate.whole("capacity", capacity, 0, words="of at least 0 (instances), or a DataFrame")
        rows = pd.DataFrame({"TimeGenerated": minutes, "State": "", "Average": float(count),
                             "Minimum": float(count), "Maximum": float(count), "Count": 1})
    return _rows(rows, "DeploymentCapacity")


def _collection_events(events: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"TimeGenerated": _times(events, "data_collection"),
                          "deployment": events.get("DeploymentName", ""), "type": events["type"].astype(str)})
    rows = frame.groupby(["TimeGenerated", "deployment", "type"]).size().rename("Total").reset_index()
    rows["Count"] = rows["Total"]
    return _rows(rows, "DataCollectionEventsPerMinute")


def compute(traffic: pd.DataFrame, *, cpu: pd.DataFrame | None = None, capacity=None,
            data_collection: pd.DataFrame | None = None) -> pd.DataFrame:
    """Azure Monitor's platform metrics at the 1-minute grain, as one tidy table.

    Parameters
    ----------
    traffic : DataFrame
        An ``AmlOnlineEndpointTrafficLog`` (:meth:`~mlcheckup.frontend.FrontEnd.traffic_log`,
        :func:`synthetic_traffic`): ``RequestsPerMinute`` and ``RequestLatency_P50..P99`` come from it.
    cpu : DataFrame, optional
        Samples with ``TimeGenerated``, ``cpu_percent``, ``memory_percent`` (and ``instanceId``), as
        :meth:`ProcessSampler.samples` returns: ``CpuUtilizationPercentage``, ``CpuMemoryUtilizationPercentage``.
    capacity : int or DataFrame, optional
        Instances of the deployment: a constant over the traffic's minutes, or a table with
        ``TimeGenerated``, ``instances`` (and ``State``): ``DeploymentCapacity``.
    data_collection : DataFrame, optional
        One row per payload the data collector received, with ``TimeGenerated``, ``type`` (the
        collection, e.g. ``model_inputs``) and ``DeploymentName``: ``DataCollectionEventsPerMinute``.

    Returns
    -------
    DataFrame
        Columns ``TimeGenerated`` (the minute, UTC), ``MetricName``, the dimensions ``deployment``,
        ``statusCode``, ``statusCodeClass``, ``modelStatusCode``, ``instanceId``, ``State``, ``type``
        (NaN where a metric has no such dimension), the aggregations ``Total``, ``Average``,
        ``Minimum``, ``Maximum``, ``Count``, and ``UnitName``; sorted by time and metric.

    Raises
    ------
    ValidationError
        If a table lacks ``TimeGenerated`` or the columns its metric needs.
    """
    parts = _traffic_metrics(traffic)
    if cpu is not None:
        parts += _sampled(cpu)
    if capacity is not None:
        minutes = pd.DatetimeIndex(sorted(_times(traffic, "traffic").unique()))
        parts.append(_capacity(capacity, minutes))
    if data_collection is not None:
        parts.append(_collection_events(data_collection))
    parts = [p for p in parts if len(p)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(_COLUMNS))
    return table.sort_values(["TimeGenerated", "MetricName"], kind="stable", ignore_index=True)


def series(metrics: pd.DataFrame, name: str, *, by: str | None = None, aggregation: str | None = None,
           traffic: pd.DataFrame | None = None, grain="1min") -> pd.Series | pd.DataFrame:
    """One metric of :func:`compute`'s table as a time series, summed over its dimensions or split by one.

    Parameters
    ----------
    metrics : DataFrame
        :func:`compute`'s table.
    name : str
        A metric name of :data:`METRICS`, e.g. ``"RequestsPerMinute"``.
    by : str, optional
        A dimension to split by (``"statusCodeClass"`` gives one column per class).
    aggregation : str, optional
        ``Total`` (default for counts) or ``Average``, ``Minimum``, ``Maximum`` (default ``Average``).
    traffic : DataFrame, optional
        The traffic log, needed only for a latency percentile at a ``grain`` coarser than a minute:
        it is then recomputed from the requests (never averaged from the minutes).
    grain : str or datetime.timedelta, default "1min"
        Time grain, in any spelling of :mod:`mlcheckup._validate` (``"5min"``, ``"PT1H"``,
        ``"hour"``, ``timedelta(minutes=5)``). Counts are summed; other values are averaged per
        grain, except latency percentiles (see ``traffic``).

    Returns
    -------
    Series or DataFrame
        Indexed by time; counts have a row (0) for every minute from the first to the last.
    """
    _validate.choice("name", name, METRICS, "e.g. 'RequestsPerMinute' or 'RequestLatency_P95'")
    unit, dimensions = METRICS[name]
    if by is not None:
        _validate.choice("by", by, dimensions, f"{name}'s dimensions are {list(dimensions)}")
    counted = unit == "Count" and name != "DeploymentCapacity"
    aggregation = aggregation or ("Total" if counted else "Average")
    _validate.choice("aggregation", aggregation, AGGREGATIONS)
    step = _validate.duration(grain, "grain")
    if name in LATENCY_PERCENTILES and step > pd.Timedelta("1min"):
        if traffic is None:
            raise ValidationError(f"{name} at grain {grain!r} must be recomputed from the requests: pass "
                                  "traffic=<the traffic log> (the mean of minute percentiles is not a percentile)")
        frame = traffic.assign(_t=pd.to_datetime(traffic["TimeGenerated"], utc=True).dt.floor(step),
                               _d=traffic["DeploymentName"].astype(str))
        keys = ["_t"] + (["_d"] if by else [])
        values = frame.groupby(keys)["TotalDurationMs"].agg(lambda v: percentile(v, LATENCY_PERCENTILES[name]))
        values = values.unstack("_d") if by else values
        values.index.name = "TimeGenerated"
        return values.rename(name) if isinstance(values, pd.Series) else values
    rows = metrics[metrics["MetricName"] == name]
    times = pd.to_datetime(rows["TimeGenerated"], utc=True).dt.floor(step)
    keys = [times] + ([rows[by]] if by else [])
    how = "sum" if counted and aggregation in ("Total", "Count") else "mean"
    values = rows[aggregation].astype(float).groupby(keys).agg(how)
    if by:
        values = values.unstack(by)
    if counted and len(values):
        full = pd.date_range(values.index.min(), values.index.max(), freq=step)
        values = values.reindex(full, fill_value=0).fillna(0)
    values.index.name = "TimeGenerated"
    return values.rename(name) if isinstance(values, pd.Series) else values


class ProcessSampler:
    """Sample the CPU and memory of a set of processes (a server and its workers) with psutil, in a thread.

    Parameters
    ----------
    pids : callable
        Returns the process ids to sample now (workers come and go), e.g. ``lambda: [endpoint.pid, *endpoint.worker_pids()]``.
    interval : float, default 1.0
        Seconds between samples.
    instance_id : str, default "local"
        The ``instanceId`` dimension of the samples.

    ``cpu_percent`` is the processes' CPU over the last interval as a share of all the machine's cores
    (100 = every core busy), ``memory_percent`` their resident memory as a share of the machine's.
    Use it as a context manager; :meth:`samples` returns what it has.
    """

    def __init__(self, pids, *, interval: float = 1.0, instance_id: str = "local") -> None:
        self._pids = pids
        self.interval = _validate.seconds("interval", interval)
        self.instance_id = instance_id
        self._rows: list[tuple] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._procs: dict[int, object] = {}

    def sample(self) -> None:
        """Take one sample now (the first sample of a process reads 0 % CPU: psutil needs two readings)."""
        import psutil

        cpu = memory = 0.0
        for pid in self._pids():
            try:
                proc = self._procs.get(pid) or self._procs.setdefault(pid, psutil.Process(pid))
                cpu += proc.cpu_percent(None)
                memory += proc.memory_percent()
            except psutil.Error:
                self._procs.pop(pid, None)
        cores = psutil.cpu_count() or 1
        self._rows.append((pd.Timestamp.now(tz="UTC"), self.instance_id, cpu / cores, memory))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except Exception:  # the server went away: stop sampling, keep what was sampled
                return

    def __enter__(self) -> ProcessSampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="mlcheckup process sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def samples(self) -> pd.DataFrame:
        """The samples so far: ``TimeGenerated``, ``instanceId``, ``cpu_percent``, ``memory_percent``."""
        return pd.DataFrame(list(self._rows), columns=["TimeGenerated", "instanceId", "cpu_percent", "memory_percent"])


# -- a synthetic day -----------------------------------------------------------------------------------
def _arrivals(rng: np.random.Generator, seconds: float, rate) -> np.ndarray:
    """Poisson arrival times in [0, seconds) at ``rate(t)`` requests/s, taken as constant within each minute."""
    starts = np.arange(0.0, seconds, 60.0)
    lengths = np.minimum(60.0, seconds - starts)
    counts = rng.poisson(np.maximum(rate(starts + lengths / 2), 0.0) * lengths)
    offsets = rng.uniform(0.0, 1.0, counts.sum()) * np.repeat(lengths, counts)
    return np.sort(np.repeat(starts, counts) + offsets)


def _request_ids(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` random version-4 GUIDs, as Azure's front end writes ``x-request-id``."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    text = raw.tobytes().hex()
    return [f"{text[i:i + 8]}-{text[i + 8:i + 12]}-{text[i + 12:i + 16]}-{text[i + 16:i + 20]}-{text[i + 20:i + 32]}"
            for i in range(0, 32 * count, 32)]


def _queue(arrivals: np.ndarray, service: np.ndarray, servers: int, admitted: int) -> tuple[np.ndarray, np.ndarray]:
    """FIFO queue with ``servers`` in parallel and at most ``admitted`` requests in the system.

    Returns each request's wait (s; NaN if refused) and whether it was refused (429).
    """
    free = [0.0] * servers  # when each server is next free (a heap)
    inside: list[float] = []  # departure times of the admitted requests still in the system (a heap)
    wait = np.full(len(arrivals), np.nan)
    refused = np.zeros(len(arrivals), dtype=bool)
    for i, (t, s) in enumerate(zip(arrivals.tolist(), service.tolist(), strict=True)):
        while inside and inside[0] <= t:
            heapq.heappop(inside)
        if len(inside) >= admitted:
            refused[i] = True
            continue
        start = max(t, heapq.heappop(free))
        heapq.heappush(free, start + s)
        heapq.heappush(inside, start + s)
        wait[i] = start - t
    return wait, refused


def synthetic_traffic(seed: int = 0, *, start="2026-05-04T00:00:00Z", hours: float = 24.0, peak_rps: float = 2.0,
                      night_rps: float = 0.2, service_ms: float = 20.0, regression: tuple | None = (13.0, 16.0, 3.0),
                      bursts: Sequence[tuple] = ((9.5, 3.0, 60.0), (18.0, 2.0, 80.0)),
                      max_concurrent_requests_per_instance: int = 1, instance_count: int = 1,
                      request_timeout_ms: int = 5000, model_error_rate: float = 0.002,
                      endpoint: str = "digits-endpoint", deployment: str = "blue") -> pd.DataFrame:
    """A seeded ``AmlOnlineEndpointTrafficLog`` of a simulated day, with no server (a simulated clock).

    Arrivals are Poisson, at a rate that follows a day (``night_rps`` at 04:00, ``peak_rps`` at
    16:00) plus ``bursts``; each request takes a log-normal service time (median ``service_ms``)
    on one of ``instance_count * max_concurrent_requests_per_instance`` servers, first come first
    served. The front end refuses with **429** a request that finds ``2 *
    max_concurrent_requests_per_instance * instance_count`` requests already in the system (Learn,
    *Troubleshoot online endpoints*, HTTP 429), answers **408** when the wait plus the service
    exceeds ``request_timeout_ms``, and **424** (with ``ModelStatusCode`` 500) for a request the
    model fails (``model_error_rate``).

    Parameters
    ----------
    seed : int
        Seed of the random generator: the same seed gives the same table.
    start : str or Timestamp
        UTC time of the first second.
    hours : float
        Length of the simulated period.
    peak_rps, night_rps : float
        Request rates (per second) of the daily curve at its top and bottom.
    service_ms : float
        Median service time of one request, in ms (the course's digits model serves in about 2 ms
        on a laptop; a bigger model on a small VM takes tens).
    regression : (start_hour, end_hour, factor) or None
        Hours (from ``start``) during which every service time is multiplied by ``factor``.
    bursts : sequence of (start_hour, minutes, rps)
        Extra arrivals at ``rps`` per second during ``minutes`` from ``start_hour``.
    max_concurrent_requests_per_instance, instance_count, request_timeout_ms : int
        The deployment's ``request_settings`` and scale (Azure's defaults: 1, 1, 5000).
    model_error_rate : float
        Share of admitted requests the model fails.
    endpoint, deployment : str
        ``EndpointName`` and ``DeploymentName``.

    Returns
    -------
    DataFrame
        One row per request, with the columns of :data:`TRAFFIC_COLUMNS`, sorted by ``TimeGenerated``.
    """
    seed = _validate.whole("seed", seed, 0)
    hours = float(_validate.seconds("hours", hours))
    peak, night = _validate.threshold("peak_rps", peak_rps, 0), _validate.threshold("night_rps", night_rps, 0)
    service_s = _validate.seconds("service_ms", service_ms) / 1000
    concurrency = _validate.whole("max_concurrent_requests_per_instance", max_concurrent_requests_per_instance, 1)
    instances = _validate.whole("instance_count", instance_count, 1)
    timeout_s = _validate.whole("request_timeout_ms", request_timeout_ms, 1) / 1000
    error_rate = _validate.fraction("model_error_rate", model_error_rate)
    bursts = _check_bursts(bursts)
    try:
        origin = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ValidationError(f"start must be a time, e.g. '2026-05-04T00:00:00Z' (got {start!r})") from None
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    rng = np.random.default_rng(seed)

    def rate(t):
        hour = (origin.hour + origin.minute / 60 + np.asarray(t) / 3600) % 24
        daily = night + (peak - night) * (1 - np.cos(2 * np.pi * (hour - 4) / 24)) / 2
        for begin, minutes, rps in bursts:
            inside = (np.asarray(t) >= begin * 3600) & (np.asarray(t) < begin * 3600 + minutes * 60)
            daily = daily + np.where(inside, rps, 0.0)
        return daily

    seconds = hours * 3600
    arrivals = _arrivals(rng, seconds, rate)
    service = service_s * np.exp(rng.normal(0.0, 0.35, len(arrivals)))
    if regression is not None:
        first, last, factor = _check_regression(regression)
        service = np.where((arrivals >= first * 3600) & (arrivals < last * 3600), service * factor, service)
    wait, refused = _queue(arrivals, service, instances * concurrency, 2 * instances * concurrency)
    failed = ~refused & (rng.uniform(size=len(arrivals)) < error_rate)
    elapsed = wait + service
    timed_out = ~refused & (elapsed > timeout_s)
    receive = rng.uniform(0.0, 0.4, len(arrivals))  # ms to read a small body
    response_ms = np.where(refused, 0.0, np.minimum(elapsed, timeout_s) * 1000)
    total_ms = receive + response_ms + rng.uniform(0.1, 0.6, len(arrivals))
    code = np.where(refused, 429, np.where(timed_out, 408, np.where(failed, 424, 200)))
    model = pd.array(np.where(failed & ~timed_out, 500, 200), dtype="Int64")
    model[refused | timed_out] = pd.NA
    ids = _request_ids(rng, len(arrivals))
    table = pd.DataFrame({
        "TimeGenerated": origin + pd.to_timedelta(arrivals, unit="s"), "Location": "local", "OperationName": "",
        "Method": "POST", "Path": "/score", "AzureMLWorkspaceId": "", "AzureMLWorkspaceName": "local",
        "EndpointName": endpoint, "DeploymentName": deployment, "Protocol": "HTTP/1.1", "AuthType": "Key",
        "IdentityData": "", "ResponseCode": code, "ResponseCodeReason": [_HTTP_REASONS[c] for c in code],
        "ModelStatusCode": model,
        "ModelStatusReason": pd.Series(model, dtype="Int64").map({200: "OK", 500: "Internal Server Error"}).fillna(""),
        "RequestPayloadSize": rng.integers(900, 2000, len(arrivals)),
        "ResponsePayloadSize": np.where(code == 200, rng.integers(60, 120, len(arrivals)), 80),
        "UserAgent": "python-requests/2.32", "XRequestId": ids, "XMSClientRequestId": "",
        "TotalDurationMs": total_ms.astype(int), "RequestDurationMs": receive.astype(int),
        "ResponseDurationMs": (receive + response_ms).astype(int), "RequestThrottlingDelayMs": 0,
        "ResponseThrottlingDelayMs": 0,
    })
    return table.astype(TRAFFIC_COLUMNS)


def _check_bursts(bursts: Iterable) -> list[tuple[float, float, float]]:
    try:
        checked = [(float(a), float(b), float(c)) for a, b, c in bursts]
    except (TypeError, ValueError):
        raise ValidationError(f"bursts must be (start_hour, minutes, rps) triples, e.g. [(9.5, 3, 60)] "
                              f"(got {bursts!r})") from None
    if any(b <= 0 or c < 0 or a < 0 for a, b, c in checked):
        raise ValidationError(f"bursts need start_hour >= 0, minutes > 0 and rps >= 0 (got {bursts!r})")
    return checked


def _check_regression(regression) -> tuple[float, float, float]:
    try:
        first, last, factor = (float(v) for v in regression)
    except (TypeError, ValueError):
        first = last = factor = float("nan")
    if not (0 <= first < last and factor > 0):
        raise ValidationError(f"regression must be (start_hour, end_hour, factor) with start < end and factor > 0, "
                              f"e.g. (13, 16, 3) (got {regression!r}); pass None for no regression")
    return first, last, factor
