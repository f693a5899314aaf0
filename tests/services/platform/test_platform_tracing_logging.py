import asyncio
import json
import logging

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from services.platform import logging as slog
from services.platform.broker import Broker, make_envelope
from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool, FakeSyncConnection
from services.platform.outbox import OutboxRelay, add_event_sync
from services.platform.tracing import (
    attached,
    current_span_id,
    current_trace_id,
    outbound_headers,
    span_from,
    tracer,
)

TID, SID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
PARENT = {"traceparent": f"00-{TID}-{SID}-01"}


def _hex_parent(span) -> str | None:
    return trace.format_span_id(span.parent.span_id) if span.parent else None


def test_a_carried_traceparent_is_the_parent(spans):
    with span_from(PARENT, "work", kind=SpanKind.CONSUMER):
        assert current_trace_id() == TID
        headers = outbound_headers()
        assert headers["X-Trace-Id"] == TID
        assert headers["traceparent"] == f"00-{TID}-{current_span_id()}-01"
    span = spans.named("work")
    assert _hex_parent(span) == SID and span.kind == SpanKind.CONSUMER


def test_no_carrier_means_a_child_of_the_active_span(spans):
    with span_from(None, "outer"), span_from({"other": "x"}, "inner"):
        pass
    outer, inner = spans.named("outer"), spans.named("inner")
    assert inner.parent.span_id == outer.context.span_id


def test_an_exception_marks_the_span_as_an_error(spans):
    try:
        with span_from(PARENT, "fails"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert spans.named("fails").status.status_code == StatusCode.ERROR


def test_a_client_call_outside_any_request_starts_no_trace(spans):
    with tracer().start_as_current_span("idle poll", kind=SpanKind.CLIENT):
        pass
    with span_from(PARENT, "handler"), tracer().start_as_current_span("query", kind=SpanKind.CLIENT):
        pass
    assert [s.name for s in spans.all()] == ["query", "handler"]


def test_no_active_span_means_no_trace_id():
    assert current_trace_id() is None and current_span_id() is None
    assert "traceparent" not in outbound_headers()


def test_log_line_carries_the_active_span(capsys, spans):
    slog.configure_logging("catalog")
    try:
        with span_from(PARENT, "logging"):
            span_id = current_span_id()
            slog.get_logger().info("product.created", sku="SKU-1", event="clash")
        line = capsys.readouterr().out.strip().splitlines()[-1]
        doc = json.loads(line)
        assert doc["service"] == "catalog"
        assert doc["event"] == "product.created"
        assert doc["level"] == "info"
        assert doc["trace_id"] == TID and doc["span_id"] == span_id != SID
        assert doc["sku"] == "SKU-1" and doc["field_event"] == "clash"
        assert doc["ts"].endswith("+00:00")
    finally:
        logging.getLogger().handlers[:] = []


class _Exchange:
    def __init__(self):
        self.published = []

    async def publish(self, message, routing_key, timeout=None):
        self.published.append((routing_key, message))


def test_a_publish_is_a_producer_span_carried_in_the_headers(spans):
    broker = Broker(Settings(service="monolith"), "pw")
    broker._exchange = _Exchange()
    with span_from(PARENT, "request"):
        asyncio.run(broker.publish(make_envelope("order.created", {"order_id": "o1"})))
    [(_key, message)] = broker._exchange.published
    publish = spans.named("events publish")
    assert publish.kind == SpanKind.PRODUCER and _hex_parent(publish) == spans.named(
        "request").context.span_id.to_bytes(8, "big").hex()
    assert message.headers["traceparent"] == (
        f"00-{TID}-{trace.format_span_id(publish.context.span_id)}-01")
    assert message.headers["trace_id"] == TID


def test_an_outbox_row_keeps_its_writers_context_and_is_published_under_it(spans):
    conn = FakeSyncConnection()
    with span_from(PARENT, "POST /v1/orders"):
        add_event_sync(conn, "order.created", {"order_id": "o1"})
        written = outbound_headers()["traceparent"]
    [(_sql, params)] = conn.executed
    assert params[3] == written
    pool = FakeAsyncPool([("FOR UPDATE SKIP LOCKED", [
        {"id": 1, "envelope": {"id": "m1", "type": "order.created"}, "traceparent": written},
        {"id": 2, "envelope": {"id": "m2", "type": "order.created"}, "traceparent": None}])])
    seen = []

    async def publish(envelope):
        seen.append((envelope["id"], current_trace_id(), outbound_headers().get("traceparent")))

    assert asyncio.run(OutboxRelay(pool, publish).relay_once()) == 2
    assert seen == [("m1", TID, written), ("m2", None, None)]


def test_attached_without_a_traceparent_changes_nothing(spans):
    with attached({}), attached(None):
        assert current_trace_id() is None


def test_otel_sdk_disabled_leaves_a_flask_app_uninstrumented(monkeypatch):
    from flask import Flask

    from services.platform.tracing import instrument_flask_app, tracing_disabled

    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing_disabled()
    app = Flask("disabled")
    instrument_flask_app(app)
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
    assert not tracing_disabled()
    instrument_flask_app(app)
    assert app._is_instrumented_by_opentelemetry
