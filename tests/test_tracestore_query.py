"""Jaeger's query API over the store: /api/... (Jaeger's UI JSON) and /api/v3/... (OTLP JSON)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tests.test_tracestore_support import RunningStore

A, B, C = "a" * 31 + "1", "b" * 31 + "2", "0" * 16 + "c" * 15 + "3"
ROOT, CHILD, FAILED, CHARGE = "a" * 15 + "1", "a" * 15 + "2", "b" * 15 + "1", "c" * 15 + "1"
MS = 10**6
T0 = (time.time_ns() // 10**9 - 60) * 10**9  # a minute ago, on a whole second


def _export(service: str, spans: list[dict[str, Any]], **resource: str) -> bytes:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    for key, value in {"service.name": service, **resource}.items():
        rs.resource.attributes.add(key=key).value.string_value = value
    scope = rs.scope_spans.add()
    scope.scope.name, scope.scope.version = "query-test", "0.1"
    for fields in spans:
        fields = dict(fields)
        attributes = fields.pop("attributes", {})
        events = fields.pop("events", [])
        links = fields.pop("links", [])
        status = fields.pop("status", None)
        duration = fields.pop("duration_ms")
        span = scope.spans.add(
            trace_id=bytes.fromhex(fields.pop("trace")), span_id=bytes.fromhex(fields.pop("id")),
            parent_span_id=bytes.fromhex(fields.pop("parent", "")),
            start_time_unix_nano=T0 + fields.pop("at_ms", 0) * MS, **fields)
        span.end_time_unix_nano = span.start_time_unix_nano + int(duration * MS)
        for key, value in attributes.items():
            attr = span.attributes.add(key=key).value
            if isinstance(value, bool):
                attr.bool_value = value
            elif isinstance(value, int):
                attr.int_value = value
            elif isinstance(value, float):
                attr.double_value = value
            else:
                attr.string_value = value
        for name, attrs in events:
            event = span.events.add(name=name, time_unix_nano=span.start_time_unix_nano + MS)
            for key, value in attrs.items():
                event.attributes.add(key=key).value.string_value = value
        for trace_id, span_id in links:
            span.links.add(trace_id=bytes.fromhex(trace_id), span_id=bytes.fromhex(span_id))
        if status:
            span.status.code, span.status.message = status
    return request.SerializeToString()


@pytest.fixture(scope="module")
def loaded() -> Iterator[RunningStore]:
    """Three traces: A (catalog, fast, ok), B (catalog, slow, error, links to A), C (payments)."""
    with RunningStore() as store:
        for service, spans, resource in [
            ("catalog", [
                {"trace": A, "id": ROOT, "name": "GET /products", "kind": Span.SPAN_KIND_SERVER,
                     "duration_ms": 10, "attributes": {"http.response.status_code": 200}},
                {"trace": A, "id": CHILD, "parent": ROOT, "name": "SELECT", "kind": Span.SPAN_KIND_CLIENT,
                     "at_ms": 1, "duration_ms": 2, "status": (Status.STATUS_CODE_OK, "")}],
             {"deployment.environment": "test", "host.name": "catalog-1"}),
            ("catalog", [
                {"trace": B, "id": FAILED, "name": "GET /products", "kind": Span.SPAN_KIND_SERVER,
                     "at_ms": 100, "duration_ms": 1500, "trace_state": "vendor=1",
                     "attributes": {"http.response.status_code": 500, "ratio": 0.25,
                                 "cached": False},
                     "events": [("exception", {"exception.type": "KeyError"})],
                     "links": [(A, ROOT)], "status": (Status.STATUS_CODE_ERROR, "boom")}],
             {"deployment.environment": "test", "host.name": "catalog-1"}),
            ("payments", [
                {"trace": C, "id": CHARGE, "name": "charge", "kind": Span.SPAN_KIND_PRODUCER,
                     "at_ms": 200, "duration_ms": 50, "attributes": {"order.id": "o-7"}}], {}),
        ]:
            response = store.post_otlp(_export(service, spans, **resource),
                                       "application/x-protobuf")
            assert response.status_code == 200
        yield store


def _ids(answer: dict[str, Any]) -> list[str]:
    return [trace["traceID"] for trace in answer["data"]]


def test_services_and_operations_in_jaegers_envelope(loaded: RunningStore) -> None:
    assert loaded.get("/api/services").json() == {
        "data": ["catalog", "payments"], "total": 2, "limit": 0, "offset": 0, "errors": None}
    assert loaded.get("/api/services/catalog/operations").json()["data"] == [
        "GET /products", "SELECT"]
    assert loaded.get("/api/services/nobody/operations").json()["data"] == []
    assert loaded.get("/api/operations", service="catalog").json()["data"] == [
        {"name": "GET /products", "spanKind": "server"},
        {"name": "SELECT", "spanKind": "client"}]
    assert loaded.get("/api/operations", service="catalog", spanKind="client").json() == {
        "data": [{"name": "SELECT", "spanKind": "client"}], "total": 1, "limit": 0,
        "offset": 0, "errors": None}


def test_a_trace_in_jaegers_json_with_typed_tags_logs_links_and_processes(
        loaded: RunningStore) -> None:
    answer = loaded.get(f"/api/traces/{B}").json()
    assert answer["errors"] is None and answer["total"] == 0
    trace = answer["data"][0]
    assert trace["traceID"] == B and trace["warnings"] is None
    assert trace["processes"] == {"p1": {"serviceName": "catalog", "tags": [
        {"key": "deployment.environment", "type": "string", "value": "test"},
        {"key": "host.name", "type": "string", "value": "catalog-1"}]}}
    assert trace["spans"] == [{
        "traceID": B, "spanID": FAILED, "operationName": "GET /products",
        "references": [{"refType": "FOLLOWS_FROM", "traceID": A, "spanID": ROOT}],
        "startTime": (T0 + 100 * MS) // 1000, "duration": 1_500_000,
        "tags": [
            {"key": "otel.scope.name", "type": "string", "value": "query-test"},
            {"key": "otel.scope.version", "type": "string", "value": "0.1"},
            {"key": "cached", "type": "bool", "value": False},
            {"key": "http.response.status_code", "type": "int64", "value": 500},
            {"key": "ratio", "type": "float64", "value": 0.25},
            {"key": "span.kind", "type": "string", "value": "server"},
            {"key": "otel.status_code", "type": "string", "value": "ERROR"},
            {"key": "error", "type": "bool", "value": True},
            {"key": "otel.status_description", "type": "string", "value": "boom"},
            {"key": "w3c.tracestate", "type": "string", "value": "vendor=1"}],
        "logs": [{"timestamp": (T0 + 101 * MS) // 1000, "fields": [
            {"key": "event", "type": "string", "value": "exception"},
            {"key": "exception.type", "type": "string", "value": "KeyError"}]}],
        "processID": "p1", "warnings": None}]


def test_a_trace_id_with_a_zero_high_half_is_spelled_as_jaeger_does(loaded: RunningStore
                                                                    ) -> None:
    short = C[16:]
    assert _ids(loaded.get(f"/api/traces/{C}").json()) == [short]
    assert _ids(loaded.get(f"/api/traces/{short}").json()) == [short]


def test_an_unknown_trace_is_a_404_and_a_bad_id_a_400_in_jaegers_error_shape(
        loaded: RunningStore) -> None:
    missing = loaded.get("/api/traces/" + "d" * 32)
    assert missing.status_code == 404
    assert missing.json() == {"data": None, "total": 0, "limit": 0, "offset": 0,
                              "errors": [{"code": 404, "msg": "trace not found"}]}
    bad = loaded.get("/api/traces/not-a-trace")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == 400
    assert "not-a-trace" in bad.json()["errors"][0]["msg"]


@pytest.mark.parametrize("params,expected", [
    ({"service": "catalog"}, [B, A]),
    ({"service": "catalog", "operation": "SELECT"}, [A]),
    ({"service": "catalog", "tags": '{"http.response.status_code":"200"}'}, [A]),
    ({"service": "catalog", "tags": '{"error":"true"}'}, [B]),
    ({"service": "catalog", "tags": '{"otel.status_code":"OK"}'}, [A]),
    ({"service": "catalog", "tags": '{"resource.host.name":"catalog-1"}'}, [B, A]),
    ({"service": "catalog", "tags": '{"exception.type":"KeyError"}'}, [B]),
    ({"tag": "order.id:o-7"}, [C[16:]]),
    ({"tags": '{"span.kind":"producer"}'}, [C[16:]]),
    ({"service": "catalog", "minDuration": "1s"}, [B]),
    ({"service": "catalog", "maxDuration": "5ms"}, [A]),
    ({"service": "catalog", "minDuration": "3ms", "maxDuration": "20ms"}, [A]),
    ({"service": "catalog", "limit": "1"}, [B]),
    ({"start": str((T0 + 150 * MS) // 1000)}, [C[16:]]),
    ({"service": "catalog", "end": str((T0 + 50 * MS) // 1000)}, [A]),
    ({"service": "catalog", "lookback": "1s"}, []),
    ({"service": "catalog", "lookback": "2d"}, [B, A]),
    ({"service": "catalog", "lookback": "custom", "operation": "SELECT"}, [A]),
    ({"service": "nobody"}, []),
])
def test_the_trace_search_of_jaegers_api(loaded: RunningStore, params: dict[str, str],
                                         expected: list[str]) -> None:
    answer = loaded.get("/api/traces", **params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert _ids(body) == expected
    assert (body["total"], body["limit"], body["offset"], body["errors"]) == (0, 0, 0, None)


def test_the_search_by_trace_ids_names_the_missing_ones(loaded: RunningStore) -> None:
    body = loaded.http.get(loaded.query_url + "/api/traces",
                           params=[("traceID", A), ("traceID", "e" * 32)]).json()
    assert _ids(body) == [A]
    assert body["errors"] == [{"msg": "trace not found", "traceID": "e" * 32}]


@pytest.mark.parametrize("path,params,reason", [
    ("/api/traces", {"limit": "many"}, "unable to parse param 'limit'"),
    ("/api/traces", {"limit": "0"}, "unable to parse param 'limit'"),
    ("/api/traces", {"start": "yesterday"}, "unable to parse param 'start'"),
    ("/api/traces", {"end": "1.5"}, "unable to parse param 'end'"),
    ("/api/traces", {"minDuration": "2d"}, 'time: unknown unit "d" in duration "2d"'),
    ("/api/traces", {"maxDuration": "10"}, "missing unit"),
    ("/api/traces", {"minDuration": "1s", "maxDuration": "1ms"},
     "'maxDuration' should be greater than 'minDuration'"),
    ("/api/traces", {"tags": "{oops"}, "malformed 'tags' parameter"),
    ("/api/traces", {"tags": '{"http.status_code": 200}'}, "JSON object of strings"),
    ("/api/traces", {"tag": "novalue"}, "expecting key:value"),
    ("/api/traces", {"lookback": "soon"}, "unable to parse param 'lookback'"),
    ("/api/traces", {"traceID": "xyz"}, "cannot parse traceID param"),
    ("/api/traces", {"raw": "maybe"}, "raw"),
    ("/api/operations", {}, "parameter 'service' is required"),
    (f"/api/traces/{A}", {"start": "soon"}, "unable to parse param 'start'"),
])
def test_bad_parameters_are_a_400_in_jaegers_error_shape(loaded: RunningStore, path: str,
                                                         params: dict[str, str],
                                                         reason: str) -> None:
    answer = loaded.get(path, **params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["data"] is None and body["errors"][0]["code"] == 400
    assert reason in body["errors"][0]["msg"]


def _rfc3339(ns: int) -> str:
    whole = datetime.fromtimestamp(ns // 10**9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{ns % 10**9:09d}Z"


WINDOW = {"query.start_time_min": _rfc3339(T0 - 10**9),
          "query.start_time_max": _rfc3339(T0 + 10 * 10**9)}


def test_api_v3_services_operations_and_a_trace_in_otlp_json(loaded: RunningStore) -> None:
    assert loaded.get("/api/v3/services").json() == {"services": ["catalog", "payments"]}
    assert loaded.get("/api/v3/operations", service="catalog", spanKind="server").json() == {
        "operations": [{"name": "GET /products", "spanKind": "server"}]}
    assert loaded.get("/api/v3/operations", service="catalog", span_kind="client").json() == {
        "operations": [{"name": "SELECT", "spanKind": "client"}]}
    result = loaded.get(f"/api/v3/traces/{A}").json()["result"]
    (resource_spans,) = result["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "catalog"}} in (
        resource_spans["resource"]["attributes"])
    (scope_spans,) = resource_spans["scopeSpans"]
    assert scope_spans["scope"] == {"name": "query-test", "version": "0.1"}
    root, child = scope_spans["spans"]
    assert (root["traceId"], root["spanId"], root["kind"]) == (A, ROOT, 2)
    assert root["startTimeUnixNano"] == str(T0)
    assert (child["parentSpanId"], child["status"]) == (ROOT, {"code": 1})


@pytest.mark.parametrize("params,expected", [
    ({"query.service_name": "catalog"}, [B, A]),
    ({"query.serviceName": "catalog", "query.operationName": "SELECT"}, [A]),
    ({"query.service_name": "catalog", "query.num_traces": "1"}, [B]),
    ({"query.service_name": "catalog", "query.searchDepth": "1"}, [B]),
    ({"query.service_name": "catalog", "query.duration_min": "1s"}, [B]),
    ({"query.service_name": "catalog", "query.durationMax": "5ms"}, [A]),
    ({"query.attributes": '{"order.id":"o-7"}'}, [C]),
])
def test_api_v3_find_traces_gives_every_span_of_the_matching_traces(
        loaded: RunningStore, params: dict[str, str], expected: list[str]) -> None:
    result = loaded.get("/api/v3/traces", **WINDOW, **params).json()["result"]
    trace_ids = []
    for rs in result["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if span["traceId"] not in trace_ids:
                    trace_ids.append(span["traceId"])
    assert trace_ids == expected


def test_api_v3_finds_nothing_with_jaegers_404(loaded: RunningStore) -> None:
    for answer in (loaded.get("/api/v3/traces", **WINDOW, **{"query.service_name": "nobody"}),
                   loaded.get("/api/v3/traces/" + "d" * 32)):
        assert answer.status_code == 404
        assert answer.json() == {"error": {"httpCode": 404, "message": "No traces found"}}


@pytest.mark.parametrize("path,params,reason", [
    ("/api/v3/traces", {"query.service_name": "catalog"},
     "query.start_time_min and query.start_time_max are required"),
    ("/api/v3/traces", {**WINDOW, "query.start_time_min": "yesterday"},
     "malformed parameter query.start_time_min"),
    ("/api/v3/traces", {**WINDOW, "query.startTimeMax": "2024-13-01T00:00:00Z"},
     "malformed parameter query.startTimeMax"),
    ("/api/v3/traces", {"query.start_time_min": WINDOW["query.start_time_max"],
                        "query.start_time_max": WINDOW["query.start_time_min"]}, "must be before"),
    ("/api/v3/traces", {**WINDOW, "query.num_traces": "ten"},
     "malformed parameter query.num_traces"),
    ("/api/v3/traces", {**WINDOW, "query.num_traces": "-1"}, "not greater than 0"),
    ("/api/v3/traces", {**WINDOW, "query.duration_min": "fast"},
     "malformed parameter query.duration_min"),
    ("/api/v3/traces", {**WINDOW, "query.attributes": "[1]"}, "query.attributes"),
    ("/api/v3/traces", {**WINDOW, "query.raw_traces": "perhaps"}, "query.raw_traces"),
    ("/api/v3/traces/xyz", {}, "malformed parameter trace_id"),
    (f"/api/v3/traces/{A}", {"start_time": "soon"}, "malformed parameter start_time"),
    ("/api/v3/operations", {"service": "catalog", "spanKind": "sideways"},
     "malformed parameter spanKind"),
])
def test_api_v3_bad_parameters_are_a_400_in_its_error_shape(loaded: RunningStore, path: str,
                                                            params: dict[str, str],
                                                            reason: str) -> None:
    answer = loaded.get(path, **params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["httpCode"] == 400 and reason in error["message"], error


def test_a_trace_id_in_base64_is_taken_as_jaeger_takes_it(loaded: RunningStore) -> None:
    import base64

    b64 = base64.b64encode(bytes.fromhex(A)).decode()
    assert _ids(loaded.get(f"/api/traces/{b64}").json()) == [A]
    spans = loaded.get(f"/api/v3/traces/{b64.rstrip('=')}").json()["result"]
    assert json.dumps(spans).count(A) == 2
