import contextvars
import json
import logging

from services.platform import logging as slog
from services.platform.tracing import (
    current_trace_id,
    outbound_headers,
    trace_context,
    trace_id_from_headers,
)


def test_traceparent_wins_over_x_trace_id():
    tid = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {"traceparent": f"00-{tid}-00f067aa0ba902b7-01", "X-Trace-Id": "c" * 32}
    assert trace_id_from_headers(headers) == tid


def test_x_trace_id_is_used_and_garbage_is_replaced():
    assert trace_id_from_headers({"x-trace-id": "AB" * 16}) == "ab" * 16
    fresh = trace_id_from_headers({"X-Trace-Id": "not a trace; drop table"})
    assert len(fresh) == 32 and fresh != "not a trace"


def test_trace_context_sets_and_restores():
    def check():
        assert current_trace_id() is None
        with trace_context("d" * 32):
            assert current_trace_id() == "d" * 32
            headers = outbound_headers()
            assert headers["X-Trace-Id"] == "d" * 32
            assert headers["traceparent"].startswith("00-" + "d" * 32 + "-")
        assert current_trace_id() is None

    contextvars.Context().run(check)  # a fresh context: no trace leaked from other tests


def test_log_line_is_one_json_object_with_trace_fields(capsys):
    slog.configure_logging("catalog")
    try:
        with trace_context("e" * 32):
            slog.get_logger().info("product.created", sku="SKU-1", event="clash")
        line = capsys.readouterr().out.strip().splitlines()[-1]
        doc = json.loads(line)
        assert doc["service"] == "catalog"
        assert doc["event"] == "product.created"
        assert doc["level"] == "info"
        assert doc["trace_id"] == "e" * 32 and len(doc["span_id"]) == 16
        assert doc["sku"] == "SKU-1" and doc["field_event"] == "clash"
        assert doc["ts"].endswith("+00:00")
    finally:
        logging.getLogger().handlers[:] = []
