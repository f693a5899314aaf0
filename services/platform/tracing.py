"""Traces through OpenTelemetry: one trace follows a request and its events across services.

`setup_tracing(service)` runs once per process, before the app and its pools exist: spans
are exported as OTLP/JSON over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (the project's trace
store, or Jaeger; `otlp_json_export.py`), batched on a thread of their own, so a store
that is down loses spans, never requests. FastAPI services get their server spans from
`server_spans.py` (create_app); Flask, httpx, psycopg and redis are traced by their
instrumentations; the broker by `broker.py`, which carries W3C `traceparent` in the
message headers (`inject` / `span_from`).

A database or cache call made outside any request or message (a relay's idle poll) starts
no trace: `RootFilter` drops such client spans, so a trace is always a request or an event.

>>> carrier = {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
>>> with span_from(carrier, "demo"):
...     current_trace_id() == "a" * 32
True
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes

TRACE_HEADER = "X-Trace-Id"
TRACEPARENT = "traceparent"
ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
# OpenTelemetry's own switch: "true" leaves the process uninstrumented (no provider, no
# instrumentation at all): how benchmarks/tracing_cost.py measures what tracing costs
DISABLED_ENV = "OTEL_SDK_DISABLED"
# what no trace is made of: probes and scrapes
PROBE_PATHS = frozenset({"health/live", "health/ready", "metrics"})
EXCLUDED_URLS = ",".join(sorted(PROBE_PATHS))  # the Flask instrumentation's form
_tracer = trace.get_tracer("sandbox")
_configured: dict[str, Any] = {}


class RootFilter(Sampler):
    """Samples every span, except a client span that would start a trace of its own."""

    def should_sample(self, parent_context: context.Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None, trace_state: Any = None,
                      ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links,
                                       trace_state)

    def get_description(self) -> str:
        return "RootFilter"


def tracing_disabled() -> bool:
    """True when OTEL_SDK_DISABLED says so: nothing is traced or instrumented."""
    return os.environ.get(DISABLED_ENV, "").strip().lower() == "true"


def setup_tracing(service: str, *, endpoint: str | None = None,
                  instrument: bool = True) -> TracerProvider | None:
    """The process's tracer provider for `service` (once; later calls return it); None
    when tracing is disabled."""
    if "provider" in _configured:
        return _configured["provider"]
    if tracing_disabled():
        return None
    resource = Resource.create({"service.name": service, "service.namespace": "sandbox",
                                "deployment.environment": os.environ.get("SANDBOX_ENV", "dev")})
    provider = TracerProvider(resource=resource, sampler=ParentBased(root=RootFilter()))
    endpoint = endpoint if endpoint is not None else os.environ.get(ENDPOINT_ENV, "")
    if endpoint:
        from .otlp_json_export import OtlpJsonExporter

        exporter = OtlpJsonExporter(f"{endpoint.rstrip('/')}/v1/traces")
        # a short delay so that a test sees its spans soon; a bounded queue drops when full
        provider.add_span_processor(BatchSpanProcessor(
            exporter, max_queue_size=4096, schedule_delay_millis=500,
            max_export_batch_size=512, export_timeout_millis=2000))
    trace.set_tracer_provider(provider)
    # an unreachable store is worth one line now and then, not a traceback per batch
    logging.getLogger("opentelemetry.sdk.trace.export").setLevel(logging.ERROR)
    if instrument:
        _instrument_libraries()
    _configured["provider"] = provider
    return provider


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    HTTPXClientInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()


def shutdown_tracing() -> None:
    """Export what is queued (bounded by the exporter's timeout) and stop the exporter."""
    provider = _configured.pop("provider", None)
    if provider is not None:
        provider.shutdown()


# FastAPI's own OpenTelemetry (`FastAPI(telemetry=...)`) stays off: the server span is
# `server_spans.ServerSpans` (the same span for half the CPU), Prometheus has the metrics
# and the JSON logs the errors
FASTAPI_TELEMETRY: dict[str, Any] = {"tracing": False, "metrics": False, "logs": False}


def instrument_flask_app(app: Any) -> None:
    """Server spans for every route of a Flask app (not probes and scrapes)."""
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    if tracing_disabled():
        return
    FlaskInstrumentor().instrument_app(app, excluded_urls=EXCLUDED_URLS)


def tracer() -> trace.Tracer:
    """The tracer of the project's own spans (broker, outbox, deliveries, egress)."""
    return _tracer


def _valid_context() -> trace.SpanContext | None:
    ctx = trace.get_current_span().get_span_context()
    return ctx if ctx.is_valid else None


def current_trace_id() -> str | None:
    """The trace id of the active span, as 32 hex digits, if any."""
    ctx = _valid_context()
    return trace.format_trace_id(ctx.trace_id) if ctx else None


def current_span_id() -> str | None:
    """The span id of the active span, as 16 hex digits, if any."""
    ctx = _valid_context()
    return trace.format_span_id(ctx.span_id) if ctx else None


def ensure_trace_id() -> str:
    """The active trace id; a fresh one where no span is active (an event's `trace_id`)."""
    return current_trace_id() or secrets.token_hex(16)


def inject(carrier: dict[str, Any] | None = None) -> dict[str, Any]:
    """`carrier` with the active context's `traceparent` (and `tracestate`) added."""
    carrier = {} if carrier is None else carrier
    propagate.inject(carrier)
    return carrier


def current_traceparent() -> str | None:
    """The active span's W3C `traceparent`, if a span is active."""
    return inject().get(TRACEPARENT)


def outbound_headers() -> dict[str, str]:
    """Headers that carry the active trace to another service (httpx adds its own span)."""
    headers: dict[str, str] = inject()
    tid = current_trace_id()
    if tid:
        headers[TRACE_HEADER] = tid
    return headers


def _text_carrier(carrier: Mapping[str, Any] | None) -> dict[str, str]:
    """Header names lower-cased and values as text (AMQP headers may be bytes)."""
    out: dict[str, str] = {}
    for key, value in (carrier or {}).items():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            out[str(key).lower()] = value
    return out


@contextmanager
def span_from(carrier: Mapping[str, Any] | None, name: str, *,
              kind: SpanKind = SpanKind.INTERNAL, attributes: Attributes = None,
              links: Sequence[Link] = ()) -> Iterator[trace.Span]:
    """A span whose parent is the context `carrier` holds (its `traceparent`), else the
    active span; an exception escaping the block marks it as an error."""
    text = _text_carrier(carrier)
    parent = propagate.extract(text) if TRACEPARENT in text else None
    with _tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes,
                                       links=links, record_exception=True,
                                       set_status_on_exception=True) as span:
        yield span


@contextmanager
def attached(carrier: Mapping[str, Any] | None) -> Iterator[None]:
    """Make the context `carrier` holds the active one for the block (no span of its own):
    how the outbox relay publishes a row under the request that wrote it."""
    text = _text_carrier(carrier)
    if TRACEPARENT not in text:
        yield
        return
    token = context.attach(propagate.extract(text))
    try:
        yield
    finally:
        context.detach(token)


def mark_error(span: trace.Span, description: str) -> None:
    """Set a span's status to error with a one-line description."""
    span.set_status(Status(StatusCode.ERROR, description))
