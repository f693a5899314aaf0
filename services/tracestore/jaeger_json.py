"""Held spans -> the JSON of Jaeger's query API (the shapes its UI reads).

A trace is `{"traceID", "spans", "processes", "warnings"}`. A span's tags are, in order:
`otel.scope.name`/`otel.scope.version`, its attributes (sorted by key), `span.kind`,
`otel.status_code`, `error: true` (error status), `otel.status_description`,
`w3c.tracestate`. The parent is a CHILD_OF reference, links FOLLOWS_FROM ones (CHILD_OF
when the link says `opentracing.ref_type: child_of`); events are logs whose first field
is `event`, the event's name. A process is the resource: `serviceName` from
`service.name`, its other attributes as tags; spans name theirs by id, "p1", "p2", ...

>>> jaeger_trace_id(bytes(8) + bytes.fromhex("00000000000000ff"))
'00000000000000ff'
>>> typed_tag("http.status_code", AnyValue(int_value=200))
{'key': 'http.status_code', 'type': 'int64', 'value': 200}
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .attributes import as_string, find
from .records import SERVICE_NAME, SpanRecord
from .trace_query import kind_name

JS_MAX_SAFE_INTEGER = 2**53 - 1


def jaeger_trace_id(trace_id: bytes) -> str:
    """Jaeger's spelling of a trace id: 16 hex digits when the high half is zero, else 32."""
    high, low = trace_id[:8], trace_id[8:]
    return low.hex() if high == bytes(8) else trace_id.hex()


def typed_tag(key: str, value: AnyValue) -> dict[str, Any]:
    """A Jaeger key/type/value tag of an attribute value."""
    kind = value.WhichOneof("value")
    if kind == "bool_value":
        return {"key": key, "type": "bool", "value": value.bool_value}
    if kind == "int_value":
        number = value.int_value
        shown: int | str = number if abs(number) <= JS_MAX_SAFE_INTEGER else str(number)
        return {"key": key, "type": "int64", "value": shown}
    if kind == "double_value":
        double = value.double_value
        shown_double: float | str = double if math.isfinite(double) else as_string(value)
        return {"key": key, "type": "float64", "value": shown_double}
    if kind == "bytes_value":
        return {"key": key, "type": "binary",
                "value": base64.b64encode(value.bytes_value).decode()}
    return {"key": key, "type": "string", "value": as_string(value)}


def _string_tag(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "type": "string", "value": value}


def _sorted_tags(attributes: Iterable[KeyValue], skip: str = "") -> list[dict[str, Any]]:
    return [typed_tag(kv.key, kv.value)
            for kv in sorted(attributes, key=lambda kv: kv.key) if kv.key != skip]


def span_tags(record: SpanRecord) -> list[dict[str, Any]]:
    span = record.span
    tags = []
    if record.scope.name:
        tags.append(_string_tag("otel.scope.name", record.scope.name))
    if record.scope.version:
        tags.append(_string_tag("otel.scope.version", record.scope.version))
    tags += _sorted_tags(span.attributes)
    if span.kind != Span.SPAN_KIND_UNSPECIFIED and kind_name(span):
        tags.append(_string_tag("span.kind", kind_name(span)))
    if span.status.code == Status.STATUS_CODE_OK:
        tags.append(_string_tag("otel.status_code", "OK"))
    elif span.status.code == Status.STATUS_CODE_ERROR:
        tags.append(_string_tag("otel.status_code", "ERROR"))
        tags.append({"key": "error", "type": "bool", "value": True})
    if span.status.message:
        tags.append(_string_tag("otel.status_description", span.status.message))
    if span.trace_state:
        tags.append(_string_tag("w3c.tracestate", span.trace_state))
    return tags


def _references(record: SpanRecord) -> list[dict[str, str]]:
    span = record.span
    trace_id = jaeger_trace_id(record.trace_id)
    refs: list[dict[str, str]] = []
    if span.parent_span_id and span.parent_span_id != bytes(8):
        refs.append({"refType": "CHILD_OF", "traceID": trace_id,
                     "spanID": span.parent_span_id.hex()})
    for link in span.links:
        if not link.trace_id or link.trace_id == bytes(16):
            continue  # Jaeger drops links without a trace
        ref_type = find(link.attributes, "opentracing.ref_type")
        kind = ("CHILD_OF" if ref_type is not None and ref_type.string_value == "child_of"
                else "FOLLOWS_FROM")
        ref = {"refType": kind, "traceID": jaeger_trace_id(link.trace_id),
               "spanID": link.span_id.hex()}
        if refs and refs[0]["traceID"] == ref["traceID"] and refs[0]["spanID"] == ref["spanID"]:
            refs[0]["refType"] = kind  # the parent is also a link: the link says the type
            continue
        refs.append(ref)
    return refs


def _logs(span: Span) -> list[dict[str, Any]]:
    logs = []
    for event in span.events:
        fields = []
        if event.name and find(event.attributes, "event") is None:
            fields.append(_string_tag("event", event.name))
        fields += _sorted_tags(event.attributes)
        logs.append({"timestamp": event.time_unix_nano // 1000, "fields": fields})
    return logs


def jaeger_trace(records: list[SpanRecord]) -> dict[str, Any]:
    """One trace in Jaeger's JSON (the records of one trace id, in the order given)."""
    processes: dict[str, dict[str, Any]] = {}
    process_ids: dict[str, str] = {}
    spans = []
    for record in records:
        process = {"serviceName": record.service,
                   "tags": _sorted_tags(record.resource.attributes, skip=SERVICE_NAME)}
        identity = repr(process)
        if identity not in process_ids:
            process_ids[identity] = f"p{len(process_ids) + 1}"
            processes[process_ids[identity]] = process
        span = record.span
        spans.append({
            "traceID": jaeger_trace_id(record.trace_id),
            "spanID": record.span_id.hex(),
            "operationName": span.name,
            "references": _references(record),
            "startTime": record.start_ns // 1000,
            "duration": record.duration_ns // 1000,
            "tags": span_tags(record),
            "logs": _logs(span),
            "processID": process_ids[identity],
            "warnings": None,
        })
    trace_id = jaeger_trace_id(records[0].trace_id) if records else ""
    return {"traceID": trace_id, "spans": spans, "processes": processes, "warnings": None}


def structured(data: Any, total: int = 0, errors: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
    """Jaeger's envelope of every answer: data, total, limit, offset, errors."""
    return {"data": data, "total": total, "limit": 0, "offset": 0, "errors": errors}


def structured_error(status: int, message: str) -> dict[str, Any]:
    """Jaeger's error answer: no data, one error with the HTTP status and the message."""
    return structured(None, errors=[{"code": status, "msg": message}])
