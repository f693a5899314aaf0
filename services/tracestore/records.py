"""What the store holds: one `SpanRecord` a span, with the resource and scope it came with.

A record keeps the OTLP protobuf span itself (answers are made from it) and shares its
batch's Resource and InstrumentationScope messages with the other spans of the batch.

>>> from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
...     ExportTraceServiceRequest)
>>> request = ExportTraceServiceRequest()
>>> rs = request.resource_spans.add()
>>> _ = rs.resource.attributes.add(key="service.name").value.string_value = "catalog"
>>> good = rs.scope_spans.add().spans.add(trace_id=b"\\1" * 16, span_id=b"\\2" * 8, name="GET")
>>> bad = rs.scope_spans[0].spans.add(trace_id=b"\\0" * 16, span_id=b"\\2" * 8)
>>> batch = records_from_request(request)
>>> [r.service for r in batch.records], batch.rejected, batch.reason
(['catalog'], 1, 'spans with an absent or all-zero trace_id or span_id were rejected')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, TracesData

NO_SERVICE_NAME = "OTLPResourceNoServiceName"  # what Jaeger names a resource without one
SERVICE_NAME = "service.name"


@dataclass(slots=True, eq=False)
class SpanRecord:
    """One span as held: ids, its service, its times (ns), and the messages it came in."""

    trace_id: bytes
    span_id: bytes
    service: str
    start_ns: int
    end_ns: int
    span: Span
    resource: Resource
    scope: InstrumentationScope
    resource_schema_url: str = ""
    scope_schema_url: str = ""

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)


@dataclass
class Batch:
    """The records taken from one export, and how many spans were rejected and why."""

    records: list[SpanRecord] = field(default_factory=list)
    rejected: int = 0
    reason: str = ""


def service_name(resource: Resource) -> str:
    for attr in resource.attributes:
        if attr.key == SERVICE_NAME and attr.value.WhichOneof("value") == "string_value":
            return attr.value.string_value or NO_SERVICE_NAME
    return NO_SERVICE_NAME


def _valid_id(value: bytes, size: int) -> bool:
    return len(value) == size and value != bytes(size)


def records_from_request(request: ExportTraceServiceRequest | TracesData) -> Batch:
    """The spans of an export as records; spans with an absent or zero id are rejected."""
    batch = Batch()
    for resource_spans in request.resource_spans:
        resource = resource_spans.resource
        service = service_name(resource)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope  # one message shared by the records of this scope
            for span in scope_spans.spans:
                if not (_valid_id(span.trace_id, 16) and _valid_id(span.span_id, 8)):
                    batch.rejected += 1
                    continue
                batch.records.append(SpanRecord(
                    trace_id=span.trace_id, span_id=span.span_id, service=service,
                    start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                    span=span, resource=resource, scope=scope,
                    resource_schema_url=resource_spans.schema_url,
                    scope_schema_url=scope_spans.schema_url,
                ))
    if batch.rejected:
        batch.reason = "spans with an absent or all-zero trace_id or span_id were rejected"
    return batch


def records_to_traces_data(records: Iterable[SpanRecord]) -> TracesData:
    """The records as OTLP TracesData: one ResourceSpans a resource, one ScopeSpans a scope,
    in the order the records come."""
    data = TracesData()
    by_resource: dict[int, tuple[ResourceSpans, dict[int, int]]] = {}
    for record in records:
        key = id(record.resource)
        if key not in by_resource:
            rs = data.resource_spans.add(schema_url=record.resource_schema_url)
            rs.resource.CopyFrom(record.resource)
            by_resource[key] = (rs, {})
        rs, scopes = by_resource[key]
        scope_key = id(record.scope)
        if scope_key not in scopes:
            ss = rs.scope_spans.add(schema_url=record.scope_schema_url)
            ss.scope.CopyFrom(record.scope)
            scopes[scope_key] = len(rs.scope_spans) - 1
        rs.scope_spans[scopes[scope_key]].spans.append(record.span)
    return data
