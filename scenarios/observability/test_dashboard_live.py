"""``sandbox dashboard`` against the running sandbox: every panel reads its real backend
(Docker, the links proxy, Prometheus, Alertmanager, the trace store), and headless Chromium
draws the page with a trace of this test's own request
(``reports/screenshots/dashboard-live.png``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.dashboard import DashboardServer, backends_for
from sandbox.screenshots import ChromiumMissing, find_chromium, png_info, render

pytestmark = [pytest.mark.docker]

ROOT = Path(__file__).resolve().parents[2]
SHOT = ROOT / "reports" / "screenshots" / "dashboard-live.png"
TRACE_WITHIN_S = 30.0  # spans reach the store a few seconds after the request


@pytest.fixture(scope="module")
def dashboard(sandbox) -> Iterator[str]:
    with DashboardServer(backends_for(sandbox)) as server:
        yield server.url


@pytest.fixture
def traced_request(sandbox, enrolled_client) -> str:
    """A request of this test's through the gateway, its trace in the store."""
    response = enrolled_client.get("/v1/products", params={"limit": 5})
    assert response.status_code == 200, response.text
    trace_id = response.headers["x-trace-id"]
    sandbox.traces.wait_for(trace_id, within=TRACE_WITHIN_S)
    return trace_id


def panel(dashboard: str, path: str, **params: str) -> dict:
    response = httpx.get(dashboard.rstrip("/") + path, params=params, timeout=30)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["ok"], f"{path}: {doc.get('error')}: {doc.get('detail')} -- {doc.get('fix')}"
    return doc["data"]


def test_every_panel_reads_its_real_backend(sandbox, dashboard, traced_request):
    services = panel(dashboard, "/api/services")
    assert {row["service"] for row in services} >= {"gateway", "prometheus", "tracestore"}
    assert all(row["state"] == "running" for row in services), services

    links = panel(dashboard, "/api/links")
    assert [link["name"] for link in links] == [link["name"] for link in sandbox.links()]

    red = panel(dashboard, "/api/red")
    assert red["end"] - red["start"] == 900
    for series in red["services"].values():
        assert set(series) == {"rate", "errors", "p50", "p99"}

    alerts = panel(dashboard, "/api/alerts")
    assert alerts["unreadable"] == [], "Prometheus and Alertmanager both answer"

    overview = panel(dashboard, "/api/overview")
    assert overview["run_id"] == sandbox.run_id
    assert {"Prometheus", "Alertmanager", "Trace store"} <= set(overview["consoles"])
    assert all(url.startswith("http://127.0.0.1:") for url in overview["consoles"].values())

    recent = panel(dashboard, "/api/traces", service="gateway", limit="100")
    assert traced_request in [t["trace_id"] for t in recent["traces"]]
    trace = panel(dashboard, f"/api/traces/{traced_request}")
    assert trace["rows"][0]["service"] == "gateway" and trace["rows"][0]["depth"] == 0


def test_chromium_draws_the_live_dashboard(sandbox, dashboard, traced_request):
    try:
        find_chromium()
    except ChromiumMissing as exc:
        pytest.skip(f"needs headless Chromium: {exc.one_line()}")
    # the real backends answer slower than fakes: more virtual time for the first poll
    shot = render(f"{dashboard}#trace={traced_request}", screenshot=SHOT, dump_dom=True,
                  window=(1280, 1400), budget_ms=8000, timeout=90)
    dom = shot.dom or ""
    assert shot.errors == [], shot.console
    assert re.search(r'<body[^>]*data-loaded="alerts links red services trace traces"', dom)
    assert "data-error=" not in dom, re.findall(r'data-error="([^"]*)"', dom)
    for row in sandbox.status():
        assert f'data-service="{row["service"]}"' in dom
    assert f'data-trace-id="{traced_request}"' in dom
    info = png_info(SHOT)
    assert (info.width, info.height) == (1280, 1400) and not info.blank
