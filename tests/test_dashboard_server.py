"""The dashboard's HTTP server: the page (self-contained), the JSON panels over HTTP, a
backend down shown as data, and the port it listens on."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator

import httpx
import pytest

from sandbox.dashboard.server import DashboardServer
from sandbox.errors import PortInUse
from tests.dashboard_fakes import FakeUrls, dead_url, fake_backend, fake_backends
from tests.telemetry_shapes import TRACE_ID


@pytest.fixture
def dashboard() -> Iterator[str]:
    with fake_backend() as (url, _), DashboardServer(
            fake_backends(FakeUrls(url, url, url))) as server:
        yield server.url


@pytest.fixture
def dashboard_without_backends() -> Iterator[str]:
    url = dead_url()
    with DashboardServer(fake_backends(FakeUrls(url, url, url, links_ok=False))) as server:
        yield server.url


def test_the_page_is_one_self_contained_document(dashboard):
    response = httpx.get(dashboard)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "/*INLINE_JS*/" not in page and "/*INLINE_CSS*/" not in page
    assert "function drawRed" in page and ".red-grid" in page
    for panel in ("services", "alerts", "red", "links", "traces", "trace"):
        assert f'id="panel-{panel}"' in page
    # nothing loaded from elsewhere: no src/href/url()/@import to another origin
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"url\(|@import", page)
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp


def test_it_listens_on_127_0_0_1_only(dashboard):
    assert dashboard.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("path", ["/api/overview", "/api/services", "/api/links", "/api/red",
                                  "/api/alerts", "/api/traces", f"/api/traces/{TRACE_ID}"])
def test_every_panel_answers_json_that_is_ok(dashboard, path):
    response = httpx.get(dashboard.rstrip("/") + path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["ok"] is True, response.text


def test_traces_take_a_service_and_a_limit(dashboard):
    doc = httpx.get(f"{dashboard}api/traces", params={"service": "catalog", "limit": "1"}).json()
    assert doc["data"]["service"] == "catalog"
    assert len(doc["data"]["traces"]) == 1


def test_a_trace_over_http_has_its_waterfall_rows(dashboard):
    doc = httpx.get(f"{dashboard}api/traces/{TRACE_ID}").json()
    assert doc["data"]["trace_id"] == TRACE_ID
    assert [r["service"] for r in doc["data"]["rows"]][-1] == "payments"


@pytest.mark.parametrize(("path", "error"), [
    ("/api/red", "Prometheus unreachable"),
    ("/api/traces", "Trace store unreachable"),
    ("/api/links", "Links proxy unreachable"),
    ("/api/alerts", "Prometheus and Alertmanager unreachable"),
])
def test_a_backend_down_is_a_panel_naming_it_and_the_page_still_loads(
        dashboard_without_backends, path, error):
    assert httpx.get(dashboard_without_backends).status_code == 200
    response = httpx.get(dashboard_without_backends.rstrip("/") + path)
    assert response.status_code == 200
    doc = response.json()
    assert (doc["ok"], doc["error"]) == (False, error)
    assert doc["fix"]


def test_services_still_answer_when_the_telemetry_is_down(dashboard_without_backends):
    doc = httpx.get(f"{dashboard_without_backends}api/services").json()
    assert doc["ok"] and doc["data"][0]["service"] == "catalog"


def test_an_unknown_path_is_a_404_problem(dashboard):
    response = httpx.get(f"{dashboard}nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.text)["status"] == 404


def test_a_taken_port_is_port_in_use_naming_the_fix():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url = dead_url()
        with pytest.raises(PortInUse) as info:
            DashboardServer(fake_backends(FakeUrls(url, url, url)), port=port)
    assert f"port {port} on 127.0.0.1 is taken" in info.value.one_line()
    assert "--port" in info.value.fix


def test_stop_frees_the_port():
    url = dead_url()
    server = DashboardServer(fake_backends(FakeUrls(url, url, url))).start()
    port = server.port
    assert httpx.get(server.url).status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url)
    DashboardServer(server.http.backends, port=port).stop()  # the port can be taken again
