"""Prometheus metrics: HTTP requests by route and status, events consumed and published.

`instrument_fastapi(app)` / `instrument_flask(app)` add the request metrics and the trace
context (from `traceparent`/`X-Trace-Id`, echoed back as `X-Trace-Id`) to every request.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from .tracing import TRACE_HEADER, trace_context, trace_id_from_headers

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
EVENTS_PUBLISHED = Counter("events_published_total", "Events published", ["service", "type"])
_UNMATCHED = "unmatched"


def metrics_payload() -> tuple[bytes, str]:
    """The exposition text of the default registry and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    """Record one HTTP request."""
    HTTP_REQUESTS.labels(service, method, route, str(status)).inc()
    HTTP_LATENCY.labels(service, method, route).observe(seconds)


def instrument_fastapi(app: Any, service: str) -> None:
    """Add trace context, request metrics and GET /metrics to a FastAPI app."""
    from fastapi import Request
    from fastapi.responses import Response

    @app.middleware("http")
    async def _observe(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        with trace_context(trace_id_from_headers(request.headers)) as tid:
            status = 500
            try:
                response = await call_next(request)
                status = response.status_code
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
    """Add trace context, request metrics and GET /metrics to a Flask app."""
    from flask import Response, g, request

    @app.before_request
    def _start() -> None:
        g._sandbox_started = time.perf_counter()
        g._sandbox_trace = trace_context(trace_id_from_headers(dict(request.headers)))
        g._sandbox_tid = g._sandbox_trace.__enter__()

    @app.after_request
    def _finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else _UNMATCHED
        started = getattr(g, "_sandbox_started", time.perf_counter())
        observe_request(service, request.method, route, response.status_code,
                        time.perf_counter() - started)
        tid = getattr(g, "_sandbox_tid", None)
        if tid:
            response.headers[TRACE_HEADER] = tid
        return response

    @app.teardown_request
    def _teardown(exc: BaseException | None) -> None:
        ctx = getattr(g, "_sandbox_trace", None)
        if ctx is not None:
            g._sandbox_trace = None
            try:
                ctx.__exit__(None, None, None)
            except ValueError:  # context var reset from another context: nothing to undo
                pass

    @app.get("/metrics")
    def _metrics() -> Any:  # not `Response`: flask-openapi3 resolves a view's annotations
        body, ctype = metrics_payload()
        return Response(body, mimetype=ctype.split(";")[0], content_type=ctype)
