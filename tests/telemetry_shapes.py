"""Answers in the real shapes of Jaeger's query API, Prometheus, Alertmanager and the alert
sink, for the telemetry tests; and a fake clock for bounded waits that take no time."""

from __future__ import annotations

import json
from typing import Any

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
T0 = 1_714_550_400_000_000  # µs: 2024-05-01T08:00:00Z


class FakeClock:
    """``clock()`` is the time; ``pause(s)`` advances it (a wait that costs nothing)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def jaeger_span(span_id: str, name: str, process: str, start: int, duration: int,
                parent: str | None = None, tags: dict[str, Any] | None = None,
                logs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A span of ``/api/traces`` (Jaeger's model/json): µs times, typed tags."""
    def kv(key: str, value: Any) -> dict[str, Any]:
        kind = ("bool" if isinstance(value, bool) else "int64" if isinstance(value, int)
                else "float64" if isinstance(value, float) else "string")
        return {"key": key, "type": kind, "value": value}

    span = {"traceID": TRACE_ID, "spanID": span_id, "flags": 1, "operationName": name,
            "references": ([{"refType": "CHILD_OF", "traceID": TRACE_ID, "spanID": parent}]
                           if parent else []),
            "startTime": T0 + start, "duration": duration,
            "tags": [kv(k, v) for k, v in (tags or {}).items()],
            "logs": [{"timestamp": T0 + log["at"], "fields": [kv(k, v) for k, v in log.items()
                                                            if k != "at"]}
                     for log in logs or []],
            "processID": process, "warnings": None}
    return span


def order_trace() -> dict[str, Any]:
    """gateway -> monolith -> (INSERT, publish) ; payments consumes and fails."""
    spans = [
        jaeger_span("0000000000000001", "POST /v1/orders", "p1", 0, 40_000,
                    tags={"span.kind": "server", "http.status_code": 201,
                          "otel.status_code": "OK"}),
        jaeger_span("0000000000000002", "POST /orders", "p2", 2_000, 25_000,
                    parent="0000000000000001",
                    tags={"span.kind": "server", "http.route": "/orders"}),
        jaeger_span("0000000000000003", "INSERT monolith_test", "p2", 4_000, 6_000,
                    parent="0000000000000002", tags={"span.kind": "client", "db.system":
                                                     "postgresql"}),
        jaeger_span("0000000000000004", "order.created publish", "p2", 12_000, 1_000,
                    parent="0000000000000002", tags={"span.kind": "producer"}),
        jaeger_span("0000000000000005", "order.created process", "p3", 20_000, 15_000,
                    parent="0000000000000004",
                    tags={"span.kind": "consumer", "otel.status_code": "ERROR",
                          "otel.status_description": "provider timeout", "error": True},
                    logs=[{"at": 30_000, "event": "exception",
                           "exception.type": "TimeoutError"}]),
    ]
    processes = {"p1": {"serviceName": "gateway", "tags": []},
                 "p2": {"serviceName": "monolith", "tags": []},
                 "p3": {"serviceName": "payments", "tags": []}}
    return {"traceID": TRACE_ID, "spans": spans, "processes": processes, "warnings": None}


def jaeger_answer(*traces: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(traces), "total": 0, "limit": 0, "offset": 0, "errors": None}


JAEGER_NOT_FOUND = {"data": None, "total": 0, "limit": 0, "offset": 0,
                    "errors": [{"code": 404, "msg": "trace not found"}]}


def otlp_answer(service: str, spans: list[dict[str, Any]], wrapped: bool = True
                ) -> dict[str, Any]:
    """api_v3's answer (OTLP JSON), in Jaeger 2's ``{"result": ...}`` envelope by default."""
    data = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "sandbox"}, "spans": spans}]}]}
    return {"result": data} if wrapped else data


def otlp_span(span_id: str, name: str, start_ns: int, end_ns: int, parent: str = "",
              kind: int = 2, code: int = 0, attrs: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    def value(v: Any) -> dict[str, Any]:
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}
        return {"stringValue": str(v)}

    return {"traceId": TRACE_ID, "spanId": span_id, "parentSpanId": parent, "name": name,
            "kind": kind, "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(end_ns),
            "attributes": [{"key": k, "value": value(v)} for k, v in (attrs or {}).items()],
            "status": {"code": code} if code else {}}


def prom_vector(*samples: tuple[dict[str, str], str]) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": metric, "value": [1714550400.123, value]} for metric, value in samples]}}


PROM_BAD_DATA = {"status": "error", "errorType": "bad_data",
                 "error": 'invalid parameter "query": 1:14: parse error: unclosed left '
                          'parenthesis'}


def prom_alerts(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"status": "success", "data": {"alerts": list(alerts)}}


def prom_alert(name: str, state: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "severity": "warning", **labels},
            "annotations": {"summary": f"{name} summary"}, "state": state,
            "activeAt": "2024-05-01T08:00:00.000000000Z", "value": "1.2e-01"}


def am_alert(name: str, starts_at: str = "2024-05-01T08:01:00.123456789Z", **labels: str
             ) -> dict[str, Any]:
    """An alert of Alertmanager's ``GET /api/v2/alerts``."""
    return {"labels": {"alertname": name, "severity": "warning", **labels},
            "annotations": {"summary": f"{name} summary"}, "startsAt": starts_at,
            "endsAt": "2024-05-01T08:05:00.000Z", "updatedAt": starts_at,
            "fingerprint": "1a2b3c4d5e6f7a8b", "generatorURL": "http://prometheus:9090/graph",
            "receivers": [{"name": "webhooks"}],
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}


def sink_item(id_: int, name: str, status: str, received_at: str, **labels: str
              ) -> dict[str, Any]:
    """An item of the sink's ``GET /internal/alerts`` (services/webhooks/app.py Alert)."""
    return {"id": id_, "received_at": received_at, "alertname": name, "status": status,
            "labels": {"alertname": name, "severity": "warning", **labels},
            "annotations": {"summary": f"{name} summary"},
            "starts_at": "2024-05-01T08:01:00.123Z", "receiver": "webhooks"}


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound once by the OS, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def send_json(handler: Any, status: int, doc: Any) -> None:
    """A fake server's JSON answer, from a ``BaseHTTPRequestHandler``."""
    body = json.dumps(doc).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
