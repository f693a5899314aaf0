"""Where a run's telemetry answers on the host, and the handles ``Sandbox`` hands out.

The trace store is service ``tracestore`` on 16686 (Jaeger's query port), Prometheus and
Alertmanager their consoles; each either published by the service itself or forwarded by
the gateway (``x-sandbox.consoles``). URLs are resolved at the first request, so a handle
exists before the store answers.
"""

from __future__ import annotations

from typing import Any

from sandbox.errors import NotRunning
from sandbox.telemetry.alert_sink import ContainerAlertSink
from sandbox.telemetry.alerts import Alerts
from sandbox.telemetry.jaeger_query import JaegerQuery
from sandbox.telemetry.logs import ContainerLogs
from sandbox.telemetry.metrics import Metrics
from sandbox.telemetry.traces import Traces

TRACESTORE, TRACESTORE_PORT = "tracestore", 16686
PROMETHEUS, PROMETHEUS_PORT = "prometheus", 9090
ALERTMANAGER, ALERTMANAGER_PORT = "alertmanager", 9093


def service_url(sandbox: Any, service: str, port: int) -> str:
    """``http://127.0.0.1:PORT`` of ``service``'s ``port``: its own published port, else
    the console the gateway forwards for it."""
    try:
        return str(sandbox.url(service, port))
    except (NotRunning, AttributeError, KeyError):
        pass
    try:
        return str(sandbox.url(service))
    except (NotRunning, AttributeError, KeyError):
        raise NotRunning(
            f"run {getattr(sandbox, 'run_id', '?')} publishes no port {port} of {service}",
            f"publish {service}'s {port} on 127.0.0.1 in the compose file (ports, or the "
            "gateway's x-sandbox.consoles), then `sandbox down` and `sandbox up`",
        ) from None


def traces_for(sandbox: Any, timeout: float = 5.0) -> Traces:
    return Traces(JaegerQuery(lambda: service_url(sandbox, TRACESTORE, TRACESTORE_PORT),
                              timeout=timeout))


def metrics_for(sandbox: Any) -> Metrics:
    return Metrics(lambda: service_url(sandbox, PROMETHEUS, PROMETHEUS_PORT))


def alerts_for(sandbox: Any) -> Alerts:
    return Alerts(lambda: service_url(sandbox, PROMETHEUS, PROMETHEUS_PORT),
                  lambda: service_url(sandbox, ALERTMANAGER, ALERTMANAGER_PORT),
                  ContainerAlertSink(sandbox))


def logs_for(sandbox: Any) -> ContainerLogs:
    return ContainerLogs(sandbox.containers, sandbox.container)
