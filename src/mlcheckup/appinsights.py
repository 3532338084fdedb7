"""Application Insights on your laptop: a loopback ingestion endpoint and the tables it fills.

:class:`AppInsightsIngestion` answers ``POST /v2.1/track`` (and ``//v2.1/track``, which an
endpoint URL with a trailing slash produces) exactly as the Azure ingestion service does, for
the real ``azure-monitor-opentelemetry`` exporter and for the inference server's own App
Insights logging. It stores every item in SQLite tables named and shaped like the classic App
Insights tables (``requests``, ``dependencies``, ``customEvents``, ``customMetrics``, ``traces``,
``exceptions``; columns in :mod:`mlcheckup._envelopes`), so a query written here reads like the
KQL you would run in the portal::

    KQL:  requests | where success == false | summarize count() by resultCode
    SQL:  SELECT resultCode, count(*) FROM requests WHERE success = false GROUP BY resultCode

and the KQL itself runs too: ``store.kql("requests | ...")`` (:mod:`mlcheckup.kql`).

``customDimensions`` is JSON text: ``json_extract(customDimensions, '$.confidence')`` plays the
role of KQL's ``customDimensions["confidence"]``.

As in App Insights, each item of a batch is checked on its own: a bad item is refused with its own
400 in a 206 answer and the others are stored. A store that cannot write (a full disk) answers 507,
counts the items in :attr:`AppInsightsIngestion.lost` and says "disk full" at the next query. The
store is created readable by its user only (0600).

Point a process at it with :func:`connection_string` (or :func:`telemetry_environment` for a
child process). Statsbeat, live metrics and every other call home stay off: starting an
ingestion endpoint also sets :data:`QUIET_ENVIRONMENT` in this process (without overriding).

Taught in lesson 05.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pandas as pd

from . import _envelopes
from ._loopback import LoopbackService, RequestRefused, load_json
from ._process import disk_full_error, is_disk_full, private_opener, session_dir
from ._progress import finish, progress
from .errors import ServerError, ValidationError

__all__ = ["LOCAL_INSTRUMENTATION_KEY", "QUIET_ENVIRONMENT", "SERVED_KEYS", "TABLES", "AppInsightsIngestion",
           "connection_string", "create_store", "quiet_telemetry", "read_store", "served_requests",
           "telemetry_environment"]

#: Instrumentation key used offline (App Insights keys are UUIDs; this one is all zeros).
LOCAL_INSTRUMENTATION_KEY = "00000000-0000-0000-0000-000000000000"
#: App Insights tables this store fills.
TABLES = tuple(_envelopes.TABLES)
_TRACK_PATHS = ("/v2.1/track", "//v2.1/track", "/v2/track")
#: Errors that a telemetry item's content can cause while it is mapped to rows (a 400 for that item).
_ITEM_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, ArithmeticError, RecursionError)
#: Environment that keeps the Azure Monitor exporter and OpenTelemetry from calling anywhere else
#: (set it before ``configure_azure_monitor``; :func:`quiet_telemetry` does that in a notebook).
QUIET_ENVIRONMENT = {
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_OPENTELEMETRY_RESOURCE_METRIC_DISABLED": "true",
    "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "django,fastapi,psycopg2,flask,requests,urllib,urllib3",
    # configure_azure_monitor() otherwise adds the azure_vm detector, which probes 169.254.169.254
    "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "otel",
}


def connection_string(ingestion_url: str, instrumentation_key: str = LOCAL_INSTRUMENTATION_KEY) -> str:
    """The App Insights connection string that sends telemetry to ``ingestion_url``.

    Parameters
    ----------
    ingestion_url : str
        Base URL of the ingestion endpoint, e.g. ``AppInsightsIngestion.url``.
    instrumentation_key : str
        The resource's key; any UUID offline.

    Returns
    -------
    str
        ``"InstrumentationKey=<key>;IngestionEndpoint=<url>"``, ready for
        ``configure_azure_monitor(connection_string=...)``.

    Examples
    --------
    >>> connection_string("http://127.0.0.1:5319")
    'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:5319'

    Taught in lesson 05.
    """
    if not str(ingestion_url).startswith(("http://", "https://")):
        raise ValidationError(
            f"ingestion_url must be an http(s) URL (got {ingestion_url!r}); pass AppInsightsIngestion.url"
        )
    return f"InstrumentationKey={instrumentation_key};IngestionEndpoint={str(ingestion_url).rstrip('/')}"


def quiet_telemetry() -> dict:
    """Set :data:`QUIET_ENVIRONMENT` in this process (keeping values already set); return them.

    Call it before ``configure_azure_monitor`` in a notebook: without it the distro probes the
    Azure VM metadata service and sends statsbeat to Microsoft.

    Taught in lesson 05.
    """
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in QUIET_ENVIRONMENT}


def telemetry_environment(ingestion_url: str, instrumentation_key: str = LOCAL_INSTRUMENTATION_KEY) -> dict:
    """Environment variables that send a process's App Insights telemetry to ``ingestion_url``.

    The exporter takes its ingestion endpoint from ``APPLICATIONINSIGHTS_CONNECTION_STRING``
    when the connection string in code has none, which is how the inference server's built-in
    logging (``InstrumentationKey=...`` only) is redirected here; :data:`QUIET_ENVIRONMENT` is
    included.
    """
    return {**QUIET_ENVIRONMENT, "APPLICATIONINSIGHTS_CONNECTION_STRING": connection_string(ingestion_url,
                                                                                           instrumentation_key)}


def _private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist (SQLite then gives its WAL the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(private_opener(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))


def create_store(path: str | os.PathLike) -> Path:
    """Create the SQLite telemetry store at ``path`` (0600, its tables if missing); return the path.

    Raises
    ------
    DiskFullError
        If the disk is full.
    """
    path = Path(path)
    try:
        _private_file(path)
        with contextlib.closing(sqlite3.connect(path)) as db, db:
            for statement in _envelopes.create_statements():
                db.execute(statement)
    except (OSError, sqlite3.Error) as error:
        if is_disk_full(error):
            raise disk_full_error("create the telemetry store", path, error) from None
        raise
    return path


def read_store(path: str | os.PathLike, sql: str, params=None) -> pd.DataFrame:
    """Run a read-only query over a telemetry store without any server (see :meth:`AppInsightsIngestion.query`)."""
    return _read(Path(path), sql, params)


def _read(path: Path, sql: str, params) -> pd.DataFrame:
    if not path.exists():
        raise ValidationError(f"no telemetry store at {path}; start an AppInsightsIngestion first")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        try:
            frame = pd.read_sql_query(sql, db, params=params)
        except (sqlite3.Error, pd.errors.DatabaseError) as error:
            raise ValidationError(
                f"the telemetry query failed: {error} (query: {sql.strip()[:200]!r}); "
                f"tables are {', '.join(TABLES)} with App Insights column names"
            ) from None
    if "timestamp" in frame and len(frame):
        try:
            frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
        except (ValueError, TypeError, OverflowError):
            bad = next((v for v in frame["timestamp"] if pd.to_datetime(v, utc=True, format="ISO8601",
                                                                        errors="coerce") is pd.NaT), None)
            raise ValidationError(
                f"the timestamp column of this query holds {bad!r}, which is not an ISO-8601 time; "
                "name that column something else (AS ...), or select the stored timestamp as it is"
            ) from None
    if "success" in frame and frame["success"].notna().all() and len(frame):
        frame["success"] = frame["success"].astype(bool)
    return frame


#: Keys of ``customDimensions`` in which the inference server's own request rows carry what it served.
SERVED_KEYS = ("resultCode", "success", "duration", "start_time")


def served_requests(requests: pd.DataFrame) -> pd.DataFrame:
    """The inference server's ``requests`` rows with the values it served, read from ``customDimensions``.

    App Insights stores the server's rows as the exporter sent them: ``resultCode "0"``,
    ``success`` true and ``duration`` about 0 ms, whatever the response was (the row is written
    after the response). The server puts the real values in ``customDimensions``; this does
    what the KQL below does on Azure, where ``requests | where success == false`` finds none of
    the server's failures::

        requests
        | where isnotempty(customDimensions.resultCode)
        | extend resultCode = tostring(customDimensions.resultCode),
                 success = tostring(customDimensions.success) =~ "true",
                 duration = totimespan(customDimensions.duration) / 1ms,
                 timestamp = todatetime(customDimensions.start_time)

    Parameters
    ----------
    requests : pandas.DataFrame
        Rows of the ``requests`` table with at least ``customDimensions``, as returned by
        ``query("SELECT * FROM requests")``.

    Returns
    -------
    pandas.DataFrame
        The rows that carry the server's values (other rows are left out), with ``resultCode``,
        ``success``, ``duration`` (ms), ``timestamp`` (the request's start) and
        ``performanceBucket`` replaced by what the server served; ``customDimensions`` unchanged.

    Raises
    ------
    ValidationError
        If ``requests`` has no ``customDimensions`` column.

    Taught in lessons 02 and 05.
    """
    if not isinstance(requests, pd.DataFrame) or "customDimensions" not in requests:
        raise ValidationError("served_requests needs rows of the requests table with their customDimensions "
                              "column; pass query('SELECT * FROM requests')")
    dims = [json.loads(text or "{}") for text in requests["customDimensions"]]
    keep = [all(key in d for key in SERVED_KEYS) for d in dims]
    out = requests.loc[keep].copy()
    served = [d for d, k in zip(dims, keep, strict=True) if k]
    out["resultCode"] = [str(d["resultCode"]) for d in served]
    out["success"] = [str(d["success"]).strip().lower() == "true" for d in served]
    out["duration"] = [_envelopes.duration_ms(d["duration"]) for d in served]
    out["timestamp"] = pd.to_datetime([d["start_time"] for d in served], utc=True, format="ISO8601")
    if "performanceBucket" in out:
        out["performanceBucket"] = out["duration"].map(_envelopes.performance_bucket)
    return out.reset_index(drop=True)


class AppInsightsIngestion(LoopbackService):
    """A local Application Insights ingestion endpoint that stores telemetry in SQLite.

    Parameters
    ----------
    path : path, optional
        SQLite file; by default a new ``appinsights-<id>.sqlite`` in this process's run folder.
        An existing file is appended to.
    port : int, default 0
        Port on 127.0.0.1; 0 picks a free one.

    Examples
    --------
    >>> import requests
    >>> with AppInsightsIngestion() as ingestion:
    ...     answer = requests.post(ingestion.url + "/v2.1/track", json=[{"time": "2026-11-27T12:00:00Z",
    ...         "data": {"baseType": "EventData", "baseData": {"name": "Hello", "properties": {"k": "v"}}}}])
    ...     ingestion.query("SELECT name, customDimensions FROM customEvents")
       name customDimensions
    0  Hello       {"k": "v"}

    In a notebook the exporter posts those envelopes:
    ``configure_azure_monitor(connection_string=ingestion.connection_string)``.

    Taught in lesson 05.
    """

    def __init__(self, path: str | os.PathLike | None = None, port: int = 0) -> None:
        super().__init__(port)
        self.path = Path(path) if path else session_dir() / f"appinsights-{uuid.uuid4().hex[:8]}.sqlite"
        self.label = f"App Insights ingestion ({self.path.name})"
        self.received = 0
        self.rejected = 0
        #: Items accepted by HTTP but not stored, by reason (``disk_full``, ``store_failed``), kept in memory.
        self.lost: dict[str, int] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    @property
    def connection_string(self) -> str:
        """Connection string for ``configure_azure_monitor`` that targets this endpoint."""
        return connection_string(self.url)

    def _start(self) -> None:
        quiet_telemetry()  # exporters made in this process must not call home either
        try:
            _private_file(self.path)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for statement in _envelopes.create_statements():
                self._db.execute(statement)
        except (OSError, sqlite3.Error) as error:
            if is_disk_full(error):
                raise disk_full_error("create the telemetry store", self.path, error) from None
            raise
        super()._start()

    def _stop(self) -> None:
        super()._stop()
        if self._db is not None:
            with self._lock:
                self._db.close()

    def route(self, method, path):
        if method != "POST" or path.split("?")[0] not in _TRACK_PATHS:
            return 404, {"error": f"{method} {path} is not an App Insights ingestion route; POST /v2.1/track"}
        return None

    def refusal(self, refused: RequestRefused) -> dict:
        return {"itemsReceived": 0, "itemsAccepted": 0,
                "errors": [{"index": 0, "statusCode": refused.status, "message": refused.message}]}

    def handle(self, method, path, headers, body):
        envelopes = load_json(body or b"[]", headers)
        if isinstance(envelopes, dict):
            envelopes = [envelopes]
        if not isinstance(envelopes, list):
            raise RequestRefused(400, f"the body must be a JSON array of telemetry items, or one item "
                                      f"(got a JSON {type(envelopes).__name__}: {json.dumps(envelopes)[:40]})")
        by_table: dict[str, list[tuple]] = {}
        errors = []
        for index, envelope in enumerate(envelopes):
            try:  # each item on its own, as App Insights does: one bad item is one 400, not a lost batch
                table, new_rows = _envelopes.rows(envelope)
                cols = _envelopes.columns(table)
                by_table.setdefault(table, []).extend(tuple(r.get(c) for c in cols) for r in new_rows)
            except _ITEM_ERRORS as error:  # what an item can hold makes that item's 400, never a lost batch
                errors.append({"index": index, "statusCode": 400, "message": str(error) if isinstance(error, ValidationError)
                               else f"{type(error).__name__}: {error}"})
        accepted = len(envelopes) - len(errors)
        with self._lock:
            try:
                self._insert(by_table)
            except sqlite3.Error as error:
                reason = "disk_full" if is_disk_full(error) else "store_failed"
                self.lost[reason] = self.lost.get(reason, 0) + accepted
                self.received += len(envelopes)
                if reason == "disk_full":
                    self._record(disk_full_error(f"store {accepted} telemetry item(s)", self.path, error))
                    return 507, {"itemsReceived": len(envelopes), "itemsAccepted": 0,
                                 "errors": [{"index": i, "statusCode": 507, "message": "disk full"}
                                            for i in range(len(envelopes))]}
                raise
            self.received += len(envelopes)
            self.rejected += len(errors)
        return (206 if errors else 200), {"itemsReceived": len(envelopes), "itemsAccepted": accepted, "errors": errors}

    def _insert(self, by_table: dict[str, list[tuple]]) -> None:
        """Insert every row in one transaction; on failure nothing is stored and the store stays usable."""
        self._db.execute("BEGIN")
        try:
            for table, table_rows in by_table.items():
                marks = ", ".join("?" * len(_envelopes.columns(table)))
                self._db.executemany(f'INSERT INTO "{table}" VALUES ({marks})', table_rows)
            self._db.execute("COMMIT")
        except BaseException:
            # SQLite rolls back by itself on some errors (a full disk): a second ROLLBACK would raise
            # "cannot rollback - no transaction is active" and hide the real cause
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")  # else every later BEGIN fails
            raise

    def query(self, sql: str, params=None) -> pd.DataFrame:
        """Run a read-only SQL query over the telemetry tables.

        Parameters
        ----------
        sql : str
            SQLite SQL over ``requests``, ``dependencies``, ``customEvents``, ``customMetrics``,
            ``traces`` and ``exceptions``.
        params : sequence or dict, optional
            Query parameters (``?`` or ``:name`` placeholders).

        Returns
        -------
        pandas.DataFrame
            ``timestamp`` parsed to UTC datetimes and ``success`` to booleans when present.

        Raises
        ------
        ValidationError
            If the query is not valid SQL for these tables; the message lists the tables.
        ServerError
            If storing telemetry failed since the last call (those items are missing);
            :class:`~mlcheckup.errors.DiskFullError` if the disk was full (:attr:`lost` counts them).

        Taught in lesson 05.
        """
        self.check()
        return _read(self.path, sql, params)

    def kql(self, text: str, *, limit: int | None = None, now=None) -> pd.DataFrame:
        """Run a read-only KQL query over the telemetry tables, as in App Insights *Logs*.

        ``store.kql("requests | summarize count() by resultCode")``; see :func:`mlcheckup.kql.query`
        for the parameters, the column types and what differs from Azure.

        Taught in lesson 05.
        """
        from . import kql

        return kql.query(text, self, limit=kql.DEFAULT_LIMIT if limit is None else limit, now=now)

    def served_requests(self) -> pd.DataFrame:
        """The inference server's request rows with the values it served (see :func:`served_requests`)."""
        return served_requests(self.query("SELECT * FROM requests"))

    def count(self, table: str, where: str | None = None) -> int:
        """Number of rows in ``table`` (optionally filtered by an SQL ``where`` clause)."""
        if table not in TABLES:
            raise ValidationError(f"unknown table {table!r}; App Insights tables here are {', '.join(TABLES)}")
        sql = f'SELECT count(*) AS n FROM "{table}"' + (f" WHERE {where}" if where else "")
        return int(self.query(sql)["n"].iloc[0])

    def wait_for(self, table: str, count: int, *, where: str | None = None, timeout: float = 20.0) -> int:
        """Wait until ``table`` has at least ``count`` rows; return the number found.

        Exporters send in batches (the inference server every 5 s), so telemetry lands a few
        seconds after the request, as in Azure (where it takes minutes). A progress bar appears
        after 2 s.

        Raises
        ------
        ServerError
            If fewer than ``count`` rows arrived within ``timeout`` seconds, or storing telemetry
            failed.
        """
        self.check()
        deadline = time.monotonic() + timeout
        found = self.count(table, where)
        with progress(count, f"waiting for {table}", unit="row") as bar:
            while found < count and time.monotonic() < deadline:
                time.sleep(0.1)
                found = self.count(table, where)
                bar.update(min(found, count) - bar.n)
            if found >= count:
                finish(bar)
        if found < count:
            self.check()
            raise ServerError(
                f"only {found} of {count} {table} rows arrived in {timeout:.0f} s"
                + (f" (where {where})" if where else "")
                + "; is the exporter's connection string pointing at "
                f"{self.url}? (received {self.received} items so far)"
            )
        return found
