"""Traces: Jaeger's answers parsed, selectors, the waterfall, wait_for's bounded poll."""

from __future__ import annotations

import re

import httpx
import pytest
import respx

from sandbox.telemetry import JaegerQuery, Poller, Span, Traces, render_waterfall
from sandbox.telemetry.errors import QueryRefused, TelemetryUnavailable, TraceNotFound
from sandbox.telemetry.jaeger_json import trace_from_jaeger
from sandbox.telemetry.otlp_json import traces_from_otlp
from tests.telemetry_shapes import (
    JAEGER_NOT_FOUND,
    TRACE_ID,
    FakeClock,
    closed_port,
    jaeger_answer,
    order_trace,
    otlp_answer,
    otlp_span,
)

STORE = "http://127.0.0.1:16686"


def test_a_jaeger_trace_becomes_typed_spans():
    trace = trace_from_jaeger(order_trace())
    assert trace.trace_id == TRACE_ID and trace.services == ["gateway", "monolith", "payments"]
    root, = trace.roots()
    assert (root.service, root.name, root.kind, root.status) == (
        "gateway", "POST /v1/orders", "server", "ok")
    consumer = trace.span("0000000000000005")
    assert consumer.parent_span_id == "0000000000000004" and consumer.kind == "consumer"
    assert consumer.status == "error" and consumer.status_message == "provider timeout"
    assert consumer.events[0].name == "exception"
    assert consumer.events[0].attrs == {"exception.type": "TimeoutError"}
    assert "otel.status_code" not in consumer.attrs and consumer.attrs["error"] is True
    assert trace.duration_us == 40_000


def test_otlp_json_in_both_api_v3_envelopes_gives_the_same_trace():
    spans = [otlp_span("00000000000000aa", "GET /v1/products", 1_000_000, 3_000_000),
             otlp_span("00000000000000bb", "SELECT", 1_500_000, 2_000_000,
                       parent="00000000000000aa", kind=3, code=2, attrs={"db.rows": 3})]
    for wrapped in (True, False):
        [trace] = traces_from_otlp(otlp_answer("catalog", spans, wrapped=wrapped))
        child = trace.span("00000000000000bb")
        assert (child.service, child.kind, child.status, child.duration_us) == (
            "catalog", "client", "error", 500)
        assert child.attrs == {"db.rows": 3} and trace.parent(child).name == "GET /v1/products"


def test_selectors_match_by_service_name_regex_attrs_status_and_kind():
    trace = trace_from_jaeger(order_trace())
    assert [s.span_id for s in Span(service="monolith").select(trace)] == [
        "0000000000000002", "0000000000000003", "0000000000000004"]
    assert Span(name=re.compile(r"^INSERT ")).select(trace)[0].service == "monolith"
    assert Span(attrs={"http.status_code": "201"}).select(trace)[0].service == "gateway"
    assert Span(attrs={"db.system": re.compile("postgres")}).select(trace)
    assert Span(status="error").select(trace)[0].service == "payments"
    assert Span(kind="producer").select(trace)[0].name == "order.created publish"
    assert not Span(service="gateway", status="error").select(trace)


def test_selectors_follow_parent_and_child_and_bound_durations():
    trace = trace_from_jaeger(order_trace())
    consumer = Span(service="payments", child_of=Span(kind="producer", service="monolith"))
    assert consumer.select(trace)
    assert not Span(service="payments", child_of=Span(service="gateway")).select(trace)
    assert Span(service="gateway", parent_of=Span(service="monolith")).select(trace)
    assert not Span(service="gateway", parent_of=Span(service="payments")).select(trace)
    assert Span(name="INSERT monolith_test", max_duration=0.010).select(trace)
    assert not Span(name="INSERT monolith_test", max_duration=0.005).select(trace)


def test_an_unmatched_selector_says_what_each_close_span_misses():
    trace = trace_from_jaeger(order_trace())
    selector = Span(service="payments", status="ok", max_duration=0.01)
    assert repr(selector) == "Span(service='payments', status='ok', max_duration=0.01)"
    span, why = selector.closest(trace)[0]
    assert span.service == "payments"
    assert why == ["status is error, not ok", "took 15.0 ms, more than 10.0 ms"]
    parent_why = Span(child_of=Span(service="gateway")).mismatches(
        trace.span("0000000000000001"), trace)
    assert parent_why == ["has no parent in the trace"]


def test_the_waterfall_is_a_tree_with_bars_on_the_trace_scale():
    text = render_waterfall(trace_from_jaeger(order_trace()), width=80)
    lines = text.splitlines()
    assert lines[0].startswith(f"trace {TRACE_ID}  5 spans  gateway, monolith, payments")
    assert "40.0 ms" in lines[0]
    assert lines[1].startswith("gateway POST /v1/orders")
    assert lines[2].startswith("  monolith POST /orders")
    assert lines[3].startswith("    monolith INSERT monolith_test")
    assert lines[5].startswith("      payments order.created process")
    bars = [line[line.index("|") + 1: line.rindex("|")] for line in lines[1:]]
    assert len({len(bar) for bar in bars}) == 1, "every bar on one scale"
    assert bars[0].strip(" ") == "#" * len(bars[0]), "the root spans the whole trace"
    assert bars[4].index("#") == len(bars[0]) // 2, "payments starts half way in"
    assert lines[5].endswith("15.0 ms  ERROR provider timeout")
    assert "\x1b[" not in text
    assert "\x1b[31m" in render_waterfall(trace_from_jaeger(order_trace()), color=True)


@respx.mock(assert_all_mocked=True)
def test_the_client_reads_services_traces_and_searches(respx_mock):
    respx_mock.get(f"{STORE}/api/services").respond(
        json={"data": ["payments", "gateway"], "total": 2, "limit": 0, "offset": 0,
              "errors": None})
    respx_mock.get(f"{STORE}/api/traces/{TRACE_ID}").respond(json=jaeger_answer(order_trace()))
    search = respx_mock.get(f"{STORE}/api/traces").respond(json=jaeger_answer(order_trace()))
    store = JaegerQuery(STORE)
    assert store.services() == ["gateway", "payments"]
    assert len(store.trace(TRACE_ID.upper()).spans) == 5
    [found] = store.find("gateway", operation="POST /v1/orders", tags={"http.status_code": 201},
                         start=1714550400.0, end=1714550460.0, limit=5)
    params = search.calls.last.request.url.params
    assert params["service"] == "gateway" and params["operation"] == "POST /v1/orders"
    assert params["tags"] == '{"http.status_code": "201"}'
    assert (params["start"], params["end"], params["limit"]) == (
        "1714550400000000", "1714550460000000", "5")
    assert found.trace_id == TRACE_ID


@respx.mock(assert_all_mocked=True)
def test_an_unknown_trace_is_none_and_get_says_so_in_one_line(respx_mock):
    respx_mock.get(f"{STORE}/api/traces/{TRACE_ID}").respond(404, json=JAEGER_NOT_FOUND)
    assert JaegerQuery(STORE).trace(TRACE_ID) is None
    with pytest.raises(TraceNotFound) as info:
        Traces(JaegerQuery(STORE)).get(TRACE_ID)
    assert f"trace {TRACE_ID} is not in the trace store" in info.value.one_line()


def test_a_malformed_id_is_refused_before_any_request():
    with pytest.raises(QueryRefused, match="is not a trace id"):
        JaegerQuery("http://127.0.0.1:9").trace("not-hex!")


def test_an_unreachable_store_names_its_address_and_the_fix():
    unused_port = closed_port()
    with pytest.raises(TelemetryUnavailable) as info:
        JaegerQuery(f"http://127.0.0.1:{unused_port}").services()
    line = info.value.one_line()
    assert f"the trace store does not answer at http://127.0.0.1:{unused_port}/api/services" in line
    assert "sandbox logs tracestore" in line


@respx.mock(assert_all_mocked=True)
def test_wait_for_polls_until_late_spans_arrive(respx_mock):
    partial = order_trace()
    partial["spans"] = partial["spans"][:2]
    route = respx_mock.get(f"{STORE}/api/traces/{TRACE_ID}")
    route.side_effect = [httpx.Response(404, json=JAEGER_NOT_FOUND),
                         httpx.Response(200, json=jaeger_answer(partial)),
                         httpx.Response(200, json=jaeger_answer(order_trace()))]
    clock = FakeClock()
    traces = Traces(JaegerQuery(STORE), Poller(interval=0.5, clock=clock, pause=clock.pause))
    trace = traces.wait_for(TRACE_ID, Span(service="gateway"), Span(service="payments",
                                                                    status="error"))
    assert len(trace.spans) == 5 and route.call_count == 3 and clock.pauses == [0.5, 0.5]


@respx.mock(assert_all_mocked=True)
def test_wait_for_times_out_naming_the_unmatched_the_closest_and_the_waterfall(respx_mock):
    respx_mock.get(f"{STORE}/api/traces/{TRACE_ID}").respond(json=jaeger_answer(order_trace()))
    clock = FakeClock()
    traces = Traces(JaegerQuery(STORE), Poller(interval=1.0, clock=clock, pause=clock.pause))
    with pytest.raises(AssertionError) as info:
        traces.wait_for(TRACE_ID, Span(service="gateway"),
                        Span(service="payments", status="ok"), within=3.0)
    message = str(info.value)
    assert clock.now == pytest.approx(3.0), "a bounded wait: exactly its deadline"
    assert f"trace {TRACE_ID}: 1 of 2 span selectors matched no span after 3 s (4 polls)" in message
    assert "matched:   Span(service='gateway') -> gateway POST /v1/orders" in message
    assert "UNMATCHED: Span(service='payments', status='ok')" in message
    assert ("closest: payments order.created process (15.0 ms) ERROR [0000000000000005]: "
            "status is error, not ok") in message
    assert "  monolith POST /orders" in message and "|" in message


def test_wait_for_a_trace_that_never_arrives_says_the_store_was_down():
    unused_port = closed_port()
    clock = FakeClock()
    traces = Traces(JaegerQuery(f"http://127.0.0.1:{unused_port}"),
                    Poller(interval=1.0, clock=clock, pause=clock.pause))
    with pytest.raises(AssertionError) as info:
        traces.wait_for(TRACE_ID, Span(service="gateway"), within=2.0)
    message = str(info.value)
    assert f"trace {TRACE_ID} never reached the trace store after 2 s (3 polls)" in message
    assert "the store did not answer: the trace store does not answer" in message
    assert "expected: Span(service='gateway')" in message
