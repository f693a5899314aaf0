"""Spans to the trace store as OTLP/JSON over HTTP: the exporter the services use.

OTLP's JSON mapping is one of the two encodings every OTLP/HTTP receiver takes (the
project's trace store, Jaeger, the Collector). Built as plain dicts and serialised by
orjson it costs a fraction of the protobuf encoder's CPU per span (benchmarks/
tracing_cost.py); it imports neither protobuf nor requests, so the service's start pays
nothing for it. It runs on the BatchSpanProcessor's thread, over one kept-alive
connection; a store that is down makes an export fail (the batch is dropped), never a
request wait.

>>> from opentelemetry.sdk.trace import TracerProvider
>>> from opentelemetry.sdk.trace.export import SimpleSpanProcessor
>>> from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
>>> memory, provider = InMemorySpanExporter(), TracerProvider()
>>> provider.add_span_processor(SimpleSpanProcessor(memory))
>>> with provider.get_tracer("demo").start_as_current_span("work", attributes={"n": 3}):
...     pass
>>> doc = orjson.loads(encode_spans(memory.get_finished_spans()))
>>> span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
>>> span["name"], span["kind"], span["attributes"]
('work', 1, [{'key': 'n', 'value': {'intValue': '3'}}])
"""

from __future__ import annotations

import base64
import http.client
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

log = logging.getLogger(__name__)


def any_value(value: Any) -> dict[str, Any]:
    """One attribute value as OTLP's `AnyValue` (64-bit integers as strings, by the spec)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    return {"stringValue": str(value)}


def key_values(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [{"key": k, "value": any_value(v)} for k, v in (attributes or {}).items()]


def _span(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.context
    doc: dict[str, Any] = {
        "traceId": format(ctx.trace_id, "032x"),
        "spanId": format(ctx.span_id, "016x"),
        "name": span.name,
        "kind": span.kind.value + 1,  # the SDK counts from INTERNAL, OTLP from UNSPECIFIED
        "startTimeUnixNano": str(span.start_time or 0),
        "endTimeUnixNano": str(span.end_time or 0),
        "status": {"code": span.status.status_code.value},
    }
    if span.parent is not None:
        doc["parentSpanId"] = format(span.parent.span_id, "016x")
    if ctx.trace_state:
        doc["traceState"] = ctx.trace_state.to_header()
    if span.attributes:
        doc["attributes"] = key_values(span.attributes)
    if span.status.description:
        doc["status"]["message"] = span.status.description
    if span.events:
        doc["events"] = [{"name": e.name, "timeUnixNano": str(e.timestamp),
                          "attributes": key_values(e.attributes)} for e in span.events]
    if span.links:
        doc["links"] = [{"traceId": format(link.context.trace_id, "032x"),
                         "spanId": format(link.context.span_id, "016x"),
                         "attributes": key_values(link.attributes)} for link in span.links]
    dropped = span.dropped_attributes
    if dropped:
        doc["droppedAttributesCount"] = dropped
    return doc


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """An `ExportTraceServiceRequest` in OTLP/JSON: spans grouped by resource, then scope."""
    by_resource: dict[int, tuple[Any, dict[tuple[str, str], list[dict[str, Any]]]]] = {}
    for span in spans:
        resource = span.resource
        _, scopes = by_resource.setdefault(id(resource), (resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name, scope.version or "") if scope is not None else ("", "")
        scopes.setdefault(key, []).append(_span(span))
    return orjson.dumps({"resourceSpans": [
        {"resource": {"attributes": key_values(resource.attributes)},
         "scopeSpans": [{"scope": {"name": name, "version": version}, "spans": items}
                        for (name, version), items in scopes.items()]}
        for resource, scopes in by_resource.values()]})


class OtlpJsonExporter(SpanExporter):
    """POSTs each batch to `endpoint` (`http://host:4318/v1/traces`) as OTLP/JSON."""

    def __init__(self, endpoint: str, timeout: float = 2.0) -> None:
        url = urlsplit(endpoint)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"the OTLP endpoint must be an http:// URL, not {endpoint!r}")
        self.endpoint = endpoint
        self._host, self._port = url.hostname, url.port or 80
        self._path = url.path or "/v1/traces"
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def _post(self, body: bytes) -> int:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self._host, self._port,
                                                          timeout=self._timeout)
        self._connection.request("POST", self._path, body=body,
                                 headers={"Content-Type": "application/json"})
        response = self._connection.getresponse()
        response.read()
        return response.status

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = encode_spans(spans)
        for attempt in (1, 2):  # a kept-alive connection the store closed: once more, anew
            try:
                status = self._post(body)
            except (OSError, http.client.HTTPException) as exc:
                self._close()
                if attempt == 2:
                    log.debug("trace export to %s failed: %s", self.endpoint, exc)
                    return SpanExportResult.FAILURE
                continue
            if status >= 300:
                log.debug("the trace store answered %s to an export", status)
                return SpanExportResult.FAILURE
            return SpanExportResult.SUCCESS
        return SpanExportResult.FAILURE

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def shutdown(self) -> None:
        self._close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
