"""The OTLP/HTTP receiver, driven by the real OpenTelemetry SDK exporter and by hand."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from google.rpc.status_pb2 import Status
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.trace import Link, SpanKind, StatusCode

from tests.test_tracestore_support import (
    RunningStore,
    otlp_exporter,
    otlp_json_body,
    recorded_spans,
    sdk_provider,
    store,
)

__all__ = ["store"]  # the fixture, used by name
PROTOBUF, JSON = "application/x-protobuf", "application/json"


def _order_saga(provider: trace.TracerProvider) -> tuple[str, str]:
    """A parent, a child with an event and an error, a span linking to the parent."""
    tracer = provider.get_tracer("saga-test", "1.2")
    with (tracer.start_as_current_span("POST /v1/orders", kind=SpanKind.SERVER,
                                       attributes={"http.response.status_code": 201}) as parent,
          tracer.start_as_current_span("reserve", kind=SpanKind.CLIENT) as child):
        child.set_attribute("retries", 2)
        child.set_attribute("ratio", 0.5)
        child.set_attribute("cached", False)
        child.set_attribute("skus", ["SKU-1", "SKU-2"])
        child.add_event("stock.low", {"sku": "SKU-1"})
        child.set_status(StatusCode.ERROR, "out of stock")
    ctx = parent.get_span_context()
    linked = tracer.start_span("order.created", kind=SpanKind.CONSUMER, links=[Link(ctx)])
    linked.end()
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


@pytest.mark.parametrize("compression", [None, Compression.Gzip, Compression.Deflate])
def test_the_sdk_exporter_delivers_spans_that_are_then_queryable(store: RunningStore,
                                                                   compression) -> None:
    before = store.metric("tracestore_spans_received_total", source="otlp")
    provider = sdk_provider("monolith", otlp_exporter(store, compression))
    trace_id, parent_id = _order_saga(provider)
    assert provider.force_flush(timeout_millis=5000)
    provider.shutdown()

    found = store.get(f"/api/traces/{trace_id}").json()["data"][0]
    names = sorted(span["operationName"] for span in found["spans"])
    assert names == ["POST /v1/orders", "reserve"]
    child = next(s for s in found["spans"] if s["operationName"] == "reserve")
    assert child["references"] == [{"refType": "CHILD_OF", "traceID": trace_id,
                                    "spanID": parent_id}]
    assert found["processes"][child["processID"]]["serviceName"] == "monolith"
    tags = {t["key"]: (t["type"], t["value"]) for t in child["tags"]}
    assert tags["retries"] == ("int64", 2) and tags["ratio"] == ("float64", 0.5)
    assert tags["cached"] == ("bool", False)
    assert tags["skus"] == ("string", '["SKU-1","SKU-2"]')
    assert tags["otel.scope.name"] == ("string", "saga-test")
    assert tags["span.kind"] == ("string", "client") and tags["error"] == ("bool", True)
    assert tags["otel.status_description"] == ("string", "out of stock")
    assert child["logs"][0]["fields"] == [
        {"key": "event", "type": "string", "value": "stock.low"},
        {"key": "sku", "type": "string", "value": "SKU-1"}]
    process_tags = {t["key"] for t in found["processes"][child["processID"]]["tags"]}
    assert "telemetry.sdk.language" in process_tags and "service.name" not in process_tags
    assert store.metric("tracestore_spans_received_total", source="otlp") == before + 3


def test_a_json_export_of_the_sdks_spans_is_taken_and_answered_in_json(store: RunningStore
                                                                       ) -> None:
    spans = recorded_spans(_order_saga)
    response = store.post_otlp(otlp_json_body(spans), JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {}
    trace_id = f"{spans[0].context.trace_id:032x}"
    found = store.get(f"/api/traces/{trace_id}").json()["data"][0]
    assert len(found["spans"]) == 2
    linked = store.get("/api/traces", service="json-svc", operation="order.created"
                       ).json()["data"][0]["spans"][0]
    assert linked["references"] == [{"refType": "FOLLOWS_FROM", "traceID": trace_id,
                                     "spanID": f"{spans[1].context.span_id:016x}"}]


def test_a_gzipped_json_body_with_enum_names_and_int64_numbers_is_taken(store: RunningStore
                                                                        ) -> None:
    doc = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "hand"}}]},
        "scopeSpans": [{"scope": {"name": "by-hand"}, "spans": [{
            "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "eee19b7ec3c1b174",
            "parentSpanId": "", "name": "by hand", "kind": "SPAN_KIND_INTERNAL",
            "startTimeUnixNano": 1544712660000000000, "endTimeUnixNano": "1544712661000000000",
            "unknownField": "ignored",
            "attributes": [{"key": "big", "value": {"intValue": "9007199254740993"}}]}]}]}]}
    response = store.post_otlp(gzip.compress(json.dumps(doc).encode()), JSON,
                               **{"content-encoding": "gzip"})
    assert response.status_code == 200, response.text
    span = store.get("/api/traces/5b8efff798038103d269b633813fc60c").json()["data"][0]["spans"][0]
    assert span["duration"] == 1_000_000
    assert span["references"] == []
    assert {"key": "big", "type": "int64", "value": "9007199254740993"} in span["tags"]


def _request(trace_id: bytes, span_id: bytes, fine: bytes = b"\x01" * 16
             ) -> ExportTraceServiceRequest:
    """A span of trace `fine` that is fine, and one with the ids given."""
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = "ids"
    rs.scope_spans.add().spans.add(trace_id=fine, span_id=b"\x02" * 8, name="fine")
    rs.scope_spans[0].spans.add(trace_id=trace_id, span_id=span_id, name="odd")
    return request


@pytest.mark.parametrize("trace_id,span_id", [(b"", b"\x02" * 8), (bytes(16), b"\x03" * 8),
                                               (b"\x01" * 16, bytes(8))])
def test_spans_with_absent_or_zero_ids_are_rejected_alone_as_a_partial_success(
        store: RunningStore, trace_id: bytes, span_id: bytes) -> None:
    before = store.metric("tracestore_spans_rejected_total", source="otlp", reason="invalid_id")
    response = store.post_otlp(_request(trace_id, span_id).SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "absent or all-zero" in answer.partial_success.error_message
    assert "ids" in store.get("/api/services").json()["data"]
    assert store.metric("tracestore_spans_rejected_total", source="otlp",
                        reason="invalid_id") == before + 1


def test_a_json_partial_success_is_answered_in_json(store: RunningStore) -> None:
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "", "spanId": "eee19b7ec3c1b174", "name": "no trace"}]}]}]}
    response = store.post_otlp(json.dumps(doc).encode(), JSON)
    assert response.status_code == 200
    assert response.json() == {"partialSuccess": {
        "rejectedSpans": "1",
        "errorMessage": "spans with an absent or all-zero trace_id or span_id were rejected"}}


HEX_SPAN = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174"}


@pytest.mark.parametrize("body,reason", [
    (b"{not json", "the body is not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {**HEX_SPAN, "traceId": "xyz"}]}]}]}).encode(), "traceId 'xyz' is not 32 hex digits"),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {**HEX_SPAN, "spanId": "eee19b7ec3c1b1"}]}]}]}).encode(), "is not 16 hex digits"),
    (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {**HEX_SPAN, "startTimeUnixNano": "soon"}]}]}]}).encode(), "not an OTLP JSON export"),
    (json.dumps({"resourceSpans": "many"}).encode(), "not an OTLP JSON export"),
])
def test_a_bad_json_body_is_a_400_with_a_json_status(store: RunningStore, body: bytes,
                                                     reason: str) -> None:
    response = store.post_otlp(body, JSON)
    assert response.status_code == 400
    status = response.json()
    assert status["code"] == 3 and reason in status["message"]
    assert "\n" not in status["message"]


@pytest.mark.parametrize("body,reason", [
    (b"\xff\xff\xff\xff", "not an ExportTraceServiceRequest"),
    (_request(b"\x01" * 15, b"\x02" * 8, fine=b"\x0f" * 16).SerializeToString(),
     "trace_id has 15 bytes, not 16"),
    (_request(b"\x01" * 16, b"\x02" * 9, fine=b"\x0f" * 16).SerializeToString(),
     "span_id has 9 bytes, not 8"),
])
def test_a_bad_protobuf_body_is_a_400_with_a_protobuf_status(store: RunningStore, body: bytes,
                                                             reason: str) -> None:
    before = store.metric("tracestore_otlp_requests_rejected_total", status="400")
    response = store.post_otlp(body, PROTOBUF)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROTOBUF
    assert reason in Status.FromString(response.content).message
    assert store.metric("tracestore_otlp_requests_rejected_total", status="400") == before + 1
    assert store.get("/api/traces/" + "0f" * 16).status_code == 404  # none of it is held


def test_another_media_type_is_a_415_with_a_one_line_reason(store: RunningStore) -> None:
    response = store.post_otlp(b"hello", "text/plain")
    assert response.status_code == 415
    assert response.text == ("content type 'text/plain' is not supported: send "
                             "application/x-protobuf or application/json\n")


def test_an_unknown_content_encoding_is_a_415_and_a_broken_gzip_a_400(store: RunningStore
                                                                      ) -> None:
    body = _request(b"\x01" * 16, b"\x02" * 8).SerializeToString()
    unknown = store.post_otlp(body, PROTOBUF, **{"content-encoding": "br"})
    assert unknown.status_code == 415
    assert "'br' is not supported" in Status.FromString(unknown.content).message
    broken = store.post_otlp(gzip.compress(body)[:-9], PROTOBUF, **{"content-encoding": "gzip"})
    assert broken.status_code == 400
    assert "does not decompress" in Status.FromString(broken.content).message


def test_a_body_over_the_bound_is_a_413_before_or_after_decompression() -> None:
    with RunningStore(max_body_bytes=1000) as store:
        large = store.post_otlp(b"\x00" * 2000, PROTOBUF)
        assert large.status_code == 413
        assert "more than 1000" in Status.FromString(large.content).message
        bomb = zlib.compress(b"\x00" * 100_000)
        assert len(bomb) < 1000
        inflated = store.post_otlp(bomb, PROTOBUF, **{"content-encoding": "deflate"})
        assert inflated.status_code == 413
        assert "decompresses to more than 1000" in Status.FromString(inflated.content).message
        # a stream of chunks without a length is bounded too
        chunked = store.http.post(store.otlp_url, content=iter([b"\x00" * 600] * 3),
                                  headers={"content-type": PROTOBUF})
        assert chunked.status_code == 413


def test_only_post_to_v1_traces_is_served(store: RunningStore) -> None:
    assert store.http.get(store.otlp_url).status_code == 405
    assert store.http.post(store.otlp_url.replace("traces", "logs")).status_code == 404


def test_encode_spans_of_the_sdk_round_trips_through_protobuf_exactly(store: RunningStore
                                                                      ) -> None:
    spans = recorded_spans(_order_saga, service="round-trip")
    response = store.post_otlp(encode_spans(spans).SerializeToString(), PROTOBUF)
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    trace_id = f"{spans[0].context.trace_id:032x}"
    held = store.get(f"/api/v3/traces/{trace_id}").json()["result"]["resourceSpans"]
    sent = json.loads(otlp_json_body([s for s in spans
                                      if f"{s.context.trace_id:032x}" == trace_id]))
    assert held == sent["resourceSpans"]
