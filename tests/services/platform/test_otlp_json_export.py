"""The services' OTLP/JSON encoding, read back by the protobuf message types
(opentelemetry-proto, through the trace store's reader): what any OTLP receiver gets."""

import doctest

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from services.platform import otlp_json_export
from services.platform.otlp_json_export import encode_spans
from services.tracestore.otlp_json import message_from_json


def finished_spans():
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("sandbox", "1.0")
    attributes = {"n": 2, "ratio": 0.5, "ok": False, "tags": ("a", "b")}
    with tracer.start_as_current_span("order", kind=SpanKind.SERVER) as parent:
        link = Link(parent.get_span_context(), {"why": "retry"})
        child = tracer.start_span("publish", kind=SpanKind.PRODUCER, attributes=attributes,
                                  links=[link])
        child.add_event("sent", {"bytes": 10})
        child.set_status(Status(StatusCode.ERROR, "broker down"))
        child.end()
    return memory.get_finished_spans()


def test_spans_read_back_as_the_protobuf_messages_say():
    request = message_from_json(orjson.loads(encode_spans(finished_spans())),
                                ExportTraceServiceRequest())
    [resource] = request.resource_spans
    assert {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"] == "shop"
    [scope] = resource.scope_spans
    assert (scope.scope.name, scope.scope.version) == ("sandbox", "1.0")
    child, parent = scope.spans
    assert (child.name, child.kind, parent.kind) == ("publish", 4, 2)  # PRODUCER, SERVER
    assert child.trace_id == parent.trace_id and child.parent_span_id == parent.span_id
    assert len(child.trace_id) == 16 and len(child.span_id) == 8
    assert parent.parent_span_id == b""
    values = {a.key: a.value for a in child.attributes}
    assert values["n"].int_value == 2 and values["ratio"].double_value == 0.5
    assert values["ok"].HasField("bool_value") and not values["ok"].bool_value
    assert [v.string_value for v in values["tags"].array_value.values] == ["a", "b"]
    assert (child.status.code, child.status.message) == (2, "broker down")
    assert child.events[0].name == "sent" and child.events[0].time_unix_nano > 0
    assert child.links[0].span_id == parent.span_id
    assert 0 < child.start_time_unix_nano <= child.end_time_unix_nano


def test_the_modules_examples_hold():
    failed, attempted = doctest.testmod(otlp_json_export)
    assert attempted > 0 and failed == 0
