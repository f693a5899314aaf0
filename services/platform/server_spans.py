"""A server span per HTTP request of a FastAPI service: the one span a request costs.

An ASGI middleware, outermost of the service's own: the caller's W3C `traceparent` is
the parent, the span is the active one while the route runs (its logs, its client spans,
the `X-Trace-Id` it echoes), and it is named `METHOD /route/{template}` with the
semantic conventions' attributes (`http.request.method`, `url.path`, `http.route`,
`http.response.status_code`). A 5xx answer or an escaping exception marks it an error.
Probes and scrapes (`tracing.PROBE_PATHS`) make none.

It replaces FastAPI's own telemetry (`FastAPI(telemetry=...)`), which makes the same span
with about twice the CPU (header capture, metric views, the SDK's attribute cleaning for
a dozen attributes): benchmarks/tracing_cost.py measures both.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .tracing import PROBE_PATHS, tracing_disabled

_tracer = trace.get_tracer("sandbox.http")
_CARRIED = (b"traceparent", b"tracestate")


class ServerSpans:
    """ASGI middleware: `app.add_middleware(ServerSpans)` last, so it wraps the others."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].lstrip("/") in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        carrier = {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in _CARRIED}
        parent = propagate.extract(carrier) if carrier else None
        method = scope["method"]
        span = _tracer.start_span(method, context=parent, kind=SpanKind.SERVER,
                                  attributes={"http.request.method": method,
                                              "url.path": scope["path"]})
        token = context.attach(trace.set_span_in_context(span, parent))
        status = 500  # what an exception that escapes every handler becomes
        failed = False  # an exception set the span's status (with its name) already

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except BaseException as exc:
            failed = True
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            # never read the span back: a request its caller did not sample has a
            # NonRecordingSpan, which has no status (that read turned 503s into 500s)
            if status >= 500 and not failed:
                span.set_status(Status(StatusCode.ERROR))
            span.end()
            context.detach(token)


def trace_fastapi(app: Any) -> None:
    """Give `app` its server spans (nothing when `OTEL_SDK_DISABLED` is true); call it after
    every other `add_middleware`."""
    if not tracing_disabled():
        app.add_middleware(ServerSpans)
