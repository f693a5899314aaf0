"""Prometheus metrics: HTTP requests by route and status, events consumed (and how long
they took) and published. Sampled gauges (pools, outbox): `gauges.py`.

`instrument_fastapi(app)` / `instrument_flask(app)` add the request metrics to every request,
and echo its trace id as `X-Trace-Id`. The server span is `server_spans.ServerSpans`'s
(create_app) or the Flask instrumentation's (`instrument_flask`).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from .tracing import TRACE_HEADER, current_trace_id, instrument_flask_app

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Broker messages handled", ["service", "queue", "type", "outcome"]
)
# how long a consumer's handler took, by the same labels (outcome: ok, retry, outage-retry,
# dead-letter, dead-lettered for a message that is no envelope); up to the 30 s handler timeout
EVENTS_HANDLING = Histogram(
    "event_handling_duration_seconds", "Broker message handling time",
    ["service", "queue", "type", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EVENTS_PUBLISHED = Counter("events_published_total", "Events published", ["service", "type"])
_UNMATCHED = "unmatched"


def metrics_payload() -> tuple[bytes, str]:
    """The exposition text of the default registry and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    """Record one HTTP request."""
    HTTP_REQUESTS.labels(service, method, route, str(status)).inc()
    HTTP_LATENCY.labels(service, method, route).observe(seconds)


def observe_message(service: str, queue: str, type_: str, outcome: str, seconds: float) -> None:
    """Record one handled broker message: `events_consumed_total` and its handling time."""
    EVENTS_CONSUMED.labels(service, queue, type_, outcome).inc()
    EVENTS_HANDLING.labels(service, queue, type_, outcome).observe(seconds)


def instrument_fastapi(app: Any, service: str) -> None:
    """Add a server span, request metrics and GET /metrics to a FastAPI app."""
    from fastapi import Request
    from fastapi.responses import Response

    @app.middleware("http")
    async def _observe(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            tid = current_trace_id()
            if tid:
                response.headers[TRACE_HEADER] = tid
            return response
        finally:
            route = getattr(request.scope.get("route"), "path", _UNMATCHED)
            observe_request(service, request.method, route, status,
                            time.perf_counter() - started)


    @app.get("/metrics", include_in_schema=False)
    def _metrics() -> Response:
        body, ctype = metrics_payload()
        return Response(body, media_type=ctype)


def instrument_flask(app: Any, service: str) -> None:
    """Add a server span, request metrics and GET /metrics to a Flask app."""
    from flask import Response, g, request

    instrument_flask_app(app)  # its before_request runs first: the span is active in ours

    @app.before_request
    def _start() -> None:
        g._sandbox_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else _UNMATCHED
        started = getattr(g, "_sandbox_started", time.perf_counter())
        observe_request(service, request.method, route, response.status_code,
                        time.perf_counter() - started)
        tid = current_trace_id()
        if tid:
            response.headers[TRACE_HEADER] = tid
        return response

    @app.get("/metrics")
    def _metrics() -> Any:  # not `Response`: flask-openapi3 resolves a view's annotations
        body, ctype = metrics_payload()
        return Response(body, mimetype=ctype.split(";")[0], content_type=ctype)
