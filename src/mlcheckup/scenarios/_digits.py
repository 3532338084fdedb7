"""A production stream of handwritten digits: requests to a digit-reading endpoint over time.

scikit-learn's bundled ``load_digits`` (1,797 scans, 8×8 pixels, 0..16) is split once, by class,
into a *reference* set (60 %, what the model is trained on) and a *production pool* (40 %) that
the stream draws from, so a model never sees a production image in training. Requests arrive
on the simulated clock of :mod:`._traffic`; incidents then change the class mix, the images,
the labels, the payloads or the latency of the requests they touch.

Private to :mod:`mlcheckup.scenarios`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from . import _images, _traffic
from ._scenario import Incident, Scenario, TrainingData, child_rng, incident_table

#: Names of the 64 pixel columns, as in ``sklearn.datasets.load_digits().feature_names``.
PIXEL_COLUMNS = tuple(f"pixel_{row}_{col}" for row in range(8) for col in range(8))
#: Share of each class kept for the reference set; the rest is the production pool.
REFERENCE_SHARE = 0.6
_SPLIT_SEED = 20240304
#: Quality faults a digits stream can carry.
FAULTS = ("nan", "wrong-length", "out-of-range", "constant")


@functools.lru_cache(maxsize=1)
def _split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(_SPLIT_SEED)
    reference, pool = [], []
    for label in range(10):
        rows = rng.permutation(np.flatnonzero(digits.target == label))
        cut = round(REFERENCE_SHARE * rows.size)
        reference.append(rows[:cut])
        pool.append(rows[cut:])
    parts = []
    for chosen in (np.sort(np.concatenate(reference)), np.sort(np.concatenate(pool))):
        X, y = digits.data[chosen].copy(), digits.target[chosen].copy()
        X.flags.writeable = y.flags.writeable = False
        parts += [X, y]
    return tuple(parts)


def digits_reference() -> TrainingData:
    """The reference (training) digits: 60 % of each class of ``load_digits``, fixed for ever.

    The same for every scenario and seed, so a model trained once serves every stream.

    Examples
    --------
    >>> reference = digits_reference()
    >>> reference.X.shape, sorted(set(reference.y.tolist())) == list(range(10))
    ((1078, 64), True)
    """
    X, y, _, _ = _split()
    table = pd.DataFrame(X, columns=list(PIXEL_COLUMNS)).assign(label=y)
    return TrainingData(X=X.copy(), y=y.copy(), table=table)


def production_pool() -> tuple[np.ndarray, np.ndarray]:
    """The 719 held-out digits the production stream draws from (read-only arrays)."""
    _, _, X, y = _split()
    return X, y


def _mark(marks: np.ndarray, hit: np.ndarray, number: int) -> None:
    tag = str(number)
    marks[hit] = np.where(marks[hit] == "", tag, marks[hit] + "," + tag)


def _draw_classes(times, incidents, seed, n) -> tuple[np.ndarray, list[np.ndarray]]:
    """Class of each request: uniform, except requests from a prior-shift incident's new client."""
    u = child_rng(seed, 0, 1).random(n)
    classes = np.floor(u * 10).astype(int)
    hits = []
    for number, incident in enumerate(incidents, start=1):
        hit = np.zeros(n, dtype=bool)
        if incident.shift == "prior":
            favoured = np.asarray(incident.options["classes"])
            hit = child_rng(seed, 1, number).random(n) < incident.level(times)
            classes[hit] = favoured[np.floor(u[hit] * favoured.size).astype(int)]
        hits.append(hit)
    return classes, hits


def _affected(incident: Incident, times, seed: int, number: int) -> np.ndarray:
    """Requests the incident touches: inside its time window, and drawn with probability ``share``."""
    inside = np.asarray((times >= incident.start) & (times < incident.end))
    return inside & (child_rng(seed, 1, number).random(len(times)) < incident.share)


def build_stream(
    kind: str,
    seed: int,
    incidents: list[Incident],
    *,
    start: pd.Timestamp,
    days: float,
    requests_per_hour: float,
    description: str,
    params: dict,
) -> Scenario:
    """Generate a digits stream and apply ``incidents`` to it (see the module docstring)."""
    incidents = sorted(incidents, key=lambda item: item.start)
    end = start + pd.Timedelta(days=days)
    times = _traffic.arrivals(start, end, requests_per_hour, child_rng(seed, 0, 0))
    n = len(times)
    pool_X, pool_y = production_pool()
    by_class = np.argsort(pool_y, kind="stable")  # pool rows grouped by class
    sizes = np.bincount(pool_y, minlength=10)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    drawn, prior_hits = _draw_classes(times, incidents, seed, n)
    within = np.floor(child_rng(seed, 0, 2).random(n) * sizes[drawn]).astype(int)
    X = pool_X[by_class[first[drawn] + within]].astype(float)
    y = drawn.copy()
    latency = _traffic.latencies(times, child_rng(seed, 0, 3))
    status = np.full(n, 200)
    n_values = np.full(n, 64)
    fault = np.full(n, "", dtype=object)
    marks = np.full(n, "", dtype=object)
    raw: dict[int, tuple] = {}

    quick = np.round(4.0 * np.exp(0.3 * child_rng(seed, 0, 4).standard_normal(n)), 1)
    for number, incident in enumerate(incidents, start=1):
        rng = child_rng(seed, 2, number)
        hit = prior_hits[number - 1] if incident.shift == "prior" else _affected(incident, times, seed, number)
        level = incident.level(times[hit])
        if incident.shift == "covariate":
            transform = _images.IMAGE_EFFECTS[incident.options["effect"]][0]
            extra = (rng.standard_normal((int(hit.sum()), 64)),) if incident.options["effect"] == "noise" else ()
            X[hit] = transform(X[hit], level, *extra)
        elif incident.shift == "concept":
            hit &= drawn == incident.options["from_class"]
            y[hit] = incident.options["to_class"]
        elif incident.shift == "latency":
            latency[hit] = np.round(latency[hit] * level, 1)
        elif incident.shift == "errors":
            status[hit], latency[hit] = 503, quick[hit]
        elif incident.shift == "quality":
            _apply_fault(incident.options["fault"], X, hit, rng, fault, n_values, raw)
            rejected = hit & (n_values != 64)
            status[rejected], latency[rejected] = 400, quick[rejected]
        _mark(marks, hit, number)

    stream = pd.DataFrame(
        {
            "timestamp": times,
            "request_id": [f"req-{seed}-{row:06d}" for row in range(n)],
            "latency_ms": latency,
            "status_code": status,
            "n_values": n_values,
        }
    )
    truth = pd.DataFrame({"label": y, "drawn_class": drawn, "incidents": marks.astype(str), "fault": fault.astype(str)})
    return Scenario(
        kind=kind, seed=seed, dataset="digits", description=description, X=X, y=y, stream=stream, truth=truth,
        incidents=incident_table(incidents), reference=digits_reference(), start=start, end=end,
        params=params, raw_payloads=raw,
    )


def _apply_fault(name, X, hit, rng, fault, n_values, raw) -> None:
    rows = np.flatnonzero(hit)
    fault[rows] = name
    if name == "nan":  # a missing scan line: one image row of 8 pixels
        lines = rng.integers(0, 8, rows.size)
        for offset in range(8):
            X[rows, lines * 8 + offset] = np.nan
    elif name == "out-of-range":  # a client sends 8-bit grey levels (0..255) instead of 0..16
        X[rows] = np.minimum(X[rows] * 16.0, 255.0)
    elif name == "constant":  # blank pages from a jammed feeder
        X[rows] = 0.0
    elif name == "wrong-length":  # a client drops or adds a pixel; the endpoint cannot parse it
        longer = rng.random(rows.size) < 0.5
        for row, add in zip(rows, longer, strict=True):
            values = X[row].tolist()
            raw[int(row)] = tuple([*values, 0.0] if add else values[:-1])
        n_values[rows] = np.where(longer, 65, 63)
        X[rows] = np.nan
