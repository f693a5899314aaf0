"""Each panel's JSON: ``{"ok": true, "data": ...}``, or what stopped it, never an exception.

    {"ok": false, "source": "Prometheus", "error": "Prometheus unreachable",
     "detail": "Prometheus does not answer at http://127.0.0.1:9/api/v1/query_range ...",
     "fix": "check it with `sandbox status` and `sandbox logs prometheus`"}

A panel whose backend fails is shown as such; the other panels still load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import docker.errors
import httpx
import requests

from sandbox.dashboard.backends import DashboardBackends
from sandbox.dashboard.red import red_series
from sandbox.dashboard.trace_view import recent_traces, trace_rows
from sandbox.errors import DockerUnavailable, NotRunning, SandboxError
from sandbox.telemetry.errors import QueryRefused, TelemetryUnavailable, TraceNotFound

Panel = dict[str, Any]
_UNREACHABLE = (TelemetryUnavailable, NotRunning, DockerUnavailable, requests.ConnectionError,
                httpx.TransportError, docker.errors.DockerException, ConnectionError)


def failure(source: str, exc: BaseException) -> Panel:
    """The panel's answer when ``source`` raised ``exc``."""
    if isinstance(exc, _UNREACHABLE):
        headline = f"{source} unreachable"
    elif isinstance(exc, TraceNotFound):
        headline = "trace not found"
    elif isinstance(exc, QueryRefused):
        headline = f"{source} refused the query"
    else:
        headline = f"{source} failed"
    if isinstance(exc, SandboxError):
        detail, fix = " ".join(exc.cause.split()), " ".join(exc.fix.split())
    else:
        detail, fix = f"{type(exc).__name__}: {exc}"[:300], ""
    return {"ok": False, "source": source, "error": headline, "detail": detail, "fix": fix}


def guarded(source: str, read: Callable[[], Any]) -> Panel:
    try:
        return {"ok": True, "data": read()}
    except Exception as exc:  # noqa: BLE001 - any backend failure is shown, not raised
        return failure(source, exc)


def overview_panel(b: DashboardBackends) -> Panel:
    """The run and its consoles' URLs."""
    return guarded("the sandbox", lambda: {**b.run, "consoles": b.consoles(),
                                           "now": time.time()})


def services_panel(b: DashboardBackends) -> Panel:
    """One row per container: service, state, health, url (``Sandbox.status()``)."""
    return guarded("Docker", b.status)


def links_panel(b: DashboardBackends) -> Panel:
    """Every link with its active faults: toxics, and ``down`` for a disabled link."""

    def read() -> list[dict[str, Any]]:
        rows = []
        for link in b.links():
            faults = [{"id": f"{link['name']}/{t.get('name')}", "kind": t.get("type"),
                       "stream": t.get("stream"), "toxicity": t.get("toxicity", 1.0),
                       "attributes": t.get("attributes") or {}}
                      for t in link.get("toxics") or []]
            if not link.get("enabled", True):
                faults.insert(0, {"id": f"{link['name']}/down", "kind": "down",
                                  "stream": "both", "toxicity": 1.0, "attributes": {}})
            rows.append({"name": link.get("name"), "listen": link.get("listen"),
                         "upstream": link.get("upstream"),
                         "enabled": bool(link.get("enabled", True)), "faults": faults})
        return rows

    return guarded("Links proxy", read)


def red_panel(b: DashboardBackends, window_s: float = 900.0) -> Panel:
    """Request rate, 5xx ratio, p50 and p99 latency per service over the last ``window_s``."""
    return guarded("Prometheus", lambda: red_series(b.metrics, window_s=window_s))


def _alert_row(a: dict[str, Any], origin: str) -> dict[str, Any]:
    labels = a.get("labels") or {}
    return {"name": labels.get("alertname"), "severity": labels.get("severity", ""),
            "state": a.get("state") or (a.get("status") or {}).get("state", ""),
            "since": a.get("activeAt") or a.get("startsAt"),
            "summary": (a.get("annotations") or {}).get("summary", ""),
            "labels": {k: v for k, v in labels.items() if k not in ("alertname", "severity")},
            "origin": origin}


def alerts_panel(b: DashboardBackends) -> Panel:
    """Prometheus's pending and firing alerts, and Alertmanager's active ones; either
    source may fail alone (``unreadable`` says which)."""
    prom = guarded("Prometheus", b.alerts.prometheus_alerts)
    am = guarded("Alertmanager", b.alerts.alertmanager_alerts)
    if not prom["ok"] and not am["ok"]:
        both = dict(prom)
        both["error"] = "Prometheus and Alertmanager unreachable" if (
            prom["error"].endswith("unreachable") and am["error"].endswith("unreachable")
        ) else f"{prom['error']}; {am['error']}"
        both["detail"] = f"{prom['detail']}; {am['detail']}"
        return both
    rows = [_alert_row(a, "prometheus") for a in prom.get("data") or []]
    active = [a for a in am.get("data") or []
              if (a.get("status") or {}).get("state", "active") == "active"]
    notified = {(a.get("labels") or {}).get("alertname") for a in active}
    for row in rows:
        row["alertmanager"] = row["name"] in notified
    named = {row["name"] for row in rows}
    rows += [{**_alert_row(a, "alertmanager"), "alertmanager": True} for a in active
             if (a.get("labels") or {}).get("alertname") not in named]
    order = {"firing": 0, "active": 1, "pending": 2}
    rows.sort(key=lambda r: (order.get(r["state"], 3), str(r["name"])))
    unreadable = [p for p in (prom, am) if not p["ok"]]
    return {"ok": True, "data": {"alerts": rows, "unreadable": unreadable}}


def traces_panel(b: DashboardBackends, service: str | None = None, limit: int = 20,
                 lookback_s: float = 900.0) -> Panel:
    """The newest traces (of ``service``, else of every service the store knows)."""
    return guarded("Trace store", lambda: recent_traces(b.store, service, limit, lookback_s))


def trace_panel(b: DashboardBackends, trace_id: str) -> Panel:
    """One trace's spans as waterfall rows."""

    def read() -> dict[str, Any]:
        trace = b.store.trace(trace_id)
        if trace is None:
            raise TraceNotFound(f"trace {trace_id} is not in the trace store",
                                "spans reach the store a few seconds after the request; "
                                "pick a trace from the list")
        return trace_rows(trace)

    return guarded("Trace store", read)
