"""Gateway spans: NGINX access-log lines as RFC 3164 syslog frames over real UDP."""

from __future__ import annotations

import json

import pytest

from services.tracestore.syslog_spans import MalformedFrame, record_from_frame
from tests.test_tracestore_support import RunningStore, eventually, store

__all__ = ["store"]
TRACE_ID, SPAN_ID, CLIENT_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "b7ad6b7169203331"
TRACE_2, TRACE_3 = "4bf92f3577b34da6a3ce929d0e0e4702", "4bf92f3577b34da6a3ce929d0e0e4703"


def gateway_frame(host: str = "", **fields: str) -> bytes:
    line = {"trace_id": TRACE_ID, "span_id": SPAN_ID, "parent_span_id": CLIENT_SPAN,
            "time": "1701583200.250", "duration": "0.125", "method": "GET",
            "uri": "/v1/orders/42", "route": "/v1/orders/{id}", "status": "200",
            "upstream_status": "200", "upstream_addr": "10.0.0.7:8000",
            "request_id": "7f0c", "client": "203.0.113.9", **fields}
    return f"<190>Dec  3 06:00:00 {host}gateway: {json.dumps(line)}".encode()


def test_a_frame_becomes_a_server_span_of_the_gateway_with_http_attributes(
        store: RunningStore) -> None:
    store.send_syslog(gateway_frame())
    found = eventually(lambda: store.get(f"/api/traces/{TRACE_ID}").json().get("data"))
    span = found[0]["spans"][0]
    assert (span["spanID"], span["operationName"]) == (SPAN_ID, "GET /v1/orders/{id}")
    assert span["references"] == [{"refType": "CHILD_OF", "traceID": TRACE_ID,
                                   "spanID": CLIENT_SPAN}]
    assert (span["startTime"], span["duration"]) == (1701583200125000, 125000)
    tags = {t["key"]: t["value"] for t in span["tags"]}
    assert tags == {"http.request.method": "GET", "url.path": "/v1/orders/42",
                    "http.route": "/v1/orders/{id}", "http.response.status_code": 200,
                    "client.address": "203.0.113.9", "nginx.upstream_status": "200",
                    "nginx.upstream_addr": "10.0.0.7:8000", "nginx.request_id": "7f0c",
                    "otel.scope.name": "tracestore.syslog_spans", "span.kind": "server"}
    assert found[0]["processes"][span["processID"]] == {"serviceName": "gateway", "tags": []}
    assert store.get("/api/services").json()["data"] == ["gateway"]


def test_a_5xx_is_an_error_span_and_a_route_less_request_is_named_by_its_uri(
        store: RunningStore) -> None:
    store.send_syslog(gateway_frame(trace_id=TRACE_2, status="502", route="", uri="/nowhere",
                                    parent_span_id="", span_id="1111111111111111"),
                      gateway_frame(host="gw-1 ", trace_id=TRACE_2, span_id="2222222222222222",
                                    method="POST"))

    def both() -> list[dict] | None:
        data = store.get(f"/api/traces/{TRACE_2}").json().get("data")
        return data[0]["spans"] if data and len(data[0]["spans"]) == 2 else None

    spans = eventually(both)
    by_id = {s["spanID"]: s for s in spans}
    failed = by_id["1111111111111111"]
    assert failed["operationName"] == "GET /nowhere"
    assert failed["references"] == []
    assert {"key": "error", "type": "bool", "value": True} in failed["tags"]
    assert {"key": "otel.status_code", "type": "string", "value": "ERROR"} in failed["tags"]
    assert by_id["2222222222222222"]["operationName"] == "POST /v1/orders/{id}"
    errors = store.get("/api/traces", service="gateway", tags='{"error":"true"}',
                       start=0).json()  # 2023: before the default window of two days
    assert [s["spanID"] for t in errors["data"] for s in t["spans"]
            if s["spanID"] == "1111111111111111"] == ["1111111111111111"]


MALFORMED = [
    b"",
    b"no priority at all",
    b"<190>Dec  3 06:00:00 gateway no colon",
    b"<190>Dec  3 06:00:00 gateway: {not json",
    b"<190>Dec  3 06:00:00 gateway: [1, 2]",
    gateway_frame(trace_id="xyz"),
    gateway_frame(trace_id="0" * 32),
    gateway_frame(span_id="00f067aa0ba902"),
    gateway_frame(parent_span_id="zz"),
    gateway_frame(time="yesterday"),
    gateway_frame(duration="-1"),
    gateway_frame(method=""),
    gateway_frame(status="OK"),
    b"\xff\xfe<190>" + bytes(range(256)),
]


@pytest.mark.parametrize("frame", MALFORMED)
def test_a_malformed_frame_is_refused_with_a_reason(frame: bytes) -> None:
    with pytest.raises(MalformedFrame) as refused:
        record_from_frame(frame)
    assert "\n" not in str(refused.value)


def test_malformed_frames_are_counted_and_dropped_and_the_listener_goes_on(
        store: RunningStore) -> None:
    def counts() -> tuple[float, float]:
        return (store.metric("tracestore_spans_received_total", source="syslog"),
                store.metric("tracestore_spans_rejected_total", source="syslog",
                             reason="malformed_frame"))

    received, rejected = counts()
    store.send_syslog(*MALFORMED)
    store.send_syslog(gateway_frame(trace_id=TRACE_3))
    eventually(lambda: counts() == (received + 1, rejected + len(MALFORMED)))
    assert store.get(f"/api/traces/{TRACE_3}").status_code == 200
