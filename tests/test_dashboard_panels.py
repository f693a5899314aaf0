"""The dashboard's panels against fake backends on 127.0.0.1: the data each gives the page,
and a backend that does not answer shown as such (never an exception)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sandbox.dashboard import panels
from sandbox.dashboard.red import QUERIES
from tests.dashboard_fakes import (
    RED_SERVICES,
    SECOND_TRACE_ID,
    FakeUrls,
    dead_url,
    fake_backend,
    fake_backends,
)
from tests.telemetry_shapes import TRACE_ID


@pytest.fixture
def backend() -> Iterator[tuple[str, list[str]]]:
    with fake_backend() as found:
        yield found


@pytest.fixture
def live(backend) -> panels.DashboardBackends:
    url, _ = backend
    return fake_backends(FakeUrls(url, url, url))


@pytest.fixture
def dead() -> panels.DashboardBackends:
    url = dead_url()
    return fake_backends(FakeUrls(url, url, url, links_ok=False))


def test_services_are_the_status_rows(live):
    answer = panels.services_panel(live)
    assert answer["ok"]
    assert [r["service"] for r in answer["data"]][:2] == ["catalog", "gateway"]


def test_links_list_each_link_s_active_faults_and_a_disabled_link_as_down(live):
    links = {link["name"]: link for link in panels.links_panel(live)["data"]}
    [latency] = links["catalog->postgres"]["faults"]
    assert latency == {"id": "catalog->postgres/latency_downstream", "kind": "latency",
                       "stream": "downstream", "toxicity": 1.0,
                       "attributes": {"latency": 300, "jitter": 50}}
    assert links["gateway->catalog"]["faults"] == []
    assert [f["kind"] for f in links["payments-worker->egress"]["faults"]] == ["down"]
    assert links["payments-worker->egress"]["enabled"] is False


def test_red_is_four_range_queries_over_fifteen_minutes_per_service(live, backend):
    _, requested = backend
    answer = panels.red_panel(live)
    assert answer["ok"], answer
    data = answer["data"]
    assert requested.count("/api/v1/query_range") == len(QUERIES) == 4
    assert data["end"] - data["start"] == 900
    assert list(data["services"]) == list(RED_SERVICES)
    catalog = data["services"]["catalog"]
    assert set(catalog) == {"rate", "errors", "p50", "p99"}
    assert len(catalog["rate"]) == 900 // 15 + 1
    assert all(v > 0 for _, v in catalog["p99"])
    assert "http_request_duration_seconds_bucket" in QUERIES["p99"]


def test_red_turns_prometheus_nan_into_null_so_the_answer_is_json(live):
    data = panels.red_panel(live)["data"]
    for series in data["services"].values():
        assert series["errors"][0][1] is None  # the fake's first 5xx ratio is a 0/0
        assert all(v is not None for _, v in series["errors"][1:])
    json.dumps(data, allow_nan=False)  # raises on a NaN left in


def test_alerts_are_prometheus_firing_and_pending_marked_when_alertmanager_has_them(live):
    answer = panels.alerts_panel(live)
    assert answer["ok"]
    rows = answer["data"]["alerts"]
    assert [(r["name"], r["state"], r["alertmanager"]) for r in rows] == [
        ("HighErrorRate", "firing", True), ("HighLatency", "pending", False)]
    assert rows[0]["labels"] == {"service": "payments"}
    assert rows[0]["summary"] == "HighErrorRate summary"
    assert answer["data"]["unreadable"] == []


def test_alerts_still_show_alertmanager_s_when_prometheus_is_down(backend):
    url, _ = backend
    answer = panels.alerts_panel(fake_backends(FakeUrls(dead_url(), url, url)))
    assert answer["ok"]
    assert [(r["name"], r["origin"]) for r in answer["data"]["alerts"]] == [
        ("HighErrorRate", "alertmanager")]
    [note] = answer["data"]["unreadable"]
    assert note["error"] == "Prometheus unreachable"


def test_recent_traces_are_newest_first_across_services_each_once(live):
    answer = panels.traces_panel(live)
    assert answer["ok"], answer
    traces = answer["data"]["traces"]
    assert [t["trace_id"] for t in traces] == [SECOND_TRACE_ID, TRACE_ID]
    order = traces[1]
    assert (order["service"], order["name"], order["spans"], order["errors"]) == (
        "gateway", "POST /v1/orders", 5, 1)
    assert order["services"] == ["gateway", "monolith", "payments"]


def test_recent_traces_of_one_service(live):
    traces = panels.traces_panel(live, service="payments")["data"]["traces"]
    assert [t["trace_id"] for t in traces] == [TRACE_ID]


def test_a_trace_is_waterfall_rows_depth_first_with_errors_marked(live):
    answer = panels.trace_panel(live, TRACE_ID)
    assert answer["ok"], answer
    rows = answer["data"]["rows"]
    assert [(r["depth"], r["service"], r["name"]) for r in rows] == [
        (0, "gateway", "POST /v1/orders"), (1, "monolith", "POST /orders"),
        (2, "monolith", "INSERT monolith_test"), (2, "monolith", "order.created publish"),
        (3, "payments", "order.created process")]
    assert rows[0]["offset_us"] == 0 and rows[0]["duration_us"] == 40_000
    assert rows[4]["error"] and rows[4]["status_message"] == "provider timeout"
    assert rows[4]["offset_us"] == 20_000


def test_an_unknown_trace_is_not_found_and_a_malformed_id_refused(live):
    missing = panels.trace_panel(live, "ab" * 16)
    assert not missing["ok"] and missing["error"] == "trace not found"
    bad = panels.trace_panel(live, "not-hex")
    assert not bad["ok"] and bad["error"] == "Trace store refused the query"


@pytest.mark.parametrize(("panel", "error"), [
    (panels.red_panel, "Prometheus unreachable"),
    (panels.traces_panel, "Trace store unreachable"),
    (panels.links_panel, "Links proxy unreachable"),
    (panels.alerts_panel, "Prometheus and Alertmanager unreachable"),
])
def test_a_backend_that_does_not_answer_is_named_with_its_fix(dead, panel, error):
    answer = panel(dead)
    assert answer["ok"] is False
    assert answer["error"] == error
    assert "does not answer" in answer["detail"]
    assert "sandbox" in answer["fix"]


def test_an_unexpected_failure_is_a_panel_not_an_exception(live):
    def broken() -> list[dict[str, str]]:
        raise RuntimeError("boom")

    live.status = broken
    assert panels.services_panel(live) == {
        "ok": False, "source": "Docker", "error": "Docker failed",
        "detail": "RuntimeError: boom", "fix": ""}


def test_overview_names_the_run_and_its_consoles(live):
    data = panels.overview_panel(live)["data"]
    assert data["run_id"] == "r1a2b3" and data["env"] == "test"
    assert data["consoles"]["Prometheus"].startswith("http://127.0.0.1:")
