"""The in-memory trace store: at most `max_spans` spans, whole oldest traces evicted first.

Traces are kept in the order their first span arrived; a search walks them newest first,
as Jaeger's memory store does. Services and operations are counted over the spans held,
so they go when the last of their spans is evicted.

>>> from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
>>> from opentelemetry.proto.resource.v1.resource_pb2 import Resource
>>> from opentelemetry.proto.trace.v1.trace_pb2 import Span
>>> from services.tracestore.records import SpanRecord
>>> def record(trace, span):
...     return SpanRecord(bytes([trace]) * 16, bytes([span]) * 8, "svc", 0, 1, Span(name="op"),
...                       Resource(), InstrumentationScope())
>>> store = TraceStore(max_spans=2)
>>> store.add([record(1, 1), record(1, 2)]), store.add([record(2, 1)])
(0, 2)
>>> store.span_count, store.trace_count, store.evicted_spans, store.evicted_traces
(1, 1, 2, 1)
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable

from .records import SpanRecord
from .trace_query import TraceQuery, kind_name, span_matches


class _Trace:
    __slots__ = ("records", "span_ids")

    def __init__(self) -> None:
        self.records: list[SpanRecord] = []
        self.span_ids: set[bytes] = set()


class TraceStore:
    """Spans by trace, bounded. Not thread-safe: one event loop owns it."""

    def __init__(self, max_spans: int) -> None:
        if max_spans < 1:
            raise ValueError("max_spans must be at least 1")
        self.max_spans = max_spans
        self._traces: OrderedDict[bytes, _Trace] = OrderedDict()
        self._operations: Counter[tuple[str, str, str]] = Counter()
        self.span_count = 0
        self.evicted_spans = 0
        self.evicted_traces = 0
        self.duplicate_spans = 0

    @property
    def trace_count(self) -> int:
        return len(self._traces)

    def add(self, records: Iterable[SpanRecord]) -> int:
        """Hold the records (a span id already held in its trace is skipped); returns how
        many spans were evicted to stay within the bound."""
        for record in records:
            trace = self._traces.get(record.trace_id)
            if trace is None:
                trace = self._traces[record.trace_id] = _Trace()
            elif record.span_id in trace.span_ids:
                self.duplicate_spans += 1
                continue
            trace.records.append(record)
            trace.span_ids.add(record.span_id)
            self.span_count += 1
            self._operations[(record.service, record.span.name, kind_name(record.span))] += 1
        evicted = 0
        while self.span_count > self.max_spans:
            evicted += self._evict_oldest()
        return evicted

    def _evict_oldest(self) -> int:
        _, trace = self._traces.popitem(last=False)
        for record in trace.records:
            key = (record.service, record.span.name, kind_name(record.span))
            self._operations[key] -= 1
            if self._operations[key] <= 0:
                del self._operations[key]
        count = len(trace.records)
        self.span_count -= count
        self.evicted_spans += count
        self.evicted_traces += 1
        return count

    def trace(self, trace_id: bytes) -> list[SpanRecord] | None:
        """The spans of a trace in arrival order, or None when it is not held."""
        trace = self._traces.get(trace_id)
        return list(trace.records) if trace is not None else None

    def services(self) -> list[str]:
        """The services of the spans held, sorted."""
        return sorted({service for service, _, _ in self._operations})

    def operations(self, service: str, kind: str = "") -> list[tuple[str, str]]:
        """(name, kind) of the service's spans held, sorted; `kind` ("server", ...) filters."""
        return sorted((name, k) for s, name, k in self._operations
                      if s == service and (not kind or k == kind))

    def find(self, query: TraceQuery) -> list[list[SpanRecord]]:
        """Up to `query.limit` traces, newest first, each with a span matching the query."""
        found: list[list[SpanRecord]] = []
        for trace in reversed(self._traces.values()):
            if len(found) >= query.limit:
                break
            if any(span_matches(record, query) for record in trace.records):
                found.append(list(trace.records))
        return found
