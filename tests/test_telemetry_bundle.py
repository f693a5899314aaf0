"""The run's telemetry bundle: files from each store, notes for the missing, never a failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from sandbox.telemetry import Alerts, HttpAlertSink, JaegerQuery, Metrics
from sandbox.telemetry.bundle import BundleSources, write_bundle
from tests.telemetry_shapes import (
    am_alert,
    closed_port,
    otlp_answer,
    otlp_span,
    prom_alert,
    prom_alerts,
    sink_item,
)

STORE, PROM, AM = "http://127.0.0.1:16686", "http://127.0.0.1:9090", "http://127.0.0.1:9093"
SINK = "http://127.0.0.1:8000/internal/alerts"
START, END = 1714550400.0, 1714550460.0

pytest_plugins = ["pytester"]


def sources(store: str = STORE, prom: str = PROM, am: str = AM) -> BundleSources:
    return BundleSources(JaegerQuery(store), Metrics(prom),
                         Alerts(prom, am, HttpAlertSink(SINK, "tok")))


@respx.mock(assert_all_mocked=True)
def test_the_bundle_holds_spans_per_service_alerts_and_metrics(respx_mock, tmp_path):
    respx_mock.get(f"{STORE}/api/services").respond(json={"data": ["gateway", "we/ird"]})
    find = respx_mock.get(f"{STORE}/api/v3/traces").respond(json=otlp_answer("gateway", [
        otlp_span("00000000000000aa", "POST /v1/orders", 1, 2)]))
    respx_mock.get(f"{PROM}/api/v1/alerts").respond(
        json=prom_alerts(prom_alert("HighErrorRate", "firing")))
    respx_mock.get(f"{AM}/api/v2/alerts").respond(json=[am_alert("HighErrorRate")])
    respx_mock.get(SINK).respond(json={"items": [sink_item(1, "HighErrorRate", "firing",
                                                           "2024-05-01T08:01:05+00:00")]})
    respx_mock.get(f"{PROM}/federate").respond(text="# TYPE up gauge\nup{job=\"x\"} 1\n")
    report = write_bundle(tmp_path / "telemetry", sources(), START, END, run_id="r1")
    assert report.notes == []
    root = tmp_path / "telemetry"
    index = json.loads((root / "index.json").read_text())
    assert index["window"] == {"start": "2024-05-01T08:00:00Z", "end": "2024-05-01T08:01:00Z"}
    assert set(index["files"]) == {"spans/gateway.otlp.json", "spans/we_ird.otlp.json",
                                   "alerts/prometheus.json", "alerts/alertmanager.json",
                                   "alerts/sink.json", "metrics/federate.txt"}
    assert index["files"]["spans/gateway.otlp.json"]["spans"] == 1
    assert index["files"]["metrics/federate.txt"]["series"] == 1
    doc = json.loads((root / "spans/gateway.otlp.json").read_text())
    assert doc["result"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == \
        "POST /v1/orders"
    params = find.calls.last.request.url.params
    assert params["query.service_name"] == "we/ird"
    assert (params["query.start_time_min"], params["query.start_time_max"]) == (
        "2024-05-01T08:00:00Z", "2024-05-01T08:01:00Z")
    assert json.loads((root / "alerts/sink.json").read_text())[0]["status"] == "firing"


def test_missing_stores_are_notes_not_failures(tmp_path):
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    stale = tmp_path / "telemetry" / "spans" / "old.otlp.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    (tmp_path / "telemetry" / "index.json").write_text("{}")
    report = write_bundle(tmp_path / "telemetry", sources(url, url, url), START, END)
    assert not stale.exists(), "an earlier run's bundle is replaced whole"
    assert report.files == {}
    assert [note.split(":")[0] for note in report.notes] == [
        "spans", "alerts (Prometheus)", "alerts (Alertmanager)", "alerts (sink)", "metrics"]
    assert "the trace store does not answer" in report.notes[0]
    index = json.loads((tmp_path / "telemetry" / "index.json").read_text())
    assert index["notes"] == report.notes
    assert report.summary().startswith(f"telemetry bundle: {tmp_path / 'telemetry'} (0 files; "
                                       "5 missing: spans: the trace store does not answer")


FAKE = (Path(__file__).parent / "fixtures" / "fake_sandbox.py").read_text(encoding="utf-8")


@pytest.fixture
def fake_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(fake_sandbox=FAKE)
    (pytester.path / "calls.log").touch()
    monkeypatch.setenv("FAKE_SANDBOX_LOG", str(pytester.path / "calls.log"))
    monkeypatch.setenv("SANDBOX_FACTORY", "fake_sandbox:FakeSandbox")
    pytester.syspathinsert()
    for name in ("FAKE_SANDBOX_FAIL", "FAKE_SANDBOX_RUNNING"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_a_session_that_used_a_sandbox_writes_the_bundle_beside_junit(fake_run):
    fake_run.makepyfile("def test_a(sandbox): pass")
    result = fake_run.runpytest("--junitxml", "out/junit.xml")
    result.assert_outcomes(passed=1)
    index = json.loads((fake_run.path / "out" / "junit-telemetry" / "index.json").read_text())
    assert index["run_id"].startswith("run") and index["notes"], "no store answers the fake"
    [warning] = [x for x in result.outlines if x.startswith("telemetry bundle:")]
    assert "missing: spans:" in warning


def test_without_junit_the_bundle_goes_to_reports(fake_run):
    fake_run.makepyfile("def test_a(sandbox): pass")
    fake_run.runpytest().assert_outcomes(passed=1)
    assert (fake_run.path / "reports" / "telemetry" / "index.json").exists()


def test_a_session_without_a_sandbox_or_with_the_opt_out_writes_none(fake_run):
    fake_run.makepyfile("def test_plain(): pass")
    fake_run.runpytest().assert_outcomes(passed=1)
    fake_run.makepyfile(test_two="def test_b(sandbox): pass")
    fake_run.runpytest("--no-telemetry-bundle").assert_outcomes(passed=2)
    assert not (fake_run.path / "reports").exists()
