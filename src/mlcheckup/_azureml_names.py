"""What Azure ML calls things, and which names it accepts (private; re-exported where they are taught).

The vocabulary shared by the SDK entity builders (:mod:`mlcheckup.entities`) and the local services
(:mod:`mlcheckup.datacollector`, :mod:`mlcheckup.endpoint`): the collections Azure model monitoring
finds by name, the collector config a deployment is started with, and endpoint and deployment names.
"""

from __future__ import annotations

import re

from . import _validate
from .errors import ValidationError

__all__ = ["DEFAULT_COLLECTIONS", "MAX_REQUEST_TIMEOUT_MS", "MODEL_INPUTS", "MODEL_OUTPUTS", "check_collections", "check_name",
           "check_sampling_rate", "collection_entry", "collector_config"]

#: Collections that Azure model monitoring discovers by name.
MODEL_INPUTS, MODEL_OUTPUTS = "model_inputs", "model_outputs"
#: What a monitored deployment collects by default.
DEFAULT_COLLECTIONS = (MODEL_INPUTS, MODEL_OUTPUTS)
#: The longest ``request_timeout_ms`` of a managed online deployment (Learn, *Troubleshoot online
#: endpoints* and *quotas and limits*: 180 s); the deployment builder and the local front end both hold to it.
MAX_REQUEST_TIMEOUT_MS = 180_000
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9_]+", re.ASCII)  # fullmatch: no trailing newline, ASCII only


def check_collections(collections) -> tuple[str, ...]:
    """The collection names of ``collections`` (a list of names, or the keys of a dict), checked.

    Raises
    ------
    ValidationError
        If ``collections`` is one string (it would be read letter by letter) or a name is not
        letters, digits and ``_`` (it becomes a folder name).
    """
    if isinstance(collections, str | bytes):
        raise ValidationError(f"collections must be a list of collection names such as {DEFAULT_COLLECTIONS}, "
                              f"not the string {collections!r} (a string is read letter by letter); "
                              f"pass ({collections!r},)")
    try:
        names = tuple(collections)
    except TypeError:
        raise ValidationError(f"collections must be a list of collection names such as {DEFAULT_COLLECTIONS} "
                              f"(got {type(collections).__name__})") from None
    bad = [name for name in names if not isinstance(name, str) or not _COLLECTION_NAME.fullmatch(name)]
    if bad:
        raise ValidationError(f"collection names are letters, digits and '_' (got {bad}); "
                              f"e.g. {MODEL_INPUTS!r}, the name score.py's Collector uses")
    return names


def check_sampling_rate(sampling_rate) -> float:
    """``sampling_rate`` as a float in (0, 1], as Azure's schema requires; else :class:`ValidationError`."""
    return _validate.sampling_rate("sampling_rate", sampling_rate)


def collection_entry(enabled: bool = True, sampling_rate: float = 1.0) -> dict:
    """One collection of the collector config: ``{"enabled": True, "sampleRatePercentage": 100}``."""
    return {"enabled": bool(enabled), "sampleRatePercentage": round(100 * check_sampling_rate(sampling_rate))}


def collector_config(collections, sampling_rate: float = 1.0) -> dict:
    """The collector config Azure writes for a deployment (``AZUREML_MDC_CONFIG_PATH`` points to it).

    Parameters
    ----------
    collections : sequence of str, or dict
        Names to enable, each at ``sampling_rate``; or ``{name: entry}`` with entries as
        :func:`collection_entry` makes them (used as given).
    sampling_rate : float in (0, 1]
        Share of requests collected.

    Examples
    --------
    >>> collector_config(DEFAULT_COLLECTIONS, 0.25)["collections"]["model_inputs"]
    {'enabled': True, 'sampleRatePercentage': 25}
    """
    names = check_collections(collections or ())
    if isinstance(collections, dict):
        entries = {name: dict(collections[name]) for name in names}
    else:
        entries = {name: collection_entry(True, sampling_rate) for name in names}
    return {"collections": entries, "runMode": "cloud"}


def check_name(kind: str, name: str) -> None:
    """Raise :class:`ValidationError` unless ``name`` is a valid Azure ML endpoint/deployment name."""
    # ASCII only, and fullmatch: str.isalnum() passes full-width letters, and $ would pass a trailing newline
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{2,31}", name):
        raise ValidationError(f"{kind} name must be 3-32 letters, digits or '-', starting with a letter "
                              f"(got {name!r}); e.g. 'digits-endpoint'")
