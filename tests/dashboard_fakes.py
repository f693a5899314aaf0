"""Fake backends for the dashboard tests: one HTTP server on 127.0.0.1 answering, in their
real shapes (tests/telemetry_shapes.py), Prometheus (``/api/v1/query_range``,
``/api/v1/alerts``), Alertmanager (``/api/v2/alerts``) and the trace store's Jaeger query
API (``/api/services``, ``/api/traces``, ``/api/traces/{id}``); and the run's status and
links as ``Sandbox.status()`` / ``Sandbox.links()`` give them."""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from sandbox.dashboard.backends import DashboardBackends
from sandbox.errors import NotRunning
from sandbox.telemetry import Alerts, JaegerQuery, Metrics
from tests.telemetry_shapes import (
    JAEGER_NOT_FOUND,
    TRACE_ID,
    am_alert,
    closed_port,
    jaeger_answer,
    order_trace,
    prom_alert,
    prom_alerts,
    send_json,
)

SECOND_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
RED_SERVICES = ("catalog", "monolith", "payments")

STATUS = [
    {"service": "catalog", "state": "running", "health": "healthy", "url": ""},
    {"service": "gateway", "state": "running", "health": "healthy",
     "url": "http://127.0.0.1:49153"},
    {"service": "monolith", "state": "running", "health": "healthy", "url": ""},
    {"service": "payments", "state": "running", "health": "unhealthy", "url": ""},
    {"service": "prometheus", "state": "running", "health": "healthy",
     "url": "http://127.0.0.1:49154"},
]

LINKS = [
    {"name": "catalog->postgres", "listen": "0.0.0.0:15432", "upstream": "postgres:5432",
     "enabled": True, "toxics": [{"name": "latency_downstream", "type": "latency",
                                  "stream": "downstream", "toxicity": 1.0,
                                  "attributes": {"latency": 300, "jitter": 50}}]},
    {"name": "gateway->catalog", "listen": "0.0.0.0:18001", "upstream": "catalog:8000",
     "enabled": True, "toxics": []},
    {"name": "payments-worker->egress", "listen": "0.0.0.0:18080",
     "upstream": "egress:8080", "enabled": False, "toxics": []},
]

CONSOLES = {"Prometheus": "http://127.0.0.1:49154", "Alertmanager": "http://127.0.0.1:49155"}


def second_trace() -> dict[str, Any]:
    """A quick catalog read, no error, a minute after the order trace."""
    trace = copy.deepcopy(order_trace())
    trace["traceID"] = SECOND_TRACE_ID
    trace["spans"] = trace["spans"][:2]
    for span in trace["spans"]:
        span["traceID"] = SECOND_TRACE_ID
        span["startTime"] += 60_000_000
        span["operationName"] = span["operationName"].replace("orders", "products")
        span["processID"] = "p1" if span["processID"] == "p1" else "p4"
    trace["processes"] = {"p1": trace["processes"]["p1"],
                          "p4": {"serviceName": "catalog", "tags": []}}
    return trace


def red_value(query: str, service_index: int, t: float) -> str:
    """A plausible value of each RED query at time ``t``."""
    wave = 1 + 0.5 * math.sin(t / 60 + service_index)
    if "histogram_quantile(0.99" in query:
        return f"{0.120 * wave + 0.05 * service_index:.4f}"
    if "histogram_quantile(0.5" in query:
        return f"{0.015 * wave + 0.01 * service_index:.4f}"
    if 'status=~"5.."' in query:
        return f"{0.02 * wave * service_index:.4f}"
    return f"{4.0 * wave + service_index:.3f}"


def query_range(query: str, start: float, end: float, step: float) -> dict[str, Any]:
    times = [start + i * step for i in range(int((end - start) // step) + 1)]
    result = [{"metric": {"service": name},
               "values": [[t, red_value(query, i, t)] for t in times]}
              for i, name in enumerate(RED_SERVICES)]
    if 'status=~"5.."' in query:  # no traffic yet at the start: Prometheus's 0/0
        for series in result:
            series["values"][0][1] = "NaN"
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


class FakeBackendHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.server.requests.append(parts.path)  # type: ignore[attr-defined]
        traces = {TRACE_ID: order_trace(), SECOND_TRACE_ID: second_trace()}
        status, doc = 200, None
        if parts.path == "/api/v1/query_range":
            doc = query_range(q["query"], float(q["start"]), float(q["end"]), float(q["step"]))
        elif parts.path == "/api/v1/alerts":
            doc = prom_alerts(prom_alert("HighErrorRate", "firing", service="payments"),
                              prom_alert("HighLatency", "pending", service="catalog"))
        elif parts.path == "/api/v2/alerts":
            doc = [am_alert("HighErrorRate", service="payments")]
        elif parts.path == "/api/services":
            doc = {"data": ["catalog", "gateway", "monolith", "payments"], "total": 4}
        elif parts.path == "/api/traces":
            service = q.get("service")
            doc = jaeger_answer(*[t for t in traces.values()
                                  if service in {p["serviceName"]
                                                 for p in t["processes"].values()}])
        elif parts.path.startswith("/api/traces/"):
            wanted = parts.path.rpartition("/")[2]
            found = traces.get(wanted)
            status, doc = (200, jaeger_answer(found)) if found else (404, JAEGER_NOT_FOUND)
        else:
            status, doc = 404, {"error": "not found"}
        send_json(self, status, doc)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def fake_backend() -> Iterator[tuple[str, list[str]]]:
    """``(base URL, paths requested)`` of a running fake backend."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBackendHandler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


_CLIENT = httpx.Client(timeout=5.0)


def dead_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def links_down() -> list[dict[str, Any]]:
    raise NotRunning("the links proxy does not answer at http://127.0.0.1:9/proxies "
                     "(ConnectionError)", "check it with `sandbox status` and "
                     "`sandbox logs toxiproxy`")


@dataclass
class FakeUrls:
    prometheus: str
    alertmanager: str
    tracestore: str
    links_ok: bool = True
    status: list[dict[str, str]] = field(default_factory=lambda: list(STATUS))


def fake_backends(urls: FakeUrls) -> DashboardBackends:
    """The panels' sources, the telemetry clients pointed at the fakes (one HTTP client:
    each makes an SSL context, a tenth of a second)."""
    client = _CLIENT
    return DashboardBackends(
        status=lambda: urls.status,
        links=(lambda: copy.deepcopy(LINKS)) if urls.links_ok else links_down,
        metrics=Metrics(urls.prometheus, client=client),
        alerts=Alerts(urls.prometheus, urls.alertmanager, None, client=client),
        store=JaegerQuery(urls.tracestore, client=client),
        consoles=lambda: dict(CONSOLES),
        run={"run_id": "r1a2b3", "env": "test"},
    )
