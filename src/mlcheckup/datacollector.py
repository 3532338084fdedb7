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

import contextlib
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

from ._azureml_names import (
    DEFAULT_COLLECTIONS,
    MODEL_INPUTS,
    MODEL_OUTPUTS,
    check_collections,
    check_sampling_rate,
    collection_entry,
    collector_config,
)
from ._loopback import LoopbackService, RequestRefused, load_json
from ._process import disk_full_error, is_disk_full, path_component, private_opener, session_dir
from .errors import ValidationError

__all__ = ["DEFAULT_COLLECTIONS", "LAYOUT_ROOT", "MODEL_INPUTS", "MODEL_OUTPUTS", "DataCollectionWarning",
           "DataCollectorSink", "check_collections", "check_sampling_rate", "collection_entry",
           "collection_folder", "collector_config", "join_collected", "read_collected"]

LAYOUT_ROOT = "modelDataCollector"
_SINK_COLLECTION = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_LOCAL_SCOPE = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/"
                "Microsoft.MachineLearningServices/workspaces/local")


class DataCollectionWarning(UserWarning):
    """Collected data was lost on the way to storage (a full Collector queue, no sink, a full disk)."""


def collection_folder(root: str | os.PathLike, endpoint: str, deployment: str, collection: str) -> Path:
    """``<root>/modelDataCollector/<endpoint>/<deployment>/<collection>``: where Azure puts one collection.

    Raises
    ------
    ValidationError
        If a name could leave that folder (``/``, ``..``) or is not plain ASCII.
    """
    return (Path(root) / LAYOUT_ROOT / path_component("endpoint", endpoint)
            / path_component("deployment", deployment) / path_component("collection", collection))


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
    lost : collections.Counter
        Payloads refused because they could not be stored, by reason (``disk_full``,
        ``write_failed``). Kept in memory: a full disk cannot erase the count.

    Taught in lesson 02.
    """

    def __init__(self, endpoint: str, deployment: str, *, root: str | os.PathLike | None = None,
                 instance: str = "local", port: int = 0) -> None:
        super().__init__(port)
        self.endpoint = path_component("endpoint", endpoint)
        self.deployment = path_component("deployment", deployment)
        self.instance = path_component("instance", instance)
        self.root = Path(root) if root else session_dir()
        self.label = f"data collector sink for {endpoint}/{deployment}"
        self.received: Counter = Counter()
        self.lost: Counter = Counter()
        self.last_received = 0.0
        self._lock = threading.Lock()

    def collector_environment(self) -> dict:
        """Environment variables that make the Collector post here."""
        return {"AZUREML_MDC_HOST": self.host, "AZUREML_MDC_PORT": str(self.port)}

    def folder(self, collection: str) -> Path:
        """Folder of one collection in the blob layout."""
        return collection_folder(self.root, self.endpoint, self.deployment, collection)

    def route(self, method, path):
        if method != "POST" or path.split("?")[0] != "/modeldata/log":
            return 404, {"error": f"{method} {path} is not a data collector route; POST /modeldata/log"}
        return None

    def handle(self, method, path, headers, body):
        event_type = headers.get("ce-type", "")
        prefix = "azureml.inference."
        if not event_type.startswith(prefix):
            return 400, {"error": f"ce-type header must be 'azureml.inference.<collection>' (got {event_type!r})"}
        collection = event_type[len(prefix):]
        if not _SINK_COLLECTION.fullmatch(collection):  # it becomes a folder name: no '/', no '..'
            return 400, {"error": f"collection name must be letters, digits, '_' or '-' (got {collection!r} "
                                  f"from ce-type {event_type!r}); name the Collector e.g. 'model_inputs'"}
        hint = "the Collector sends DataFrame.to_json(orient='records'): a list of objects"
        try:
            data = load_json(body, headers, "the payload")
        except RequestRefused as refused:
            raise RequestRefused(400, f"{refused.message}; {hint}") from None
        if not isinstance(data, list) or not all(isinstance(record, dict) for record in data):
            got = type(data).__name__ if not isinstance(data, list) else \
                f"a list holding {type(next(r for r in data if not isinstance(r, dict))).__name__}"
            return 400, {"error": f"the payload must be a JSON list of objects, one per row (got {got}); {hint}"}
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
        text = (json.dumps(line) + "\n").encode("utf-8")
        with self._lock:
            try:
                self._append(target, text)
            except OSError as error:
                reason = "disk_full" if is_disk_full(error) else "write_failed"
                self.lost[reason] += 1
                if reason == "disk_full":
                    self._record(disk_full_error(f"store a {collection} payload", target, error))
                    return 507, {"error": f"disk full: the payload was not stored ({error})"}
                self._record(error)
                return 500, {"error": f"the payload was not stored: {type(error).__name__}: {error}"}
            self.received[collection] += 1
            self.last_received = time.monotonic()
        return 200, {}

    @staticmethod
    def _append(target: Path, text: bytes) -> None:
        """Append one whole line to ``target`` (0600), or nothing: a failed write is cut back off."""
        target.parent.mkdir(parents=True, exist_ok=True)  # under the run folder, which is 0700
        with open(target, "ab", buffering=0, opener=private_opener) as out:
            start = out.seek(0, os.SEEK_END)
            try:
                view = memoryview(text)
                while view:
                    view = view[out.write(view):]
            except OSError:
                # no torn line left behind; if even that fails, the reader names the line and skips it
                with contextlib.suppress(OSError):
                    os.ftruncate(out.fileno(), start)
                raise

    def wait_for(self, collection: str, count: int, *, timeout: float = 10.0, lost=None, give_up=None) -> int:
        """Wait until ``count`` payloads of ``collection`` have arrived; return how many did.

        Parameters
        ----------
        lost : callable, optional
            Returns the number of payloads known to be lost on the way (they will never come);
            the wait ends when arrived + lost reaches ``count``.
        give_up : callable, optional
            Returns True when the rest will never come (a worker died with them): the wait ends.
        """
        deadline = time.monotonic() + timeout
        while self.received[collection] + (lost() if lost else 0) < count and time.monotonic() < deadline:
            if give_up is not None and give_up():
                break
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

    Warns
    -----
    DataCollectionWarning
        If a line is damaged (torn by a full disk or a crash, or edited by hand): it is skipped,
        named, and every intact line is read.

    Taught in lesson 02.
    """
    folder = collection_folder(root, endpoint, deployment, collection)
    lo, hi = _utc(start), _utc(end)
    records, damaged = [], []
    for path in sorted(folder.glob("[0-9]*/[0-9]*/[0-9]*/[0-9]*/*.jsonl")):
        hour = _hour(path)
        if (lo is not None and hour < lo.floor("h")) or (hi is not None and hour >= hi):
            continue
        with open(path, encoding="utf-8", errors="replace") as lines:
            for number, text in enumerate(lines, 1):
                try:
                    line = json.loads(text)
                    data = line.get("data")
                except (ValueError, RecursionError, AttributeError):
                    damaged.append(f"{path}, line {number} ({text[:60]!r})")
                    continue
                if not isinstance(data, list) or not all(isinstance(record, dict) for record in data):
                    damaged.append(f"{path}, line {number} (its data is not a list of objects)")
                    continue
                for index, record in enumerate(data):
                    row = {**record, "correlationid": f"{line.get('correlationid')}_{index}"}
                    if with_time:
                        row["time"] = line.get("time")
                    records.append(row)
    if damaged:
        warnings.warn(DataCollectionWarning(
            f"{len(damaged)} damaged line(s) skipped, every intact line read: {'; '.join(damaged[:3])}"
            + (" ..." if len(damaged) > 3 else "")
            + "; a line torn by a full disk or a crash holds no usable rows (a hand-edited file: collect again)"),
            stacklevel=2)
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
