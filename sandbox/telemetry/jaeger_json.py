"""Jaeger's query JSON (``/api/traces``) to ``Trace``: spans, processes, tags, logs.

A span's service is its process's ``serviceName``; its parent the first ``CHILD_OF``
reference within the trace; OpenTelemetry's kind and status come as the tags
``span.kind``, ``otel.status_code`` (``OK``/``ERROR``), ``otel.status_description`` and
``error`` (Jaeger's own error flag).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.telemetry.model import KINDS, SpanEvent, SpanRef, Status, Trace, TraceSpan

_MAPPED_TAGS = ("span.kind", "otel.status_code", "otel.status_description")


def tags_dict(tags: list[Mapping[str, Any]] | None) -> dict[str, Any]:
    """``[{"key": k, "type": t, "value": v}]`` to ``{k: v}``."""
    return {t["key"]: t.get("value") for t in tags or [] if "key" in t}


def _status(tags: Mapping[str, Any]) -> Status:
    code = str(tags.get("otel.status_code", "")).upper()
    if code == "ERROR" or tags.get("error") in (True, "true"):
        return "error"
    return "ok" if code == "OK" else "unset"


def span_from_jaeger(raw: Mapping[str, Any], processes: Mapping[str, Any]) -> TraceSpan:
    tags = tags_dict(raw.get("tags"))
    process = raw.get("process") or processes.get(raw.get("processID", ""), {})
    refs = tuple(
        SpanRef("child_of" if r.get("refType") == "CHILD_OF" else "follows_from",
                str(r.get("traceID", "")).lower(), str(r.get("spanID", "")).lower())
        for r in raw.get("references") or []
    )
    trace_id = str(raw.get("traceID", "")).lower()
    parent = next((r.span_id for r in refs if r.kind == "child_of"
                   and r.trace_id.lstrip("0") == trace_id.lstrip("0")), None)
    kind = str(tags.get("span.kind", "unspecified")).lower()
    events = tuple(
        SpanEvent(str(fields.pop("event", fields.pop("message", "log"))),
                  int(log.get("timestamp", 0)), fields)
        for log in raw.get("logs") or []
        for fields in [tags_dict(log.get("fields"))]
    )
    return TraceSpan(
        trace_id=trace_id,
        span_id=str(raw.get("spanID", "")).lower(),
        parent_span_id=parent,
        service=str(process.get("serviceName", "?")),
        name=str(raw.get("operationName", "")),
        start_us=int(raw.get("startTime", 0)),
        duration_us=int(raw.get("duration", 0)),
        kind=kind if kind in KINDS else "unspecified",
        status=_status(tags),
        status_message=str(tags.get("otel.status_description", "")),
        attrs={k: v for k, v in tags.items() if k not in _MAPPED_TAGS},
        events=events,
        refs=refs,
    )


def trace_from_jaeger(raw: Mapping[str, Any]) -> Trace:
    """One element of a ``/api/traces`` answer's ``data``."""
    processes = raw.get("processes") or {}
    spans = tuple(span_from_jaeger(s, processes) for s in raw.get("spans") or [])
    return Trace(str(raw.get("traceID", "")).lower(), spans)
