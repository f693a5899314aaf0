"""What the dashboard reads, as one typed bundle: the run's handles, or fakes in tests.

``backends_for(sb)`` wires a running ``Sandbox``: its ``status()`` and ``links()``, the
telemetry clients it hands out (``sb.metrics``, ``sb.alerts``, ``sb.traces.store``) and its
consoles' 127.0.0.1 URLs. Nothing here talks HTTP itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import SandboxError
from sandbox.telemetry.alerts import Alerts
from sandbox.telemetry.endpoints import (
    ALERTMANAGER,
    ALERTMANAGER_PORT,
    PROMETHEUS,
    PROMETHEUS_PORT,
    TRACESTORE,
    TRACESTORE_PORT,
    service_url,
)
from sandbox.telemetry.jaeger_query import JaegerQuery
from sandbox.telemetry.metrics import Metrics

# the consoles a developer opens: (title, service, container port)
CONSOLES = (
    ("Prometheus", PROMETHEUS, PROMETHEUS_PORT),
    ("Alertmanager", ALERTMANAGER, ALERTMANAGER_PORT),
    ("Broker console", "broker", 15672),
    ("Trace store", TRACESTORE, TRACESTORE_PORT),
    ("Links proxy API", "toxiproxy", 8474),
)


@dataclass
class DashboardBackends:
    """The sources of every panel; each callable may raise (the panel then says so)."""

    status: Callable[[], list[dict[str, str]]]
    links: Callable[[], list[dict[str, Any]]]
    metrics: Metrics
    alerts: Alerts
    store: JaegerQuery
    consoles: Callable[[], dict[str, str]] = dict
    run: dict[str, str] = field(default_factory=dict)


def console_urls(sandbox: Any) -> dict[str, str]:
    """Title -> ``http://127.0.0.1:PORT`` of each console the run publishes."""
    found = {}
    for title, service, port in CONSOLES:
        try:
            found[title] = service_url(sandbox, service, port)
        except SandboxError:
            continue
    return found


def backends_for(sandbox: Any) -> DashboardBackends:
    """The panels' sources on a running ``Sandbox``."""
    return DashboardBackends(
        status=sandbox.status,
        links=sandbox.links,
        metrics=sandbox.metrics,
        alerts=sandbox.alerts,
        store=sandbox.traces.store,
        consoles=lambda: console_urls(sandbox),
        run={"run_id": str(sandbox.run_id), "env": str(sandbox.env)},
    )
