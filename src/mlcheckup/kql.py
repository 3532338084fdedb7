"""KQL (Kusto) on the local telemetry tables: the queries you would run in App Insights *Logs*.

On Azure every monitoring question is asked in KQL, in App Insights *Logs* and in Log Analytics.
:func:`query` runs the same text here, with ``duckdb-kql`` (Microsoft's KQL grammar, lowered to
DuckDB SQL; it refuses what it does not translate rather than guess)::

    from mlcheckup import kql
    kql.query('''requests
                 | summarize requests = count(), failed = countif(success == false) by bin(timestamp, 1h)
                 | order by timestamp asc''', store)          # or store.kql(...)

``source`` is an App Insights store (an :class:`~mlcheckup.appinsights.AppInsightsIngestion`, or the
SQLite file it writes) or a mapping ``{table_name: DataFrame}``, for any other table, e.g. the Log
Analytics tables of an online endpoint (``AmlOnlineEndpointTrafficLog`` with its ``TimeGenerated``).

**Typed as App Insights types them.** ``timestamp`` is a ``datetime`` (UTC), ``duration`` a ``real``
in milliseconds, ``success`` a ``bool``, ``itemCount`` a ``long``, ``customDimensions`` and
``customMeasurements`` are ``dynamic``: ``customDimensions.confidence``,
``tostring(customDimensions["reason"])`` and ``todouble(customMeasurements.jsd)`` work. In a mapping,
a column of dicts or lists, or one named ``customDimensions``, ``customMeasurements``, ``Properties``
or ``Measurements``, becomes ``dynamic``. Results come back as a :class:`pandas.DataFrame`: times as
UTC timestamps, ``dynamic`` values as JSON text.

**Read-only.** The store is opened read-only and copied into an in-memory DuckDB database (only the
tables the query names), which is kept while the store's files are unchanged; control commands
(``.set``, ``.append``...) are refused. (DuckDB cannot read the SQLite file directly here: its
``sqlite`` extension would be downloaded at run time.)

**Errors** are :class:`KqlError` (a :class:`~mlcheckup.errors.ValidationError`): a syntax error gives
the parser's own message with its line and column; a construct the local engine does not translate
gives one line with the nearest form that works here; an unknown table or column lists those that
exist. A result of more than ``limit`` rows is cut to ``limit`` with a warning, as the portal does.

Where the local engine differs from Azure (duckdb-kql 1.1.2; each row is checked by ``tests/test_kql.py``):

==============================  =====================================  ==========================================
KQL                             Azure (Log Analytics, App Insights)    here
==============================  =====================================  ==========================================
``bin(timestamp, 7d)``          weeks counted from 0001-01-01: each    counted from 1970-01-01: each week starts
                                week starts on a **Monday**            on a **Thursday**; say which day with
                                                                       ``startofweek()`` (Sunday); ``bin_at()`` is
                                                                       not supported
``percentile()``                a t-digest estimate (within ~1 %)      the exact nearest-rank value
``percentiles(x, 50, 95)``      several percentiles at once            refused: one ``percentile(x, 50)`` each
``dcount()``                    an estimate (HyperLogLog) beyond a     exact
                                few thousand distinct values
``make-series``                 one row per series, empty bins 0       refused: ``summarize ... by bin()`` (bins
                                                                       with no rows are absent, not 0)
``evaluate``, ``mv-apply``,     supported                              refused, with the nearest form
``top-nested``, ``series_*()``
``now()``, ``ago()``            the time the query runs                the same, or the ``now=`` you pass
time zones                      every ``datetime`` is UTC              the same, whatever this machine's zone
rows returned                   the Logs page shows at most 30,000     at most ``limit`` (30,000), with a warning
``dynamic`` in results          JSON values                            JSON text
``project Duration``            an error: names are case-sensitive     a column named in another case resolves
                                                                       (tables do not: ``Requests`` is an error)
==============================  =====================================  ==========================================

The same everywhere, and worth knowing: ``order by`` sorts descending unless told ``asc``; ``join``
without ``kind=`` is ``innerunique`` (one left row per key); ``long / long`` is an integer
(``todouble(failed) / requests``); ``tostring()`` of a missing property is ``""``; ``has`` matches
whole terms, ``contains`` substrings; ``summarize ... by bin(timestamp, 1h)`` keeps the name
``timestamp``.

Taught in lesson 05.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from . import _validate
from .errors import KqlError, ValidationError

__all__ = ["DEFAULT_LIMIT", "DYNAMIC_COLUMNS", "KqlError", "KqlTruncatedWarning", "query"]

#: Rows a query returns at most unless told otherwise (the Logs page of the portal shows 30,000).
DEFAULT_LIMIT = 30_000
#: Columns that hold ``dynamic`` values (App Insights and Log Analytics names).
DYNAMIC_COLUMNS = ("customDimensions", "customMeasurements", "Properties", "Measurements")
#: Nearest supported form for each construct the local engine refuses (keys: duckdb-kql's names).
_NEAREST = {
    "MakeSeriesOperator": ("make-series", "summarize ... by bin(timestamp, 1h) (bins without rows are absent)"),
    "aggregate:percentiles": ("percentiles()", "one percentile(x, 50), percentile(x, 95)... each"),
    "function:bin_at": ("bin_at()", "bin(), or startofweek() / startofday() to fix where a bin starts"),
    "EvaluateOperator": ("evaluate", "summarize, or extend with tostring(customDimensions.key) per property"),
    "MvapplyOperator": ("mv-apply", "mv-expand, then summarize"),
    "TopNestedOperatorPart": ("top-nested", "summarize ... by key | top N by ..."),
}


class KqlTruncatedWarning(UserWarning):
    """A KQL result had more rows than ``limit`` and was cut."""


_CACHE: OrderedDict[Path, tuple[tuple, object, dict]] = OrderedDict()  # store -> (file stats, DuckDB, loaded)
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def query(text: str, source, *, limit: int = DEFAULT_LIMIT, now=None) -> pd.DataFrame:
    """Run a KQL query on a telemetry store or on tables you pass, read-only.

    Parameters
    ----------
    text : str
        The KQL query, as you would write it in App Insights *Logs* or Log Analytics.
    source : AppInsightsIngestion, path or mapping
        An App Insights store (the object or its SQLite file; tables ``requests``, ``dependencies``,
        ``customEvents``, ``customMetrics``, ``traces``, ``exceptions``), or ``{table_name: DataFrame}``.
    limit : int, default 30,000
        Rows returned at most; a longer result is cut, with a :class:`KqlTruncatedWarning`
        and ``frame.attrs["truncated"] = True``.
    now : datetime-like, optional
        The time ``now()`` and ``ago()`` count from (UTC if naive); by default the real clock, as on
        Azure. Pin it to ask a question of simulated traffic: ``now="2024-03-07 15:00"``.

    Returns
    -------
    pandas.DataFrame
        One column per KQL column; times are UTC timestamps, ``dynamic`` values JSON text.

    Raises
    ------
    KqlError
        The query is not KQL (the parser's message, line and column), uses a construct the local
        engine does not translate (one line with the nearest supported form), or names a table or
        column that does not exist (with those that do).
    ValidationError
        ``source`` or ``limit`` is not valid.

    Examples
    --------
    >>> frame = pd.DataFrame({"timestamp": pd.to_datetime(["2024-03-07 14:05", "2024-03-07 14:50"], utc=True),
    ...                       "success": [True, False]})
    >>> query("T | summarize failed = countif(success == false) by bin(timestamp, 1h)", {"T": frame})
                      timestamp  failed
    0 2024-03-07 14:00:00+00:00       1
    """
    if not isinstance(text, str) or not text.strip():
        raise KqlError(f"a KQL query must be non-empty text (got {text!r}); e.g. 'requests | take 10'")
    limit = _validate.whole("limit", limit, 1, words="of rows, 1 or more", hint="e.g. limit=1000")
    import duckdb
    import duckdb_kql

    moment = None if now is None else _utc_naive(now)
    with _connection(text, source) as (con, tables):
        try:
            sql = duckdb_kql.to_sql(text, schema=tables, allow_write=False, query_now=moment)
            _check_tables(sql, tables)
            relation = con.sql(sql, params=sql.parameters) if sql.parameters else con.sql(sql)
            frame = relation.limit(limit + 1).df()
        except duckdb_kql.KqlError as error:
            raise _explain(error, text, tables) from None
        except duckdb.Error as error:
            raise _explain_sql(error, text, tables) from None
    if len(frame) > limit:
        frame = frame.iloc[:limit].copy()
        frame.attrs["truncated"] = True
        warnings.warn(f"the KQL result has more than {limit:,} rows and was cut to {limit:,}, as the Logs page "
                      "of the portal does; summarize, or narrow it with where / take", KqlTruncatedWarning,
                      stacklevel=2)
    for column in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[column]) and getattr(frame[column].dt, "tz", None) is None:
            frame[column] = frame[column].dt.tz_localize("UTC")
    return frame


def _check_tables(sql: str, tables: dict) -> None:
    """Refuse a table named in another case (DuckDB would resolve ``Requests`` to ``requests``; Azure does not)."""
    for name in re.findall(r'FROM "((?:[^"]|"")+)"', sql):
        if name not in tables:
            raise KqlError(f"unknown table {name!r}; tables here: {', '.join(tables)} (names are case-sensitive)")


def _utc_naive(moment):
    try:
        stamp = pd.Timestamp(moment)
    except (ValueError, TypeError):
        raise ValidationError(f"now must be a time, e.g. '2024-03-07 15:00' (got {moment!r})") from None
    stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp
    return stamp.tz_localize(None).to_pydatetime()


@contextlib.contextmanager
def _connection(text: str, source):
    """A DuckDB connection holding the tables ``text`` names, and ``{table: columns}`` of all tables."""
    if isinstance(source, Mapping):
        con, tables = _from_frames(source, text)
        try:
            yield con, tables
        finally:
            con.close()
        return
    path = _store_path(source)
    with _LOCK:  # one query at a time per process: the cached connections are shared
        yield _from_store(path, text)


def _store_path(source) -> Path:
    if getattr(source, "path", None) is not None and callable(getattr(source, "check", None)):
        source.check()  # an AppInsightsIngestion: a failed write since the last call is said first
        return Path(source.path)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"no telemetry store at {path}; start an AppInsightsIngestion first, "
                                  "or pass its .path")
        return path
    raise ValidationError(f"source must be an AppInsightsIngestion, the path of its SQLite store, or a mapping "
                          f"{{table_name: DataFrame}} (got a {type(source).__name__})")


def _named(text: str, names) -> list[str]:
    """The table names that occur in ``text`` as whole words (KQL names are case-sensitive)."""
    return [name for name in names if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)]


def _signature(path: Path) -> tuple:
    stats = []
    for file in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            st = file.stat()
            stats.append((st.st_size, st.st_mtime_ns))
    return tuple(stats)


def _from_store(path: Path, text: str):
    import duckdb_kql

    key, signature = path.resolve(), _signature(path)
    cached = _CACHE.get(key)
    if cached is None or cached[0] != signature:
        if cached is not None:
            cached[1].close()
        cached = (signature, duckdb_kql.connect(), {})
        _CACHE[key] = cached
    _CACHE.move_to_end(key)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)[1][1].close()
    _, con, loaded = cached
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        types = {name: db.execute(f'PRAGMA table_info("{name}")').fetchall() for (name,) in
                 db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")}
        for name in _named(text, types):
            if name not in loaded:
                _load_sqlite_table(con, db, name, types[name])
                loaded[name] = True
    return con, {name: [c[1] for c in cols] for name, cols in types.items()}


_SQLITE_TYPES = {"REAL": "DOUBLE", "INTEGER": "BIGINT"}


def _load_sqlite_table(con, db: sqlite3.Connection, name: str, columns: list[tuple]) -> None:
    raw = pd.DataFrame.from_records(db.execute(f'SELECT * FROM "{name}"').fetchall(),  # 2x read_sql_query
                                    columns=[column for _, column, *_ in columns])
    casts = []
    for _, column, declared, *_ in columns:
        kind = ("TIMESTAMP" if column == "timestamp" else "BOOLEAN" if column == "success" else
                "JSON" if column in DYNAMIC_COLUMNS else _SQLITE_TYPES.get(declared.upper(), "VARCHAR"))
        value = f'CAST("{column}" AS TIMESTAMPTZ)' if kind == "TIMESTAMP" else f'"{column}"'
        casts.append(f'CAST({value} AS {kind}) AS "{column}"')
    con.register("_raw", raw)
    try:
        con.execute(f'CREATE TABLE "{name}" AS SELECT {", ".join(casts)} FROM _raw')
    finally:
        con.unregister("_raw")


def _from_frames(tables: Mapping, text: str):
    import duckdb_kql

    for name, frame in tables.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValidationError(f"table names must be KQL names such as 'AmlOnlineEndpointTrafficLog' (got {name!r})")
        if not isinstance(frame, pd.DataFrame):
            raise ValidationError(f"table {name!r} must be a pandas DataFrame (got a {type(frame).__name__})")
    con = duckdb_kql.connect()
    for name in _named(text, tables):
        con.register("_raw", _typed(tables[name]))
        try:
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _raw')
            dynamic = [c for c in tables[name].columns if _is_dynamic(tables[name][c])]
            for column in dynamic:
                con.execute(f'ALTER TABLE "{name}" ALTER "{column}" TYPE JSON')
        finally:
            con.unregister("_raw")
    return con, {name: [str(c) for c in frame.columns] for name, frame in tables.items()}


def _is_dynamic(series: pd.Series) -> bool:
    if series.name in DYNAMIC_COLUMNS:
        return True
    values = series.dropna()
    return series.dtype == object and len(values) > 0 and isinstance(values.iloc[0], dict | list)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with UTC times made naive (KQL datetimes are UTC) and dict/list values as JSON text."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_convert("UTC").dt.tz_localize(None)
        elif _is_dynamic(series):
            out[column] = [v if v is None or isinstance(v, str) else json.dumps(v) for v in series]
    return out


def _explain(error, text: str, tables: dict) -> KqlError:
    """One clear :class:`KqlError` for an error of duckdb-kql."""
    import duckdb_kql

    if isinstance(error, duckdb_kql.KqlSyntaxError) and error.diagnostics:
        first = error.diagnostics[0]
        line, column = first.span.line, first.span.column
        source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        return KqlError(f"KQL syntax error at line {line}, column {column + 1}: {first.message}\n"
                        f"    {source_line}\n    {' ' * column}^")
    if isinstance(error, duckdb_kql.KqlUnsupportedError) and "command" in error.construct:
        return KqlError(f"{error.construct} is not run here: KQL queries on these tables are read-only, "
                        "as in App Insights Logs; query the tables with a tabular expression instead")
    if isinstance(error, duckdb_kql.KqlUnsupportedError):
        name, nearest = _NEAREST.get(error.construct, (error.construct.split(":")[-1], None))
        where = f" (line {error.span.line}, column {error.span.column + 1})" if error.span else ""
        instead = f"; nearest form that works here: {nearest}" if nearest else \
            "; see the differences table in help(mlcheckup.kql) for what works here"
        return KqlError(f"{name}{where} is not supported by the local KQL engine (Azure runs it){instead}")
    if isinstance(error, duckdb_kql.KqlSchemaError):
        named = {table: tables[table] for table in _named(text, tables)} or tables
        return KqlError(f"{error}; tables here: {_listing(named)}")
    return KqlError(f"the KQL query failed: {error}")


def _explain_sql(error, text: str, tables: dict) -> KqlError:
    """An error DuckDB raised running the translated query, said in KQL's terms."""
    message = str(error).splitlines()[0]
    table = re.search(r"Table with name (\w+) does not exist", message)
    if table:
        return KqlError(f"unknown table {table.group(1)!r}; tables here: {', '.join(tables)} (names are case-sensitive)")
    column = re.search(r'[Cc]olumn (?:with name )?"?([^"\s]+)"?|name "?([^"\s]+)"? exists', message)
    if column and "Binder Error" in message:
        name = column.group(1) or column.group(2)
        named = {table: tables[table] for table in _named(text, tables)} or tables
        return KqlError(f"unknown column {name!r}; columns here: {_listing(named)} (names are case-sensitive)")
    return KqlError(f"the KQL query failed while running: {message}")


def _listing(tables: dict) -> str:
    return "; ".join(f"{name} ({', '.join(columns)})" for name, columns in tables.items())
