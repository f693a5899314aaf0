"""The harness's trace client (sandbox/telemetry, written against Jaeger's documented query
API) against the project's store (services/tracestore), through that same API: what makes
"select Jaeger by configuration" a swap of the store, not of the harness.

Spans arrive as they do in a running sandbox: the services' OpenTelemetry SDK over
OTLP/HTTP, the gateway's line over syslog.
"""

from __future__ import annotations

import json
import re
import socket
import time

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from sandbox.telemetry import JaegerQuery, Span, Traces
from sandbox.telemetry.otlp_json import traces_from_otlp
from tests.test_tracestore_support import RunningStore, otlp_exporter, sdk_provider

pytestmark = pytest.mark.timeout(30)

GATEWAY_SPAN = "1a2b3c4d5e6f7081"


def _gateway_frame(trace_id: str, started: float, duration: float) -> bytes:
    line = {"trace_id": trace_id, "span_id": GATEWAY_SPAN, "parent_span_id": "",
            "time": f"{started + duration:.3f}", "duration": f"{duration:.3f}",
            "method": "POST", "uri": "/v1/orders", "route": "/v1/orders", "status": "201",
            "upstream_status": "201", "upstream_addr": "10.0.0.5:20001",
            "request_id": "req-1", "client": "172.30.0.1"}
    return b"<190>Dec  3 06:00:00 gateway: " + json.dumps(line).encode()


def _export_order(store: RunningStore, trace_id: str) -> None:
    """The monolith's server span under the gateway's, its client call, and the catalog
    worker's consumer span of the event it published: two services, one trace."""
    parent = trace.SpanContext(int(trace_id, 16), int(GATEWAY_SPAN, 16), is_remote=True,
                               trace_flags=trace.TraceFlags(1))
    monolith = sdk_provider("monolith", otlp_exporter(store))
    worker = sdk_provider("catalog", otlp_exporter(store))
    tracer = monolith.get_tracer("test")
    ctx = trace.set_span_in_context(trace.NonRecordingSpan(parent))
    with tracer.start_as_current_span("POST /v1/orders", context=ctx, kind=SpanKind.SERVER):
        with tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT):
            pass
        with tracer.start_as_current_span("events publish", kind=SpanKind.PRODUCER,
                                          attributes={"sandbox.event.type": "order.created"}):
            published = trace.get_current_span().get_span_context()
    consumer_ctx = trace.set_span_in_context(trace.NonRecordingSpan(published))
    with worker.get_tracer("test").start_as_current_span(
            "catalog process", context=consumer_ctx, kind=SpanKind.CONSUMER) as span:
        span.set_status(Status(StatusCode.ERROR, "out of stock"))
    monolith.shutdown()
    worker.shutdown()


def test_wait_for_finds_the_whole_trace_in_the_projects_store() -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    with RunningStore() as store:
        started = time.time()
        store.send_syslog(_gateway_frame(trace_id, started, 0.05))
        _export_order(store, trace_id)
        traces = Traces(JaegerQuery(store.query_url))
        gateway = Span(service="gateway", name="POST /v1/orders", kind="server")
        monolith = Span(service="monolith", name="POST /v1/orders", child_of=gateway)
        found = traces.wait_for(
            trace_id, gateway, monolith,
            Span(service="monolith", kind="client", name="INSERT", child_of=monolith),
            Span(service="catalog", kind="consumer", status="error",
                 child_of=Span(kind="producer", attrs={"sandbox.event.type": "order.created"})),
            within=10.0)
        assert {s.service for s in found.spans} == {"gateway", "monolith", "catalog"}
        assert "catalog process" in traces.waterfall(trace_id, color=False)
        query = JaegerQuery(store.query_url)
        assert {"gateway", "monolith", "catalog"} <= set(query.services())
        assert [t.trace_id for t in query.find("catalog", start=started - 60,
                                               end=time.time() + 60)] == [trace_id]
        # the bundle's read: api_v3's OTLP JSON, which both Jaeger and the store serve
        doc = query.otlp_find("monolith", started - 60, time.time() + 60)
        [bundled] = traces_from_otlp(doc)
        assert bundled.trace_id == trace_id and len(bundled.spans) == 5  # the whole trace


def test_a_trace_that_never_comes_fails_with_the_selectors_named() -> None:
    with RunningStore() as store:
        traces = Traces(JaegerQuery(store.query_url))
        with pytest.raises(AssertionError, match=re.escape("never reached the trace store")):
            traces.wait_for("0" * 31 + "1", Span(service="gateway"), within=0.5)


def test_the_services_exporter_delivers_to_the_store() -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from services.platform.otlp_json_export import OtlpJsonExporter

    with RunningStore() as store:
        provider = TracerProvider(resource=Resource.create({"service.name": "exported"}))
        provider.add_span_processor(SimpleSpanProcessor(OtlpJsonExporter(store.otlp_url)))
        tracer = provider.get_tracer("t")
        with tracer.start_as_current_span("parent", kind=trace.SpanKind.SERVER) as span:
            trace_id = trace.format_trace_id(span.get_span_context().trace_id)
            with tracer.start_as_current_span("child", kind=trace.SpanKind.CLIENT,
                                              attributes={"n": 3, "ok": True, "tags": ["a"]}):
                pass
        provider.shutdown()
        found = Traces(JaegerQuery(store.query_url)).wait_for(
            trace_id, Span(service="exported", name="parent", kind="server"),
            Span(name="child", kind="client", attrs={"n": 3, "ok": True},
                 child_of=Span(name="parent")),
            within=5.0)
        assert len(found.spans) == 2


def test_an_export_to_a_store_that_is_down_fails_at_once() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from services.platform.otlp_json_export import OtlpJsonExporter

    memory, provider = InMemorySpanExporter(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("lost"):
        pass
    with socket.socket() as closed:  # a port bound and never listened on: refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        exporter = OtlpJsonExporter(f"http://127.0.0.1:{port}/v1/traces", timeout=1.0)
        started = time.monotonic()
        assert exporter.export(memory.get_finished_spans()) is SpanExportResult.FAILURE
    assert time.monotonic() - started < 1.0
