"""OTLP JSON (Jaeger api_v3's answers) to ``Trace``.

Accepts both shapes Jaeger has served: ``{"resourceSpans": [...]}`` and the grpc-gateway
envelope ``{"result": {"resourceSpans": [...]}}``. Ids are hex (OTLP/JSON); base64 ids
(protobuf's default JSON) are decoded too. Enums may be numbers or names.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.telemetry.model import KINDS, SpanEvent, SpanRef, Status, Trace, TraceSpan

_HEX = re.compile(r"^[0-9a-fA-F]*$")
_STATUS: dict[Any, Status] = {0: "unset", 1: "ok", 2: "error", "STATUS_CODE_UNSET": "unset",
                              "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error"}


def unwrap(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``TracesData`` inside an api_v3 answer."""
    result = doc.get("result")
    return result if isinstance(result, Mapping) else doc


def _id(value: Any, size: int) -> str:
    text = str(value or "")
    if _HEX.match(text) and len(text) in (0, size * 2):
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError):
        return text.lower()


def any_value(value: Mapping[str, Any] | None) -> Any:
    """An OTLP ``AnyValue`` as a Python value (int64s arrive as strings)."""
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    return {a["key"]: any_value(a.get("value")) for a in items or [] if "key" in a}


def _kind(value: Any) -> str:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        index = int(value)
        return KINDS[index] if 0 <= index < len(KINDS) else "unspecified"
    name = str(value or "").removeprefix("SPAN_KIND_").lower()
    return name if name in KINDS else "unspecified"


def _span(raw: Mapping[str, Any], service: str) -> TraceSpan:
    start = int(raw.get("startTimeUnixNano", 0) or 0)
    end = int(raw.get("endTimeUnixNano", 0) or 0)
    status = raw.get("status") or {}
    trace_id = _id(raw.get("traceId"), 16)
    parent = _id(raw.get("parentSpanId"), 8) or None
    links = tuple(SpanRef("link", _id(link.get("traceId"), 16), _id(link.get("spanId"), 8))
                  for link in raw.get("links") or [])
    refs = ((SpanRef("child_of", trace_id, parent),) if parent else ()) + links
    return TraceSpan(
        trace_id=trace_id,
        span_id=_id(raw.get("spanId"), 8),
        parent_span_id=parent,
        service=service,
        name=str(raw.get("name", "")),
        start_us=start // 1000,
        duration_us=max(0, end - start) // 1000,
        kind=_kind(raw.get("kind", 0)),
        status=_STATUS.get(status.get("code", 0), "unset"),
        status_message=str(status.get("message", "")),
        attrs=attributes(raw.get("attributes")),
        events=tuple(SpanEvent(str(e.get("name", "")), int(e.get("timeUnixNano", 0) or 0) // 1000,
                               attributes(e.get("attributes")))
                     for e in raw.get("events") or []),
        refs=refs,
    )


def spans_from_otlp(doc: Mapping[str, Any]) -> list[TraceSpan]:
    spans = []
    for rs in unwrap(doc).get("resourceSpans") or []:
        service = str(attributes((rs.get("resource") or {}).get("attributes"))
                      .get("service.name", "?"))
        for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
            spans.extend(_span(s, service) for s in ss.get("spans") or [])
    return spans


def traces_from_otlp(doc: Mapping[str, Any]) -> list[Trace]:
    """Every trace of an api_v3 answer, spans grouped by trace id (first seen first)."""
    grouped: dict[str, list[TraceSpan]] = {}
    for span in spans_from_otlp(doc):
        grouped.setdefault(span.trace_id, []).append(span)
    return [Trace(tid, tuple(spans)) for tid, spans in grouped.items()]
