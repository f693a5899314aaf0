"""Bounded memory, metrics, the settings and the entrypoint as the container runs it."""

from __future__ import annotations

import doctest
import importlib
import json
import os
import pkgutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import services.tracestore
from services.tracestore.settings import TracestoreSettings
from tests.test_tracestore_support import RunningStore

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(30)


def _export(service: str, trace: int, spans: int, name: str = "op") -> bytes:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = service
    scope = rs.scope_spans.add()
    for n in range(spans):
        scope.spans.add(trace_id=trace.to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"),
                        name=f"{name}-{n}", start_time_unix_nano=1, end_time_unix_nano=2)
    return request.SerializeToString()


def test_whole_oldest_traces_are_evicted_to_stay_within_the_bound() -> None:
    with RunningStore(max_spans=5) as store:
        for trace, spans in ((1, 2), (2, 2), (3, 2)):  # the third pushes the first out
            assert store.post_otlp(_export(f"svc{trace}", trace, spans),
                                   "application/x-protobuf").status_code == 200
        held = store.on_loop(lambda: (store.server.store.span_count,
                                      store.server.store.trace_count))
        assert held == (4, 2)
        assert store.get(f"/api/traces/{1:032x}").status_code == 404
        assert len(store.get(f"/api/traces/{3:032x}").json()["data"][0]["spans"]) == 2
        # what was evicted is forgotten by the services and operations too
        assert store.get("/api/services").json()["data"] == ["svc2", "svc3"]
        assert store.metric("tracestore_spans_evicted_total") == 2
        assert store.metric("tracestore_traces_evicted_total") == 1
        assert store.metric("tracestore_spans") == 4
        assert store.metric("tracestore_traces") == 2
        assert store.metric("tracestore_spans_received_total", source="otlp") == 6


def test_spans_of_a_trace_arriving_later_join_it_and_a_resent_span_is_held_once() -> None:
    with RunningStore(max_spans=10) as store:
        first = _export("svc", 7, 2)
        store.post_otlp(first, "application/x-protobuf")
        store.post_otlp(first, "application/x-protobuf")  # an exporter's retry
        assert len(store.get(f"/api/traces/{7:032x}").json()["data"][0]["spans"]) == 2
        assert store.metric("tracestore_spans_duplicate_total") == 2


def test_a_trace_larger_than_the_bound_is_not_held() -> None:
    with RunningStore(max_spans=3) as store:
        store.post_otlp(_export("svc", 9, 4), "application/x-protobuf")
        assert store.get(f"/api/traces/{9:032x}").status_code == 404
        assert store.metric("tracestore_spans") == 0


def test_metrics_are_prometheus_text() -> None:
    with RunningStore(max_spans=123) as store:
        answer = store.get("/metrics")
        assert answer.headers["content-type"].startswith("text/plain")
        assert "# TYPE tracestore_spans_received_total counter" in answer.text
        assert store.metric("tracestore_max_spans") == 123


@pytest.mark.parametrize("environ,message", [
    ({"TRACESTORE_OTLP_PORT": "otlp"}, "TRACESTORE_OTLP_PORT='otlp' is not a port"),
    ({"TRACESTORE_SYSLOG_PORT": "70000"}, "TRACESTORE_SYSLOG_PORT='70000' is not a port"),
    ({"TRACESTORE_MAX_SPANS": "0"}, "TRACESTORE_MAX_SPANS='0' is not a positive number"),
    ({"TRACESTORE_MAX_BODY_BYTES": "8MiB"}, "TRACESTORE_MAX_BODY_BYTES='8MiB'"),
])
def test_bad_settings_name_the_variable_and_the_fix(environ, message) -> None:
    with pytest.raises(ValueError, match=message):
        TracestoreSettings.from_env(environ)


def test_the_modules_examples_hold() -> None:
    for info in pkgutil.iter_modules(services.tracestore.__path__):
        module = importlib.import_module(f"services.tracestore.{info.name}")
        failed, _ = doctest.testmod(module)
        assert failed == 0, info.name


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "TRACESTORE_HOST": "127.0.0.1", "TRACESTORE_OTLP_PORT": "0",
            "TRACESTORE_SYSLOG_PORT": "0", "TRACESTORE_QUERY_PORT": "0", **extra}


def test_it_serves_as_the_container_runs_it_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "services.tracestore"], cwd=ROOT,
                            env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        assert (started["event"], started["service"]) == ("tracestore.started", "tracestore")
        with httpx.Client(trust_env=False, timeout=5) as http:
            query = f"http://127.0.0.1:{started['query_port']}"
            assert http.get(query + "/health/ready").status_code == 200
            sent = http.post(f"http://127.0.0.1:{started['otlp_port']}/v1/traces",
                             content=_export("cli", 5, 1),
                             headers={"content-type": "application/x-protobuf"})
            assert sent.status_code == 200
            assert http.get(query + "/api/services").json()["data"] == ["cli"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        stopped = json.loads(proc.stdout.readline())
        assert (stopped["event"], stopped["spans"]) == ("tracestore.stopped", 1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_port_taken_or_a_bad_setting_ends_in_one_line() -> None:
    with RunningStore() as store:
        taken = str(store.server.ports["query"])
        done = subprocess.run([sys.executable, "-m", "services.tracestore"], cwd=ROOT,
                              env=_env(TRACESTORE_QUERY_PORT=taken), capture_output=True,
                              text=True, timeout=20, check=False)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("tracestore: cannot listen on 127.0.0.1")
    assert "free the port or set TRACESTORE_*_PORT" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "services.tracestore"], cwd=ROOT,
                         env=_env(TRACESTORE_MAX_SPANS="lots"), capture_output=True,
                         text=True, timeout=20, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == ("tracestore: TRACESTORE_MAX_SPANS='lots' is not a positive "
                                  "number: set it to e.g. 200000")
