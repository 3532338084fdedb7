"""Reading what a local endpoint's data collector stored, and what it lost (private).

:class:`CollectedData` is a mixin of :class:`~mlcheckup.endpoint.LocalEndpoint`. It needs from
the endpoint: ``sink`` (a :class:`~mlcheckup.datacollector.DataCollectorSink` or None),
``collections``, ``sampling_rate``, ``label``, ``state``, ``log_path``, ``_scored`` (2xx answers to
``POST /score``), ``_server_log()`` and ``worker_restarts()``.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter

import pandas as pd

from ._lifecycle import State
from .datacollector import DataCollectionWarning, collector_config
from .errors import ServerError

__all__ = ["LOSS_ADVICE", "CollectedData", "loss_message"]

#: What to do about lost payloads, by reason.
LOSS_ADVICE = {
    "queue_full": "the Collector's queue was full: send fewer requests per second",
    "undelivered": "the sink did not take them (it was stopped, failed, or refused them: see endpoint.logs())",
    "disk_full": "the disk is full: free some space",
    "write_failed": "the sink could not write them: see the sink's error",
    "worker_restarts": "a worker died with them in its queue",
    "error": "see the warnings in endpoint.logs()",
}


def loss_message(lost: Counter) -> str:
    """``"<n> payload(s) (<by reason>): <advice>; <advice>"`` for a count of lost payloads by reason."""
    return (f"{sum(lost.values())} payload(s) ({dict(lost)}): "
            + "; ".join(LOSS_ADVICE.get(reason, LOSS_ADVICE["error"]) for reason in lost))


class CollectedData:
    """``collected()``, ``data_collection_errors()`` and ``collection_events()`` of a local endpoint."""

    def data_collection_errors(self) -> Counter:
        """Collected payloads lost so far, by reason (``queue_full``, ``undelivered``, ``disk_full``, ...).

        Counted from the server's log (what the Collector could not queue or deliver) and from the
        sink's own count of payloads it could not store, which it keeps in memory: on a full disk
        the log loses its lines too, so a payload refused by the sink counts at least once.
        """
        if self.log_path is None:
            return Counter()
        log = self._server_log()
        log.update()
        lost = Counter(log.lost)
        if self.sink is not None and self.sink.lost:
            refused = sum(self.sink.lost.values())
            # each payload the sink refused is also an "undelivered" line in the log, when the disk lets it be written
            lost["undelivered"] = max(0, lost["undelivered"] - refused)
            lost.update(self.sink.lost)
        return +lost

    def _expected_payloads(self, collection: str) -> int | None:
        """Payloads ``collection`` should have received so far; None when sampling makes it unknown."""
        entry = collector_config(self.collections, self.sampling_rate)["collections"].get(collection)
        if not entry or not entry.get("enabled", True):
            return 0
        return self._scored if entry.get("sampleRatePercentage", 100) >= 100 else None

    def _wait_for_payloads(self, collection: str, timeout: float) -> None:
        expected = self._expected_payloads(collection)
        if expected is None:
            self.sink.wait_idle(timeout=timeout)
            return

        def lost() -> int:
            return sum(self.data_collection_errors().values())

        began = time.monotonic()

        def died_with_a_worker() -> bool:  # a worker died and the sink has been quiet: the rest never comes
            quiet = time.monotonic() - max(self.sink.last_received, began) >= 0.5
            return quiet and bool(self.worker_restarts())

        arrived = self.sink.wait_for(collection, expected, timeout=timeout, lost=lost, give_up=died_with_a_worker)
        restarts = self.worker_restarts()
        missing = max(0, expected - arrived - lost())
        if missing and restarts:
            warnings.warn(DataCollectionWarning(
                f"{len(restarts)} worker(s) of {self.label} died and were restarted "
                f"({', '.join(restarts[:3])}): {missing} of {expected} {collection} payloads are lost "
                "with them (they were still in the dead worker's Collector queue), and so is the "
                "telemetry it had not exported yet (up to 5 s); these rows are incomplete"), stacklevel=3)
        elif missing:
            warnings.warn(DataCollectionWarning(
                f"only {arrived} of {expected} {collection} payloads arrived within {timeout:g} s "
                f"(one per scored request); these rows are incomplete: call collected() again, "
                "or pass a longer timeout="), stacklevel=3)

    def collected(self, collection: str, *, wait: bool = True, timeout: float = 10.0, **kwargs):
        """The rows collected so far for ``collection`` (see :func:`mlcheckup.datacollector.read_collected`).

        The Collector sends in the background, a few milliseconds after each request. With
        ``wait`` (default) this first waits until the sink has one payload per request that
        :meth:`post` (or :meth:`invoke`) got a 2xx answer to, as the course's score.py collects
        inputs and outputs of every scored request; a sampled collection is waited for until it
        has been quiet for half a second.

        Warns
        -----
        DataCollectionWarning
            If payloads are still missing after ``timeout`` seconds, or were lost on the way
            (a full Collector queue, a stopped sink, a full disk, a worker that died with
            payloads in its queue: the message names the cause and the count); the rows
            returned then lack them.

        Raises
        ------
        ServerError
            If the endpoint collects nothing, or the sink failed to store a payload.

        Taught in lesson 02.
        """
        if self.sink is None:
            raise ServerError(f"{self.label} collects no data; create it with collections=('model_inputs', "
                              "'model_outputs') or deploy with a data_collector")
        if wait and self.state is State.RUNNING:
            self._wait_for_payloads(collection, timeout)
        self.sink.check()  # a payload the sink failed to store is missing: say so, do not return less
        lost = self.data_collection_errors()
        if sum(lost.values()):
            warnings.warn(DataCollectionWarning(
                f"{self.label} lost {loss_message(lost)}; these rows are missing"), stacklevel=2)
        return self.sink.read(collection, **kwargs)

    def collection_events(self) -> pd.DataFrame:
        """One row per payload the sink stored so far: ``TimeGenerated``, ``type`` (the collection), ``DeploymentName``.

        What Azure counts as ``DataCollectionEventsPerMinute`` (see :mod:`mlcheckup.platform_metrics`);
        it does not wait for payloads still on their way.
        """
        frames = []
        names = collector_config(self.collections, self.sampling_rate)["collections"] if self.sink else {}
        for name in names:
            rows = self.sink.read(name, with_time=True)
            if "time" not in rows or rows.empty:
                continue
            payload = rows["correlationid"].str.rsplit("_", n=1).str[0]
            first = rows.assign(payload=payload).drop_duplicates("payload")
            frames.append(pd.DataFrame({"TimeGenerated": first["time"], "type": name,
                                        "DeploymentName": self.deployment}))
        columns = ["TimeGenerated", "type", "DeploymentName"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
