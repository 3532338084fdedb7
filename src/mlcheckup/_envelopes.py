"""Application Insights envelopes → rows of the classic App Insights tables (private).

The exporter of ``azure-monitor-opentelemetry`` POSTs a JSON array of envelopes, one per
telemetry item; ``data.baseType`` decides the table (reference/local-runtime.md §3):

============================  ===============
baseType                      table
============================  ===============
RequestData                   requests
RemoteDependencyData          dependencies
EventData                     customEvents
MetricData                    customMetrics (one row per metric in the envelope)
MessageData                   traces
ExceptionData                 exceptions
============================  ===============

Columns keep the classic names and units: ``duration`` in milliseconds, ``success`` 0/1,
``resultCode`` text, ``customDimensions``/``customMeasurements`` JSON text (query them with
SQLite's ``json_extract``), ``timestamp`` ISO-8601 UTC with microseconds.

**Stored as sent, as Azure stores it.** The inference server writes its ``requests`` row *after*
the response is sent, as a ``SERVER`` span with no HTTP status attribute, so the exporter's
envelope says ``responseCode "0"``, ``success true`` and a duration near 0 even for an HTTP 500,
and App Insights stores exactly that. So does this store: the real values travel in the row's
``customDimensions`` (``resultCode``, ``success``, ``duration``, ``start_time``, ``url``), where
:func:`mlcheckup.appinsights.served_requests` reads them, as the KQL of lesson 05 does on Azure.

A malformed item raises :class:`~mlcheckup.errors.ValidationError` (a ``ValueError``) naming the
field and the value received; the ingestion service answers it with that item's 400.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from .errors import ValidationError

COMMON = (
    "itemType", "customDimensions", "customMeasurements", "operation_Name", "operation_Id",
    "operation_ParentId", "cloud_RoleName", "cloud_RoleInstance", "iKey", "sdkVersion", "itemCount",
)
#: Columns of each table, in App Insights order (after ``timestamp``, before :data:`COMMON`).
TABLES: dict[str, tuple[str, ...]] = {
    "requests": ("id", "name", "url", "success", "resultCode", "duration", "performanceBucket", "source"),
    "dependencies": ("id", "target", "type", "name", "data", "success", "resultCode", "duration",
                     "performanceBucket"),
    "customEvents": ("name",),
    "customMetrics": ("name", "value", "valueCount", "valueSum", "valueMin", "valueMax", "valueStdDev"),
    "traces": ("message", "severityLevel"),
    "exceptions": ("problemId", "type", "message", "method", "outerType", "outerMessage", "innermostType",
                   "innermostMessage", "severityLevel", "details"),
}
_REAL = {"duration", "value", "valueSum", "valueMin", "valueMax", "valueStdDev"}
_INTEGER = {"success", "severityLevel", "itemCount", "valueCount"}
_TABLE_OF = {
    "RequestData": ("requests", "request"),
    "RemoteDependencyData": ("dependencies", "dependency"),
    "EventData": ("customEvents", "customEvent"),
    "MetricData": ("customMetrics", "customMetric"),
    "MessageData": ("traces", "trace"),
    "ExceptionData": ("exceptions", "exception"),
}
_BUCKETS = ((250, "<250ms"), (500, "250ms-500ms"), (1000, "500ms-1sec"), (3000, "1sec-3sec"),
            (7000, "3sec-7sec"), (15000, "7sec-15sec"), (30000, "15sec-30sec"), (60000, "30sec-1min"),
            (120000, "1min-2min"), (300000, "2min-5min"))
#: Metric the exporter sends to carry resource attributes; App Insights does not show it as a metric.
RESOURCE_METRIC = "_OTELRESOURCE_"


def columns(table: str) -> tuple[str, ...]:
    """All columns of ``table``, in order."""
    return ("timestamp", *TABLES[table], *COMMON)


def create_statements() -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for every table, typed for SQLite."""
    statements = []
    for table in TABLES:
        cols = ", ".join(
            f'"{c}" {"REAL" if c in _REAL else "INTEGER" if c in _INTEGER else "TEXT"}' for c in columns(table)
        )
        statements.append(f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})')
        statements.append(f'CREATE INDEX IF NOT EXISTS "{table}_time" ON "{table}" (timestamp)')
    return statements


def iso_timestamp(text) -> str:
    """``2026-11-27T14:21:40.46997Z`` → ``2026-11-27T14:21:40.469970Z`` (UTC, fixed width, sortable).

    Raises
    ------
    ValidationError
        If ``text`` is not an ISO-8601 time (App Insights refuses such an item).
    """
    try:
        stamp = datetime.fromisoformat(text)
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)  # OverflowError for year 1 with an offset
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"time must be an ISO-8601 UTC time such as '2026-11-27T14:21:40.469970Z' "
                              f"(got {str(text)[:60]!r})") from None
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def duration_ms(text: str | None) -> float | None:
    """App Insights ``[d.]hh:mm:ss[.fffffff]`` → milliseconds."""
    if not text:
        return None
    hours, _, rest = str(text).partition(":")
    days = 0
    if "." in hours:
        day_text, hours = hours.split(".", 1)
        days = int(day_text)
    minutes, seconds = rest.split(":", 1)
    return ((days * 24 + int(hours)) * 60 + int(minutes)) * 60_000 + float(seconds) * 1000


def performance_bucket(ms: float | None) -> str | None:
    """The App Insights ``performanceBucket`` label of a duration."""
    if ms is None:
        return None
    return next((label for limit, label in _BUCKETS if ms < limit), ">=5min")


def _truth(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return int(value.strip().lower() == "true")
    return int(bool(value))


def _common(envelope: dict, item_type: str, base: dict) -> dict:
    tags = _object(envelope.get("tags"), "tags")
    sample_rate = envelope.get("sampleRate") or 100.0
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | float) or not 0.001 <= sample_rate <= 100:
        raise ValidationError(f"sampleRate must be a percentage in [0.001, 100] (got {str(sample_rate)[:40]})")
    if not envelope.get("time"):
        raise ValidationError("the item has no 'time'; every App Insights envelope needs its ISO-8601 UTC time")
    return {
        "timestamp": iso_timestamp(envelope["time"]),
        "itemType": item_type,
        "customDimensions": json.dumps(base.get("properties") or {}),
        "customMeasurements": json.dumps(base.get("measurements") or {}),
        "operation_Name": tags.get("ai.operation.name"),
        "operation_Id": tags.get("ai.operation.id"),
        "operation_ParentId": tags.get("ai.operation.parentId"),
        "cloud_RoleName": tags.get("ai.cloud.role"),
        "cloud_RoleInstance": tags.get("ai.cloud.roleInstance"),
        "iKey": envelope.get("iKey"),
        "sdkVersion": tags.get("ai.internal.sdkVersion"),
        "itemCount": max(1, round(100.0 / sample_rate)),
    }


def _request(row: dict, base: dict) -> None:
    duration = duration_ms(base.get("duration"))
    row.update(id=base.get("id"), name=base.get("name"), url=base.get("url"), source=base.get("source"),
               success=_truth(base.get("success")), resultCode=base.get("responseCode"),
               duration=duration, performanceBucket=performance_bucket(duration))


def _dependency(row: dict, base: dict) -> None:
    duration = duration_ms(base.get("duration"))
    row.update(id=base.get("id"), target=base.get("target"), type=base.get("type"), name=base.get("name"),
               data=base.get("data"), success=_truth(base.get("success")), resultCode=base.get("resultCode"),
               duration=duration, performanceBucket=performance_bucket(duration))


def _exception(row: dict, base: dict) -> None:
    chain = base.get("exceptions") or [{}]
    outer, inner = chain[0], chain[-1]
    frames = outer.get("parsedStack") or [{}]
    row.update(problemId=outer.get("typeName"), type=outer.get("typeName"), message=outer.get("message"),
               method=frames[0].get("method"), outerType=outer.get("typeName"), outerMessage=outer.get("message"),
               innermostType=inner.get("typeName"), innermostMessage=inner.get("message"),
               severityLevel=_int(base.get("severityLevel")), details=json.dumps(chain))


def _int(value) -> int | None:
    return None if value is None else int(value)


def _checked(table: str, row: dict) -> dict:
    """Every value a scalar SQLite can store, numbers in the numeric columns; else ValidationError naming the field."""
    for column, value in row.items():
        if value is None:
            continue
        if column in _REAL or column in _INTEGER:
            if isinstance(value, str) or not isinstance(value, int | float):
                raise ValidationError(f"{table}.{column} must be a number (got {type(value).__name__}: {str(value)[:80]})")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValidationError(f"{table}.{column} must be a finite number (got {value})")
        elif not isinstance(value, str | int | float):
            raise ValidationError(f"{table}.{column} must be a string or a number (got {type(value).__name__}: "
                             f"{json.dumps(value)[:80]}); the App Insights schema has no nested values there")
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate ("\\ud800"): SQLite would refuse the whole batch
                raise ValidationError(f"{table}.{column} is not valid Unicode text (got {value[:40]!r})") from None
        if isinstance(value, int) and not -(2**63) <= value < 2**63:  # SQLite would refuse the whole batch
            raise ValidationError(f"{table}.{column} is an integer of {len(str(abs(value)))} digits, too large to store")
    return row


def _object(value, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{what} must be a JSON object (got {type(value).__name__})")
    return value


def rows(envelope: dict) -> tuple[str, list[dict]]:
    """Map one envelope to ``(table, rows)``; every value is a scalar of its column's type.

    Raises
    ------
    ValidationError
        If the envelope has no ``data.baseType`` this store knows, or a field holds what its
        column cannot (an object where a string belongs, text where a number belongs); the
        message names it.
    """
    if not isinstance(envelope, dict):
        raise ValidationError(f"each telemetry item must be a JSON object (got {type(envelope).__name__}: "
                         f"{json.dumps(envelope)[:40]})")
    data = _object(envelope.get("data"), "data")
    base_type, base = data.get("baseType"), _object(data.get("baseData"), "data.baseData")
    if base_type not in _TABLE_OF:
        raise ValidationError(f"unsupported baseType {base_type!r}; expected one of {sorted(_TABLE_OF)}")
    table, item_type = _TABLE_OF[base_type]
    row = _common(envelope, item_type, base)
    if table == "customMetrics":
        out = []
        for metric in base.get("metrics") or []:
            if metric.get("name") == RESOURCE_METRIC:
                continue
            value, count = float(metric.get("value", 0.0)), int(metric.get("count") or 1)
            out.append({**row, "name": metric.get("name"), "value": value, "valueCount": count, "valueSum": value,
                        "valueMin": metric.get("min", value), "valueMax": metric.get("max", value),
                        "valueStdDev": metric.get("stdDev", 0.0)})
        return table, [_checked(table, r) for r in out]
    if table == "requests":
        _request(row, base)
    elif table == "dependencies":
        _dependency(row, base)
    elif table == "exceptions":
        _exception(row, base)
    elif table == "traces":
        row.update(message=base.get("message"), severityLevel=_int(base.get("severityLevel")))
    else:  # customEvents
        row["name"] = base.get("name")
    return table, [_checked(table, row)]
