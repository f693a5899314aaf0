"""A trace search and whether a span matches it (the semantics of Jaeger's memory store).

Every predicate must hold on one and the same span: its service (the resource's
`service.name`), operation, start time, duration and each tag. A tag is looked up on the
span, its scope, its resource, its events and its links, and compared as a string; a few
keys are special: `error` (true: the span's status is error), `span.kind`, `span.status`
(and `otel.status_code`), `otel.status_description`, `scope.name`, `scope.version`, and
`resource.<key>` (the resource's attribute only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .attributes import as_string, find
from .records import SpanRecord

GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")
KINDS = {"unspecified": Span.SPAN_KIND_UNSPECIFIED, "internal": Span.SPAN_KIND_INTERNAL,
         "server": Span.SPAN_KIND_SERVER, "client": Span.SPAN_KIND_CLIENT,
         "producer": Span.SPAN_KIND_PRODUCER, "consumer": Span.SPAN_KIND_CONSUMER}
KIND_NAMES = {number: name for name, number in KINDS.items()}
STATUS_NAMES = {Status.STATUS_CODE_UNSET: "UNSET", Status.STATUS_CODE_OK: "OK",
                Status.STATUS_CODE_ERROR: "ERROR"}


@dataclass(frozen=True)
class TraceQuery:
    """A search; times and durations in nanoseconds, None where unbounded."""

    service: str = ""
    operation: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    start_min_ns: int | None = None
    start_max_ns: int | None = None
    duration_min_ns: int | None = None
    duration_max_ns: int | None = None
    limit: int = 100


def kind_name(span: Span) -> str:
    """Jaeger's name of the span's kind: "server", ..., "" when unspecified."""
    return "" if span.kind == Span.SPAN_KIND_UNSPECIFIED else KIND_NAMES.get(span.kind, "")


def _error_matches(record: SpanRecord, wanted: str) -> bool:
    is_error = record.span.status.code == Status.STATUS_CODE_ERROR
    if wanted in GO_TRUE:
        return is_error
    if wanted in GO_FALSE:
        return not is_error
    return False


def _status_matches(record: SpanRecord, wanted: str) -> bool:
    return STATUS_NAMES.get(record.span.status.code, "UNSET") == wanted.upper()


def _kind_matches(record: SpanRecord, wanted: str) -> bool:
    return record.span.kind == KINDS.get(wanted.lower(), Span.SPAN_KIND_UNSPECIFIED)


SPECIAL: dict[str, Callable[[SpanRecord, str], bool]] = {
    "error": _error_matches,
    "span.status": _status_matches,
    "otel.status_code": _status_matches,
    "otel.status_description": lambda r, w: r.span.status.message == w,
    "span.kind": _kind_matches,
    "scope.name": lambda r, w: r.scope.name == w,
    "scope.version": lambda r, w: r.scope.version == w,
}


def _tag_matches(record: SpanRecord, key: str, wanted: str) -> bool:
    special = SPECIAL.get(key)
    if special is not None:
        return special(record, wanted)
    if key.startswith("resource."):
        value = find(record.resource.attributes, key[len("resource."):])
        return value is not None and as_string(value) == wanted
    span = record.span
    places = [span.attributes, record.scope.attributes, record.resource.attributes]
    places += [event.attributes for event in span.events]
    places += [link.attributes for link in span.links]
    for attributes in places:
        value = find(attributes, key)
        if value is not None and as_string(value) == wanted:
            return True
    return False


def span_matches(record: SpanRecord, query: TraceQuery) -> bool:
    """Whether this one span satisfies every predicate of the query."""
    if query.service and record.service != query.service:
        return False
    if query.operation and record.span.name != query.operation:
        return False
    if query.start_min_ns is not None and record.start_ns < query.start_min_ns:
        return False
    if query.start_max_ns is not None and record.start_ns > query.start_max_ns:
        return False
    duration = record.duration_ns
    if query.duration_min_ns is not None and duration < query.duration_min_ns:
        return False
    if query.duration_max_ns is not None and duration > query.duration_max_ns:
        return False
    return all(_tag_matches(record, key, wanted) for key, wanted in query.tags.items())
