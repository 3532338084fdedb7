"""Model data collection offline: the sink the Collector posts to, and the reader of what it wrote.

In an Azure ML deployment, ``azureml-ai-monitoring``'s ``Collector`` POSTs every collected
DataFrame to a sidecar on ``127.0.0.1:50011/modeldata/log``, which writes it to blob storage as
one JSON line per payload under::

    modelDataCollector/{endpoint}/{deployment}/{collection}/yyyy/MM/dd/HH/{instance}.jsonl

:class:`DataCollectorSink` is that sidecar, on a free loopback port, writing the same layout and
the same fields (``specversion``, ``id``, ``source``, ``type``, ``datacontenttype``, ``time``,
``data``, ``correlationid``, ``xrequestid``, ``modelversion``, ``collectdatatype``, ``agent``,
``contentrange``) under this process's run folder. :func:`read_collected` reads them back as
Azure model monitoring does: one row per record, with the per-row correlation id
``<correlationid>_<i>``, so that :func:`join_collected` can line inputs up with outputs.

The Collector reports a dropped payload only through its ``on_error`` callback (a full queue),
and a payload it cannot deliver only in its own log. The course's score.py counts both
(:class:`mlcheckup.serving.CollectorGuard`) and a local endpoint turns the count into a
:class:`DataCollectionWarning`; nothing is lost silently.

Taught in lesson 02.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ._loopback import LoopbackService
from ._process import session_dir
from .errors import ValidationError

#: Collections that Azure model monitoring discovers by name.
MODEL_INPUTS, MODEL_OUTPUTS = "model_inputs", "model_outputs"
#: What a monitored deployment collects by default.
DEFAULT_COLLECTIONS = (MODEL_INPUTS, MODEL_OUTPUTS)
LAYOUT_ROOT = "modelDataCollector"
_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_SINK_COLLECTION = re.compile(r"^[A-Za-z0-9_-]+$")
_LOCAL_SCOPE = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/"
                "Microsoft.MachineLearningServices/workspaces/local")


class DataCollectionWarning(UserWarning):
    """Collected data was lost on the way to storage (a full Collector queue, or no sink)."""


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
    bad = [name for name in names if not isinstance(name, str) or not _COLLECTION_NAME.match(name)]
    if bad:
        raise ValidationError(f"collection names are letters, digits and '_' (got {bad}); "
                              f"e.g. {MODEL_INPUTS!r}, the name score.py's Collector uses")
    return names


def check_sampling_rate(sampling_rate) -> float:
    """``sampling_rate`` as a float in (0, 1], as Azure's schema requires; else :class:`ValidationError`."""
    try:
        rate = float(sampling_rate)
    except (TypeError, ValueError):
        rate = float("nan")
    if isinstance(sampling_rate, bool) or not 0.0 < rate <= 1.0:
        raise ValidationError(f"sampling_rate must be in (0, 1] (got {sampling_rate!r}); 1.0 collects every request")
    return rate


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


def collection_folder(root: str | os.PathLike, endpoint: str, deployment: str, collection: str) -> Path:
    """``<root>/modelDataCollector/<endpoint>/<deployment>/<collection>``: where Azure puts one collection."""
    return Path(root) / LAYOUT_ROOT / endpoint / deployment / collection


class DataCollectorSink(LoopbackService):
    """The model data collector sidecar, on 127.0.0.1: ``POST /modeldata/log`` → blob-layout JSONL.

    Parameters
    ----------
    endpoint, deployment : str
        Names that go into the folder layout and the ``source`` field.
    root : path, optional
        Folder that receives ``modelDataCollector/`` (a workspace's blob store); this process's
        run folder by default.
    instance : str, default "local"
        File name of the hourly JSONL file (Azure uses the instance id).
    port : int, default 0
        0 picks a free port. Point the Collector at it with ``AZUREML_MDC_HOST`` and
        ``AZUREML_MDC_PORT`` (see :meth:`collector_environment`).

    Attributes
    ----------
    received : collections.Counter
        Payloads written, per collection.

    Taught in lesson 02.
    """

    def __init__(self, endpoint: str, deployment: str, *, root: str | os.PathLike | None = None,
                 instance: str = "local", port: int = 0) -> None:
        super().__init__(port)
        self.endpoint, self.deployment, self.instance = endpoint, deployment, instance
        self.root = Path(root) if root else session_dir()
        self.label = f"data collector sink for {endpoint}/{deployment}"
        self.received: Counter = Counter()
        self.last_received = 0.0
        self._lock = threading.Lock()

    def collector_environment(self) -> dict:
        """Environment variables that make the Collector post here."""
        return {"AZUREML_MDC_HOST": self.host, "AZUREML_MDC_PORT": str(self.port)}

    def folder(self, collection: str) -> Path:
        """Folder of one collection in the blob layout."""
        return collection_folder(self.root, self.endpoint, self.deployment, collection)

    def handle(self, method, path, headers, body):
        if method != "POST" or path.split("?")[0] != "/modeldata/log":
            return 404, {"error": f"{method} {path} is not a data collector route; POST /modeldata/log"}
        event_type = headers.get("ce-type", "")
        prefix = "azureml.inference."
        if not event_type.startswith(prefix):
            return 400, {"error": f"ce-type header must be 'azureml.inference.<collection>' (got {event_type!r})"}
        collection = event_type[len(prefix):]
        if not _SINK_COLLECTION.match(collection):  # it becomes a folder name: no '/', no '..'
            return 400, {"error": f"collection name must be letters, digits, '_' or '-' (got {collection!r} "
                                  f"from ce-type {event_type!r}); name the Collector e.g. 'model_inputs'"}
        try:
            data = json.loads(body)
        except ValueError as error:
            return 400, {"error": f"the payload is not JSON ({error}); the Collector sends "
                                  "DataFrame.to_json(orient='records')"}
        try:
            stamp = datetime.fromtimestamp(float(headers.get("ce-time") or time.time()), tz=UTC)
        except (ValueError, OverflowError, OSError):
            return 400, {"error": f"ce-time header must be seconds since the epoch (got {headers.get('ce-time')!r})"}
        correlation = headers.get("ce-x-request-id")
        line = {
            "specversion": "1.0",
            "id": headers.get("trace-id"),
            "source": f"{_LOCAL_SCOPE}/onlineEndpoints/{self.endpoint}/deployments/{self.deployment}",
            "type": event_type,
            "datacontenttype": headers.get("Content-Type", "application/json"),
            "time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": data,
            "correlationid": correlation,
            "xrequestid": correlation,
            "modelversion": headers.get("ce-model-version", "default"),
            "collectdatatype": headers.get("ce-collect-data-type"),
            "agent": headers.get("ce-agent"),
            "contentrange": f"bytes 0-{max(len(body) - 1, 0)}/{len(body)}",
        }
        target = self.folder(collection) / stamp.strftime("%Y/%m/%d/%H") / f"{self.instance}.jsonl"
        text = json.dumps(line) + "\n"
        with self._lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8") as out:
                out.write(text)
            self.received[collection] += 1
            self.last_received = time.monotonic()
        return 200, {}

    def wait_for(self, collection: str, count: int, *, timeout: float = 10.0, lost=None) -> int:
        """Wait until ``count`` payloads of ``collection`` have arrived; return how many did.

        Parameters
        ----------
        lost : callable, optional
            Returns the number of payloads known to be lost on the way (they will never come);
            the wait ends when arrived + lost reaches ``count``.
        """
        deadline = time.monotonic() + timeout
        while self.received[collection] + (lost() if lost else 0) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received[collection]

    def wait_idle(self, quiet: float = 0.5, timeout: float = 10.0) -> bool:
        """Wait until no payload has arrived for ``quiet`` seconds (the Collector sends in the background).

        A best effort for sampled collections, whose payload count is unknown; returns False, with
        a :class:`DataCollectionWarning`, if payloads were still arriving after ``timeout`` s.
        """
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        while time.monotonic() < deadline:
            last = max(self.last_received, start)
            if time.monotonic() - last >= quiet:
                return True
            time.sleep(0.05)
        warnings.warn(DataCollectionWarning(f"{self.label}: payloads were still arriving after {timeout:g} s; "
                                            "the rows read now may be incomplete"), stacklevel=3)
        return False

    def read(self, collection: str, **kwargs) -> pd.DataFrame:
        """:func:`read_collected` for one collection of this sink."""
        return read_collected(self.root, self.endpoint, self.deployment, collection, **kwargs)


def _hour(path: Path) -> datetime:
    year, month, day, hour = (int(p) for p in path.parts[-5:-1])
    return datetime(year, month, day, hour, tzinfo=UTC)


def _utc(value) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def read_collected(root: str | os.PathLike, endpoint: str, deployment: str, collection: str, *,
                   start: datetime | str | None = None, end: datetime | str | None = None,
                   with_time: bool = False) -> pd.DataFrame:
    """Read one collection as Azure model monitoring does: one row per collected record.

    Parameters
    ----------
    root : path
        Folder holding ``modelDataCollector/`` (``DataCollectorSink.root``).
    endpoint, deployment, collection : str
        Which collection, e.g. ``"model_inputs"``.
    start, end : datetime or str, optional
        Keep hourly partitions in ``[start, end)``, as a monitor's data window does (UTC).
    with_time : bool, default False
        Add the payload's ``time`` as a ``time`` column (UTC datetimes).

    Returns
    -------
    pandas.DataFrame
        The collected columns plus ``correlationid`` = ``<payload correlationid>_<row index>``;
        empty (with only ``correlationid``) when nothing was collected.

    Taught in lesson 02.
    """
    folder = collection_folder(root, endpoint, deployment, collection)
    lo, hi = _utc(start), _utc(end)
    records = []
    for path in sorted(folder.glob("[0-9]*/[0-9]*/[0-9]*/[0-9]*/*.jsonl")):
        hour = _hour(path)
        if (lo is not None and hour < lo.floor("h")) or (hi is not None and hour >= hi):
            continue
        with open(path, encoding="utf-8") as lines:
            for number, text in enumerate(lines, 1):
                try:
                    line = json.loads(text)
                except ValueError:
                    raise ValidationError(f"{path}, line {number}, is not JSON ({text[:80]!r}); "
                                          "was the file edited by hand? delete it and collect again") from None
                for index, record in enumerate(line.get("data") or []):
                    row = {**record, "correlationid": f"{line.get('correlationid')}_{index}"}
                    if with_time:
                        row["time"] = line.get("time")
                    records.append(row)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame({"correlationid": []})
    if with_time and "time" in frame:
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def join_collected(inputs: pd.DataFrame, outputs: pd.DataFrame, on: str = "correlationid") -> pd.DataFrame:
    """Join model inputs to model outputs row by row on the per-row correlation id.

    Returns the inputs' columns, then the outputs' (a clash gets the suffix ``_output``).
    Rows with no partner are dropped, as an inner join does.

    Raises
    ------
    ValidationError
        If either table lacks ``on`` or has it twice for one row.

    Taught in lesson 02.
    """
    for name, table in (("inputs", inputs), ("outputs", outputs)):
        if on not in table:
            raise ValidationError(f"{name} has no {on!r} column (columns: {list(table.columns)[:8]}); "
                                  "read them with read_collected()")
        if table[on].duplicated().any():
            raise ValidationError(f"{name} has repeated {on!r} values; each row must have its own id")
    return inputs.merge(outputs, on=on, how="inner", suffixes=("", "_output"))
