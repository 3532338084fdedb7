"""Scalar checks at the boundary, one copy each: numbers, shares, choices and durations.

Private: modules of :mod:`mlcheckup` call these where a public function receives its arguments.
Each takes the parameter's name first, then the value (the duration readers, public through
:func:`mlcheckup.alerts.duration` and :func:`mlcheckup.drift.parse_duration`, take the value
first). Each returns the value in its canonical type, or raises :class:`~mlcheckup.errors.ValidationError`
whose message names the parameter, echoes the value received (``(got ...)``) and says what to
pass instead. A ``bool`` is never a number here (``True`` is not ``1`` second).

Durations: one vocabulary everywhere
------------------------------------
Every mlcheckup parameter that takes a length of time (an alert's ``window_size``, a drift
detector's and a model monitor signal's ``production_window``, a scenario's and a plot's window
``freq``, the labels' ``freq`` and ``median_delay``, a platform metric's ``grain``) accepts the
same four spellings, read by :func:`duration`:

========================  ==========================  ===========================================
spelling                  examples                    where it comes from
========================  ==========================  ===========================================
ISO 8601 duration         ``"P7D"``, ``"PT15M"``,     what the Azure SDKs send: azure-ai-ml
                          ``"P1W"``, ``"PT1H30M"``    lookback windows, azure-mgmt-monitor
                                                      ``window_size``/``evaluation_frequency``
pandas fixed length       ``"7D"``, ``"15min"``,      ``pandas.Timedelta`` text; months and years
                          ``"6h"``, ``"1W"``          are refused (their length varies)
a unit word               ``"minute"``, ``"hour"``,   the recurrence frequencies of a monitor
                          ``"day"``, ``"week"``       trigger, read as one such unit (not
                                                      ``"month"``: its length varies)
a timedelta               ``timedelta(days=7)``,      Python and pandas objects
                          ``pd.Timedelta("7D")``
========================  ==========================  ===========================================

A bare number is refused: it has no unit; so is a pandas calendar frequency (``"MS"``,
``"W-SUN"``): its length varies. Whatever the spelling, what goes to Azure is written back in
ISO 8601 by :func:`iso_duration` (``PT15M``, ``P7D``), as the SDKs write it, and what cuts rows
into windows is the fixed pandas frequency of :func:`pandas_freq` (``"week"`` is 7 days from
the first window's start, not a Sunday-anchored pandas ``"W"``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import ValidationError

#: Words read as one unit of time (the recurrence frequencies of a monitor trigger, but month).
DURATION_WORDS = {"minute": pd.Timedelta(minutes=1), "hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1),
                  "week": pd.Timedelta(weeks=1)}
#: An example of each spelling, for messages.
DURATION_EXAMPLES = "'PT5M' or 'P7D' (ISO 8601, as Azure writes them), '5min' or '7D' (pandas), 'week', or a timedelta"

_ISO = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                  r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _real(value) -> float | None:
    """``value`` as a float if it is a real number (not a bool, not text), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    return float(value)


def whole(name: str, value, low: int = 0, high: int | None = None, *, words: str | None = None,
          hint: str = "") -> int:
    """``value`` as an int in ``[low, high]``; a bool, text or a float with a fraction is refused.

    ``words`` replaces the range in the message (``"of rows, 1 or more"``); ``hint`` follows it.

    >>> whole("interval", 3.0, 1)
    3
    >>> whole("interval", 0, 1)
    Traceback (most recent call last):
    ...
    mlcheckup.errors.ValidationError: interval must be a whole number from 1 (got 0)
    """
    number = _real(value)
    if words is None:
        words = f"from {low}" + (f" to {high}" if high is not None else "")
    if number is None or not math.isfinite(number) or number != int(number) or number < low \
            or (high is not None and number > high):
        raise ValidationError(f"{name} must be a whole number {words} (got {value!r})" + (f"; {hint}" if hint else ""))
    return int(number)


def seconds(name: str, value) -> float:
    """``value`` as a positive, finite number of seconds.

    >>> seconds("timeout", 2)
    2.0
    """
    number = _real(value)
    if number is None or not 0 < number < math.inf:
        raise ValidationError(f"{name} must be a positive number of seconds (got {value!r}); e.g. {name}=10")
    return number


def fraction(name: str, value, *, hint: str = "", exclusive: bool = False) -> float:
    """``value`` as a share in ``[0, 1]`` (0.4 for 40 %); in ``(0, 1)`` if ``exclusive`` (a confidence level).

    >>> fraction("rate", 0.25)
    0.25
    >>> fraction("confidence", 1, exclusive=True, hint="e.g. 0.95")
    Traceback (most recent call last):
    ...
    mlcheckup.errors.ValidationError: confidence must be a share strictly between 0 and 1 (got 1); e.g. 0.95
    """
    number = _real(value)
    if number is None or not (0.0 < number < 1.0 if exclusive else 0.0 <= number <= 1.0):
        raise ValidationError(f"{name} must be a share {'strictly ' if exclusive else ''}between 0 and 1 "
                              f"(got {value!r}); " + (hint or "for 40 % pass 0.4"))
    return number


def sampling_rate(name: str, value) -> float:
    """``value`` as a sampling rate in ``(0, 1]``, as Azure's data collector schema requires.

    >>> sampling_rate("sampling_rate", 1)
    1.0
    """
    number = _real(value)
    if number is None or not 0.0 < number <= 1.0:
        raise ValidationError(f"{name} must be in (0, 1] (got {value!r}); 1.0 collects every request")
    return number


def percent(name: str, value) -> int:
    """``value`` as a whole percentage from 0 to 100 (Azure's traffic shares).

    >>> percent("traffic", 90.0)
    90
    """
    number = _real(value)
    if number is None or not math.isfinite(number) or number != int(number) or not 0 <= number <= 100:
        raise ValidationError(f"{name} must be a whole percentage from 0 to 100 (got {value!r}); e.g. {name}=10")
    return int(number)


def number(name: str, value, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a finite number in ``[low, high]`` (a threshold, a bin edge...).

    >>> number("threshold", 0.1, 0, 1)
    0.1
    """
    number = _real(value)
    if number is None or not math.isfinite(number):
        raise ValidationError(f"{name} must be a finite number (got {value!r})")
    if not low <= number <= high:
        raise ValidationError(f"{name} must be between {low:g} and {high:g} (got {value!r})")
    return number


#: An alert or drift threshold is a finite number (the same check, under its usual name).
threshold = number


def choice(name: str, value, allowed: Iterable, hint: str = ""):
    """``value`` if it is one of ``allowed`` (compared with ``==``); the message lists them.

    ``allowed`` may be a mapping ``{value: meaning}``; the message then shows both.

    >>> choice("operator", "GreaterThan", ("GreaterThan", "LessThan"))
    'GreaterThan'
    >>> choice("severity", 5, {0: "Critical", 4: "Verbose"})
    Traceback (most recent call last):
    ...
    mlcheckup.errors.ValidationError: severity must be one of 0 (Critical), 4 (Verbose) (got 5)
    """
    shown = [f"{k} ({v})" for k, v in allowed.items()] if isinstance(allowed, Mapping) else None
    allowed = tuple(allowed)
    try:
        ok = value in allowed and not isinstance(value, bool)
    except TypeError:  # an unhashable value against a dict or set
        ok = False
    if not ok:
        raise ValidationError(f"{name} must be one of {', '.join(shown or map(str, allowed))} (got {value!r})"
                              + (f"; {hint}" if hint else ""))
    return value


def parse_iso_duration(text, name: str = "duration") -> pd.Timedelta:
    """An ISO-8601 duration (``P7D``, ``PT12H``, ``P1W``, ``PT1H30M``), and nothing else.

    For a value sent as text to an Azure SDK, which takes only this spelling.

    >>> parse_iso_duration("PT90M")
    Timedelta('0 days 01:30:00')
    """
    match = _ISO.match(text.strip().upper()) if isinstance(text, str) else None
    if not match or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValidationError(f"{name} must be an ISO-8601 duration such as 'P7D' or 'PT12H' (got {text!r})")
    weeks, days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return pd.Timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=secs)


def _calendar(text: str) -> str:
    """Why a pandas calendar frequency (``"MS"``, ``"W-SUN"``, ``"QE"``) is no duration, or ``""``."""
    try:
        with warnings.catch_warnings():  # pandas warns of its deprecated aliases ('M' for 'ME')
            warnings.simplefilter("ignore")
            offset = pd.tseries.frequencies.to_offset(text)
    except ValueError:
        return ""
    return "" if isinstance(offset, pd.offsets.Tick) else \
        f"; {text!r} is a calendar frequency, whose length varies: write a fixed length such as '7D'"


def duration(value, name: str = "duration", *, allow_zero: bool = False) -> pd.Timedelta:
    """A positive length of time, in any spelling of the module's table, as a ``pandas.Timedelta``.

    Parameters
    ----------
    value : str or datetime.timedelta
        ``"P7D"``, ``"7D"``, ``"week"``, ``timedelta(days=7)``...
    name : str, default "duration"
        The parameter's name, for the message.
    allow_zero : bool, default False
        Accept a zero length (an offset such as ``"P0D"``).

    Examples
    --------
    >>> [duration(v).days for v in ("P7D", "7D", "week", pd.Timedelta(days=7))]
    [7, 7, 7, 7]
    >>> duration(7, "window")
    Traceback (most recent call last):
    ...
    mlcheckup.errors.ValidationError: window must be a positive duration such as 'PT5M' or 'P7D' (ISO 8601, as Azure writes them), '5min' or '7D' (pandas), 'week', or a timedelta (got 7); a bare number has no unit
    """
    result, why = None, ""
    if isinstance(value, str) and value.strip().lower() in DURATION_WORDS:
        result = DURATION_WORDS[value.strip().lower()]
    elif isinstance(value, str) and value.strip().upper().startswith("P"):
        try:
            result = parse_iso_duration(value, name)
        except ValidationError:
            why = "; ISO 8601 durations look like 'P1DT12H' (date part, then T, then time part)"
    elif isinstance(value, str | _dt.timedelta | np.timedelta64) and not isinstance(value, bool):
        if isinstance(value, str) and value.strip().lower() == "month":
            why = "; a month has no fixed length: write 'P30D' for 30 days"
        else:
            try:
                result = pd.Timedelta(value)
            except (TypeError, ValueError):
                why = "; months and years have no fixed length" if re.search(r"\d\s*[MYy]$", str(value)) \
                    else _calendar(value)
    elif _real(value) is not None:
        why = "; a bare number has no unit"
    if result is not None and (pd.isna(result) or result < pd.Timedelta(0) or (result == pd.Timedelta(0)
                                                                            and not allow_zero)):
        result, why = None, ""
    if result is None:
        kind = "a duration of zero or more" if allow_zero else "a positive duration"
        raise ValidationError(f"{name} must be {kind} such as {DURATION_EXAMPLES} (got {value!r}){why}")
    return result


def iso_duration(value) -> str:
    """A duration as Azure writes it: ``PT5M``, ``PT1H``, ``P1D``, ``PT1H30M`` (any spelling in).

    >>> iso_duration(pd.Timedelta(minutes=90)), iso_duration("7D"), iso_duration("P0D")
    ('PT1H30M', 'P7D', 'PT0S')
    """
    total = int(duration(value, allow_zero=True).total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return text + ("T" + clock if clock else "") if text + clock != "P" else "PT0S"


def pandas_freq(value, name: str = "freq") -> pd.offsets.Tick:
    """A duration, in any spelling of the module's table, as the fixed pandas frequency that resamples by it.

    For a parameter that groups rows into windows (``pd.Grouper``, ``date_range``, ``dt.floor``):
    ``"week"``, ``"P7D"``, ``"7D"`` and ``timedelta(days=7)`` all cut the same 7-day windows.

    >>> pandas_freq("week"), pandas_freq("PT6H"), pandas_freq("15min")
    (<7 * Days>, <6 * Hours>, <15 * Minutes>)
    """
    step = duration(value, name)
    days, rest = divmod(step, pd.Timedelta(days=1))
    return pd.offsets.Day(days) if days and not rest else pd.tseries.frequencies.to_offset(step)
