"""Telemetry as assertions: traces, metrics, alerts and logs of a running sandbox.

    engine                          plug-ins (each a small module)
    ──────                          ──────────────────────────────
    polling.Poller   one bounded    jaeger_query.JaegerQuery  Jaeger's query API (v1 + api_v3)
                     poll loop      metrics.Metrics           Prometheus's HTTP API
    model.Trace/TraceSpan           alerts.Alerts             Prometheus + Alertmanager + sink
    selectors.Span                  alert_sink.*AlertSink     what the sink received
    waterfall.render_waterfall      logs.ContainerLogs        containers' JSON log lines
                                    bundle.write_bundle       the run's telemetry bundle

On a ``Sandbox``: ``sb.traces``, ``sb.metrics``, ``sb.alerts``, ``sb.logs`` (see
``docs/telemetry.md``).
"""

from sandbox.telemetry.alert_sink import (
    AlertSink,
    ContainerAlertSink,
    HttpAlertSink,
    SinkNotification,
)
from sandbox.telemetry.alerts import AlertFiring, AlertResolved, Alerts
from sandbox.telemetry.errors import QueryRefused, TelemetryUnavailable, TraceNotFound
from sandbox.telemetry.jaeger_query import JaegerQuery
from sandbox.telemetry.logs import ContainerLogs, LogLine
from sandbox.telemetry.metrics import Metrics, Sample, Series
from sandbox.telemetry.model import SpanEvent, SpanRef, Trace, TraceSpan
from sandbox.telemetry.polling import Poller
from sandbox.telemetry.selectors import Span, SpanSelector
from sandbox.telemetry.traces import Traces
from sandbox.telemetry.waterfall import render_waterfall

__all__ = [
    "AlertFiring",
    "AlertResolved",
    "AlertSink",
    "Alerts",
    "ContainerAlertSink",
    "ContainerLogs",
    "HttpAlertSink",
    "JaegerQuery",
    "LogLine",
    "Metrics",
    "Poller",
    "QueryRefused",
    "Sample",
    "Series",
    "SinkNotification",
    "Span",
    "SpanEvent",
    "SpanRef",
    "SpanSelector",
    "TelemetryUnavailable",
    "Trace",
    "TraceNotFound",
    "TraceSpan",
    "Traces",
    "render_waterfall",
]
