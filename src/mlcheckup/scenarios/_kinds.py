"""The scenario kinds: which incidents each one plants, and where, for a given seed.

A kind picks its incident onsets from the seed (so every seed is a valid variant with the
incidents somewhere else) unless ``onset=`` fixes them, then builds the stream with
:mod:`._digits` or the market with :mod:`._avocado`.

Private to :mod:`mlcheckup.scenarios`; :func:`make` is re-exported there.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from . import _avocado, _digits
from ._images import IMAGE_EFFECTS
from ._scenario import Incident, Scenario, TrainingData, child_rng, incident_table

#: First instant of every digits stream: a Monday.
DIGITS_START = pd.Timestamp("2024-03-04")
_GRADUAL_LEVELS = {"noise": 4.0, "blur": 1.0, "thickness": 0.8, "rotation": 30.0}
_FAULT_RATES = {"nan": 0.3, "wrong-length": 0.2, "out-of-range": 0.4, "constant": 0.25}
_FAULT_STORIES = {
    "nan": "a scanner drops one line of pixels (NaN)",
    "wrong-length": "a client app sends 63 or 65 pixels instead of 64",
    "out-of-range": "a client app sends 8-bit grey levels (0..255) instead of 0..16",
    "constant": "a jammed feeder sends blank pages (all pixels 0)",
}


def _when(stamp: pd.Timestamp) -> str:
    return f"{stamp:%a %d %b %H:%M}"


def _fraction_onset(seed: int, start: pd.Timestamp, end: pd.Timestamp, low: float, high: float) -> pd.Timestamp:
    """A seeded time between ``low`` and ``high`` of the way from ``start`` to ``end``, to the hour."""
    share = low + (high - low) * child_rng(seed, 9).random()
    return (start + share * (end - start)).floor("h")


def _pick_hour(rng: np.random.Generator, low: pd.Timestamp, high: pd.Timestamp, office: bool = False) -> pd.Timestamp:
    """A seeded whole hour in ``[low, high]``; with ``office``, on a weekday between 09:00 and 15:00 if any."""
    hours = pd.date_range(low.ceil("h"), high, freq="h")
    busy = hours[(hours.day_of_week < 5) & (hours.hour >= 9) & (hours.hour <= 15)] if office else hours
    hours = busy if len(busy) else hours
    return hours[int(rng.integers(len(hours)))] if len(hours) else low.floor("h")


def _checked_onset(onset, start: pd.Timestamp, end: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(onset)
    if not start <= stamp < end:
        raise ValidationError(
            f"onset {stamp} is outside the stream, which runs from {start} to {end}; "
            "pass an onset inside it, or onset=None to let the seed choose"
        )
    return stamp


# --- incidents, one factory per cause (used by the single kinds and by "mixed") ----------------
def _image_incident(pattern: str, cause: str, effect: str, start, end, severity: float, share: float,
                    story: str) -> Incident:
    """An incident that changes the images of the requests it touches (a covariate shift)."""
    return Incident(pattern, "covariate", cause, start, end, "all 64 pixels", severity, IMAGE_EFFECTS[effect][1],
                    share, story, {"effect": effect})


def degradation(start, end, cause: str, severity: float, share: float) -> Incident:
    """A scanner that slowly gets worse (noise, blur, thickness or rotation)."""
    if cause not in _GRADUAL_LEVELS:
        raise ValidationError(f"cause must be one of {sorted(_GRADUAL_LEVELS)}, got {cause!r}")
    return _image_incident(
        "gradual", f"scanner {cause}", cause, start, end, severity, share,
        f"From {_when(start)}, the scanner behind {share:.0%} of requests degrades: its {cause} grows "
        f"steadily to {severity:g} ({IMAGE_EFFECTS[cause][1]}) by {_when(end)}.",
    )


def new_writers(start, end, severity: float, share: float) -> Incident:
    """A new population of writers, who slant their digits."""
    return _image_incident(
        "sudden", "new writers", "slant", start, end, severity, share,
        f"From {_when(start)}, {share:.0%} of forms come from a new office whose staff write in italics "
        f"(slant {severity:g} px per row).",
    )


def fading_batch(start, end, severity: float, share: float) -> Incident:
    """One episode of old, faded forms being fed through the scanner."""
    return _image_incident(
        "recurring", "faded archive forms", "fading", start, end, severity, share,
        f"{_when(start)} to {_when(end)}: the archive team scans old forms; {share:.0%} of requests are "
        f"faded ({severity:.0%} of the ink lost).",
    )


def class_mix(start, end, classes: tuple, severity: float) -> Incident:
    """A new client whose requests are all of a few classes (prior shift)."""
    classes = tuple(int(label) for label in classes)
    if not classes or not set(classes) <= set(range(10)):
        raise ValidationError(f"classes must be digits 0..9, got {classes!r}; for example classes=(0, 1)")
    names = ", ".join(map(str, classes))
    return Incident(
        "sudden", "prior", "new client", start, end, f"classes {names}", severity,
        f"share of requests from a client who sends only {names}", severity,
        f"From {_when(start)}, a new client sends {severity:.0%} of requests, all of them digits {names}; "
        "each digit looks as before, only the class mix changes (a prior, or label, shift).",
        {"classes": classes},
    )


def relabel(start, end, from_class: int, to_class: int, share: float) -> Incident:
    """Writers whose ``to_class`` looks like the training set's ``from_class`` (concept shift)."""
    if from_class == to_class or not {from_class, to_class} <= set(range(10)):
        raise ValidationError(
            f"from_class and to_class must be two different digits 0..9, got {from_class!r} and {to_class!r}"
        )
    return Incident(
        "sudden", "concept", "continental writers", start, end, f"class {from_class} → {to_class}", share,
        f"share of images that look like a {from_class} but are a {to_class}", share,
        f"From {_when(start)}, forms come from writers whose {to_class} looks exactly like the training set's "
        f"{from_class}: {share:.0%} of the {from_class}-looking images are really {to_class}s. The inputs look the "
        "same; only their meaning changed.",
        {"from_class": from_class, "to_class": to_class},
    )


def fault(start, end, name: str, rate: float) -> Incident:
    """A data-quality fault in a share of the requests."""
    if name not in _FAULT_STORIES:
        raise ValidationError(f"fault must be one of {sorted(_FAULT_STORIES)}, got {name!r}")
    return Incident(
        "sudden", "quality", name, start, end, "requests (payload)", rate, "share of requests with the fault", rate,
        f"{_when(start)} to {_when(end)}: {_FAULT_STORIES[name]} in {rate:.0%} of requests.", {"fault": name},
    )


def slowdown(start, end, severity: float, share: float) -> Incident:
    """A slower model version deployed (a latency regression)."""
    return Incident(
        "sudden", "latency", "slower model version", start, end, "latency_ms", severity,
        "latency multiplier", share,
        f"From {_when(start)}, a new model version serves {share:.0%} of traffic and takes ×{severity:g} as long.",
    )


def outage(start, end, rate: float) -> Incident:
    """A dependency outage: a share of requests fail with HTTP 503."""
    return Incident(
        "sudden", "errors", "dependency outage", start, end, "status_code", rate, "share of requests failing (503)",
        rate, f"{_when(start)} to {_when(end)}: a dependency is down; {rate:.0%} of requests fail with 503.",
    )


# --- digits kinds ----------------------------------------------------------------------------------
def _stream(kind, seed, planted, description, start, days, requests_per_hour, **params) -> Scenario:
    start = pd.Timestamp(start)
    if days <= 0 or requests_per_hour <= 0:
        raise ValidationError(
            f"days and requests_per_hour must be positive, got days={days!r}, requests_per_hour={requests_per_hour!r}"
        )
    params = {"start": start, "days": days, "requests_per_hour": requests_per_hour, **params}
    return _digits.build_stream(kind, seed, planted, start=start, days=days, requests_per_hour=requests_per_hour,
                                description=description, params=params)


def _span(seed, onset, start, days, low=0.25, high=0.6):
    start = pd.Timestamp(start)
    end = start + pd.Timedelta(days=days)
    onset = _fraction_onset(seed, start, end, low, high) if onset is None else _checked_onset(onset, start, end)
    return start, end, onset


def gradual(seed, *, cause="noise", severity=None, share=0.6, onset=None,
            start=DIGITS_START, days=28, requests_per_hour=40) -> Scenario:
    start, end, onset = _span(seed, onset, start, days)
    severity = _GRADUAL_LEVELS.get(cause, 0.0) if severity is None else float(severity)
    incident = degradation(onset, end, cause, severity, _validate.fraction("share", share))
    return _stream("gradual", seed, [incident], "A scanner wears out: " + incident.description, start, days,
                   requests_per_hour, cause=cause, severity=severity, share=share, onset=onset)


def sudden(seed, *, severity=0.45, share=0.4, onset=None, start=DIGITS_START, days=28, requests_per_hour=40) -> Scenario:
    start, end, onset = _span(seed, onset, start, days)
    incident = new_writers(onset, end, float(severity), _validate.fraction("share", share))
    return _stream("sudden", seed, [incident], incident.description, start, days, requests_per_hour,
                   severity=severity, share=share, onset=onset)


def recurring(seed, *, severity=0.5, share=0.7, onset=None, every_days=7, hours=36,
              start=DIGITS_START, days=28, requests_per_hour=40) -> Scenario:
    start, end, onset = _span(seed, onset, start, days, 0.1, 0.3)
    if not 0 < hours < every_days * 24:
        raise ValidationError(f"hours must be between 0 and every_days * 24 = {every_days * 24}, got {hours!r}")
    episodes, first = [], onset
    while first < end:
        episodes.append(fading_batch(first, min(first + pd.Timedelta(hours=hours), end), float(severity),
                                     _validate.fraction("share", share)))
        first += pd.Timedelta(days=every_days)
    description = (f"Every {every_days} days from {_when(onset)}, for {hours} hours, the archive team scans "
                   f"old forms: {share:.0%} of requests are faded ({severity:.0%} of the ink lost).")
    return _stream("recurring", seed, episodes, description, start, days, requests_per_hour,
                   severity=severity, share=share, onset=onset, every_days=every_days, hours=hours)


def prior(seed, *, classes=(0, 1), severity=0.5, onset=None, start=DIGITS_START, days=28,
          requests_per_hour=40) -> Scenario:
    start, end, onset = _span(seed, onset, start, days)
    incident = class_mix(onset, end, tuple(classes), _validate.fraction("severity", severity))
    return _stream("prior", seed, [incident], incident.description, start, days, requests_per_hour,
                   classes=tuple(classes), severity=severity, onset=onset)


def concept(seed, *, from_class=7, to_class=1, share=1.0, onset=None, start=DIGITS_START, days=28,
            requests_per_hour=40) -> Scenario:
    start, end, onset = _span(seed, onset, start, days)
    incident = relabel(onset, end, int(from_class), int(to_class), _validate.fraction("share", share))
    return _stream("concept", seed, [incident], incident.description, start, days, requests_per_hour,
                   from_class=from_class, to_class=to_class, share=share, onset=onset)


def _slots(seed: int, start, end, durations: list[pd.Timedelta], office: list[bool] | None = None) -> list[pd.Timestamp]:
    """Seeded onsets, one per duration, each in its own slot of the span, in a seeded order.

    An incident marked in ``office`` starts in office hours, when there is traffic to show it.
    """
    rng = child_rng(seed, 9, 1)
    width = (end - start) / len(durations)
    order = rng.permutation(len(durations))
    office = office or [False] * len(durations)
    onsets = []
    for slot, duration, busy in zip(order, durations, office, strict=True):
        low = start + slot * width
        onsets.append(_pick_hour(rng, low, low + max(width - duration, pd.Timedelta(0)), busy))
    return onsets


def quality(seed, *, faults=_digits.FAULTS, rate=None, hours=12, start=DIGITS_START, days=28,
            requests_per_hour=40) -> Scenario:
    start = pd.Timestamp(start)
    end = start + pd.Timedelta(days=days)
    duration = pd.Timedelta(hours=hours)
    onsets = _slots(seed, start + 0.15 * (end - start), end, [duration] * len(faults), [True] * len(faults))
    incidents = [fault(onset, onset + duration, name, _validate.fraction("rate", _FAULT_RATES.get(name, 0.0) if rate is None else rate))
                 for onset, name in zip(onsets, faults, strict=True)]
    description = f"Data-quality faults, each for {hours} hours: " + "; ".join(_FAULT_STORIES[name] for name in faults) + "."
    return _stream("quality", seed, incidents, description, start, days, requests_per_hour,
                   faults=tuple(faults), rate=rate, hours=hours)


def latency(seed, *, severity=1.8, share=1.0, onset=None, outage_minutes=60, outage_rate=0.5,
            start=DIGITS_START, days=14, requests_per_hour=300) -> Scenario:
    start, end, onset = _span(seed, onset, start, days, 0.4, 0.7)
    incidents = [slowdown(onset, end, float(severity), _validate.fraction("share", share))]
    if outage_minutes:
        down = _pick_hour(child_rng(seed, 9, 3), start + 0.3 * (onset - start), onset - pd.Timedelta(hours=2),
                          office=True)
        incidents.append(outage(down, down + pd.Timedelta(minutes=outage_minutes), _validate.fraction("outage_rate", outage_rate)))
    description = "Endpoint health: " + " ".join(item.description for item in sorted(incidents, key=lambda i: i.start))
    return _stream("latency", seed, incidents, description, start, days, requests_per_hour, severity=severity,
                   share=share, onset=onset, outage_minutes=outage_minutes, outage_rate=outage_rate)


_MIXED_MENU = (  # (duration, in office hours?, factory(start, end, rng)) for the capstone's month of traffic
    (pd.Timedelta(days=3), False, lambda a, b, rng: degradation(a, b, "noise", 4.0, 0.6)),
    (pd.Timedelta(days=2), False, lambda a, b, rng: new_writers(a, b, 0.45, 0.5)),
    (pd.Timedelta(days=2), False, lambda a, b, rng: class_mix(a, b, (0, 1), 0.6)),
    (pd.Timedelta(days=3), False, lambda a, b, rng: relabel(a, b, 7, 1, 1.0)),
    (pd.Timedelta(hours=8), True, lambda a, b, rng: fault(a, b, str(rng.choice(_digits.FAULTS)), 0.3)),
    (pd.Timedelta(days=1), False, lambda a, b, rng: slowdown(a, b, 2.0, 1.0)),
    (pd.Timedelta(hours=1), True, lambda a, b, rng: outage(a, b, 0.5)),
)


def mixed(seed, *, incidents=5, quiet_days=5, start=DIGITS_START, days=28, requests_per_hour=40) -> Scenario:
    if not 1 <= incidents <= len(_MIXED_MENU):
        raise ValidationError(f"incidents must be 1..{len(_MIXED_MENU)}, got {incidents!r}")
    start = pd.Timestamp(start)
    end = start + pd.Timedelta(days=days)
    if days - quiet_days < 3 * incidents:
        raise ValidationError(
            f"{incidents} incidents need at least {3 * incidents} days after the {quiet_days} quiet days, "
            f"got days={days}; pass more days or fewer incidents"
        )
    rng = child_rng(seed, 9, 2)
    chosen = sorted(rng.choice(len(_MIXED_MENU), size=incidents, replace=False))
    durations = [_MIXED_MENU[item][0] for item in chosen]
    onsets = _slots(seed, start + pd.Timedelta(days=quiet_days), end, durations, [_MIXED_MENU[item][1] for item in chosen])
    planted = [_MIXED_MENU[item][2](onset, onset + duration, rng)
               for item, onset, duration in zip(chosen, onsets, durations, strict=True)]
    description = (f"A month of traffic to the digit reader with {incidents} hidden incidents after "
                   f"{quiet_days} quiet days: " + " ".join(item.description for item in sorted(planted, key=lambda i: i.start)))
    return _stream("mixed", seed, planted, description, start, days, requests_per_hour,
                   incidents=incidents, quiet_days=quiet_days)


# --- avocado kinds ---------------------------------------------------------------------------------
def _market(kind, seed, market, incident: Incident, affected_rows: np.ndarray, description, params) -> Scenario:
    reference, production = _avocado.split_avocado(market)
    features, target = list(_avocado.AVOCADO_FEATURES), _avocado.AVOCADO_TARGET
    later = market["date"] >= _avocado.PRODUCTION_START
    inside = (market["date"] >= incident.start) & (market["date"] < incident.end) & affected_rows
    marks = np.where(inside[later], "1", "")
    return Scenario(
        kind=kind, seed=seed, dataset="avocado", description=description,
        X=production[features], y=production[target], stream=production,
        truth=pd.DataFrame({"incidents": marks}), incidents=incident_table([incident]),
        reference=TrainingData(X=reference[features], y=reference[target], table=reference),
        start=_avocado.PRODUCTION_START, end=market["date"].max() + pd.Timedelta(days=7), params=params,
    )


def _sunday_onset(seed, onset, low: str, high: str) -> pd.Timestamp:
    if onset is not None:
        return _avocado.as_sunday(onset)
    sundays = pd.date_range(low, high, freq="W-SUN")
    return sundays[int(child_rng(seed, 9).integers(len(sundays)))]


def craze(seed, *, onset=None, weeks=52, severity=1.3, price_boost=1.2, slope=0.3) -> Scenario:
    onset = _sunday_onset(seed, onset, "2017-05-07", "2018-10-07")
    surge = _avocado.AvocadoCraze(start=onset, weeks=weeks, volume_boost=severity,
                                  price_boost=float(price_boost), slope=float(slope))
    market = _avocado.generate_avocado(seed, craze=surge)
    incident = surge.incident()
    return _market("craze", seed, market, incident, np.ones(len(market), dtype=bool), incident.description,
                   {"onset": onset, "weeks": weeks, "severity": severity, "price_boost": price_boost, "slope": slope})


def covariate(seed, *, onset=None, weeks=8, severity=1.5, regions=("California", "West", "SouthCentral")) -> Scenario:
    onset = _sunday_onset(seed, onset, "2017-03-05", "2019-09-01")
    shock = _avocado.SupplyShock(start=onset, weeks=weeks, factor=severity, regions=tuple(regions))
    market = _avocado.generate_avocado(seed, craze=None, shock=shock)
    incident = shock.incident()
    return _market("covariate", seed, market, incident, market["region"].isin(shock.regions).to_numpy(),
                   incident.description, {"onset": onset, "weeks": weeks, "severity": severity, "regions": tuple(regions)})


#: Every kind ``make`` knows: its builder, its data and one line on what it shows.
_BUILDERS: dict[str, tuple[Callable[..., Scenario], str]] = {
    "gradual": (gradual, "digits: a scanner slowly degrades (noise, blur, thickness or rotation)"),
    "sudden": (sudden, "digits: a new population of writers (italic digits) appears at once"),
    "recurring": (recurring, "digits: faded archive forms, one and a half days every week"),
    "prior": (prior, "digits: a new client shifts the class mix (prior, or label, shift); each class looks as before"),
    "concept": (concept, "digits: 7-looking images are now really 1s; the inputs do not change"),
    "quality": (quality, "digits: NaN pixels, wrong-length payloads, 0..255 values, blank images"),
    "latency": (latency, "digits endpoint: a slower model version, and an outage with 503s"),
    "mixed": (mixed, "digits: a month of traffic with several hidden incidents (the capstone)"),
    "covariate": (covariate, "avocado: a bumper harvest floods some regions; prices follow the usual curve"),
    "craze": (craze, "avocado: the avocado craze; volumes and prices surge and their relation changes"),
}
#: Scenario kinds and what each shows.
KINDS = {name: summary for name, (_, summary) in _BUILDERS.items()}


def make(kind: str, seed: int = 0, **options) -> Scenario:
    """Make a production scenario with known incidents.

    The same kind, seed and options always give the same scenario; another seed moves the
    incidents (and redraws the traffic), which is how hidden tests get fresh variants. Digits
    streams are simulated requests with timestamps; avocado streams are weekly market rows.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`:

        ============  =========================================================================
        gradual       ``cause`` "noise" | "blur" | "thickness" | "rotation"; ``severity`` (level
                      at the end, default 4 / 1 / 0.8 / 30); ``share`` 0.6 of requests
        sudden        ``severity`` slant 0.45 px/row; ``share`` 0.4 of requests
        recurring     ``severity`` ink lost 0.5; ``share`` 0.7; ``every_days`` 7; ``hours`` 36
        prior         ``classes`` (0, 1); ``severity`` 0.5 = share of requests from the new client
        concept       ``from_class`` 7, ``to_class`` 1, ``share`` 1.0 of the 7-looking images
        quality       ``faults`` (all four); ``rate`` (default per fault); ``hours`` 12 each
        latency       ``severity`` ×1.8; ``share`` 1.0; ``outage_minutes`` 60; ``outage_rate`` 0.5
        mixed         ``incidents`` 5 (of 7 causes), after ``quiet_days`` 5
        covariate     ``severity`` volume ×1.5; ``weeks`` 8; ``regions`` California, West, SouthCentral
        craze         ``severity`` volume ×1.3; ``price_boost`` 1.2; ``slope`` 0.3; ``weeks`` 52
        ============  =========================================================================

    seed : int
        Seed of every random choice, onsets included.
    **options
        The kind's settings above, and ``onset`` (a time-like, where the seed does not choose;
        a Sunday for avocado). Digits kinds also take ``start`` (default Monday 2024-03-04),
        ``days`` (28; 14 for latency) and ``requests_per_hour`` (40 on average; 300 for latency).

    Returns
    -------
    Scenario
        The stream (``X``, ``y``, ``stream``), the ``reference`` data, the answer key
        (``incidents``, ``truth``) and :meth:`Scenario.score` to score alerts.

    Raises
    ------
    ValidationError
        For an unknown kind, a bad seed or an option the kind does not take.

    Examples
    --------
    >>> from mlcheckup import scenarios
    >>> drift = scenarios.make("sudden", seed=3)
    >>> drift.X.shape[1], drift.incidents.loc[0, ["shift", "pattern", "cause"]].tolist()
    (64, ['covariate', 'sudden', 'new writers'])
    >>> scenarios.make("sudden", seed=3).incidents.equals(drift.incidents)   # same seed, same scenario
    True

    Taught in lessons 01, 04 and 05.
    """
    if kind not in _BUILDERS:
        raise ValidationError(f"unknown scenario kind {kind!r}; choose one of {', '.join(KINDS)}")
    seed = _validate.whole("seed", seed, 0, hint="for example seed=0")
    build = _BUILDERS[kind][0]
    accepted = [name for name in inspect.signature(build).parameters if name != "seed"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValidationError(
            f"make({kind!r}) does not take {', '.join(unknown)}; it takes {', '.join(accepted)}"
        )
    return build(int(seed), **options)
