"""``sandbox trace ID`` and ``sandbox logs --trace ID | --all``: output and one-line errors.

The trace store is a small fake on 127.0.0.1 answering Jaeger's query API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import sandbox.telemetry.cli as telemetry_cli
from sandbox.cli import main
from sandbox.errors import NotRunning
from sandbox.telemetry import ContainerLogs, JaegerQuery, Traces
from tests.telemetry_shapes import (
    JAEGER_NOT_FOUND,
    TRACE_ID,
    closed_port,
    jaeger_answer,
    order_trace,
    send_json,
)
from tests.test_telemetry_logs import FakeContainer, line


class JaegerFake(BaseHTTPRequestHandler):
    """``/api/traces/{TRACE_ID}`` is the order trace; every other id is Jaeger's 404."""

    def do_GET(self) -> None:
        found = self.path == f"/api/traces/{TRACE_ID}"
        send_json(self, 200 if found else 404,
                  jaeger_answer(order_trace()) if found else JAEGER_NOT_FOUND)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def store_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), JaegerFake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class FakeRun:
    def __init__(self, store_url: str, containers: dict[str, FakeContainer]) -> None:
        self.traces = Traces(JaegerQuery(store_url))
        self._containers = containers
        self.logs = ContainerLogs(lambda: containers, containers.__getitem__)

    def containers(self) -> dict[str, FakeContainer]:
        return self._containers


def use(monkeypatch: pytest.MonkeyPatch, run: FakeRun) -> None:
    monkeypatch.setattr(telemetry_cli, "_sandbox", lambda: run)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_trace_draws_the_waterfall(monkeypatch, capsys, store_url):
    use(monkeypatch, FakeRun(store_url, {}))
    assert main(["trace", TRACE_ID]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"trace {TRACE_ID}  5 spans")
    assert out[1].startswith("gateway POST /v1/orders") and "ERROR provider timeout" in out[-1]


def test_trace_json_lists_the_spans(monkeypatch, capsys, store_url):
    use(monkeypatch, FakeRun(store_url, {}))
    assert main(["trace", TRACE_ID, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["spans"]) == 5 and doc["spans"][4]["status"] == "error"


def test_an_unknown_trace_is_one_line(monkeypatch, capsys, store_url):
    use(monkeypatch, FakeRun(store_url, {}))
    assert main(["trace", "ab" * 16]) == 1
    err = one_error_line(capsys)
    assert f"trace {'ab' * 16} is not in the trace store" in err and "fix: check the id" in err


def test_an_unreachable_store_is_one_line(monkeypatch, capsys):
    port = closed_port()
    use(monkeypatch, FakeRun(f"http://127.0.0.1:{port}", {}))
    assert main(["trace", TRACE_ID]) == 1
    err = one_error_line(capsys)
    assert f"the trace store does not answer at http://127.0.0.1:{port}" in err
    assert "sandbox logs tracestore" in err


def test_no_running_sandbox_is_one_line(monkeypatch, capsys):
    from sandbox.runtime import Sandbox

    def attach(cls: type, run_id: str | None = None) -> None:
        raise NotRunning("no sandbox of project sandbox is running", "run `sandbox up`")

    monkeypatch.setattr(Sandbox, "attach", classmethod(attach))
    for argv in (["trace", TRACE_ID], ["logs", "--trace", TRACE_ID], ["logs", "--all"]):
        assert main(argv) == 1
        assert "no sandbox of project sandbox is running -- fix: run `sandbox up`" in \
            one_error_line(capsys)


def test_a_malformed_id_is_one_line_before_any_sandbox(monkeypatch, capsys):
    use(monkeypatch, None)  # never reached
    assert main(["trace", "xyz"]) == 1
    assert "'xyz' is not a trace id" in one_error_line(capsys)


def containers() -> dict[str, FakeContainer]:
    return {
        "gateway": FakeContainer([line("2024-05-01T08:00:00.001+00:00", "gateway", "access",
                                       TRACE_ID, status=201)]),
        "monolith": FakeContainer(["plain text",
                                   line("2024-05-01T08:00:00.002+00:00", "monolith",
                                        "order.created", TRACE_ID)]),
    }


def test_logs_trace_prints_the_trace_lines_in_time_order(monkeypatch, capsys):
    use(monkeypatch, FakeRun("http://127.0.0.1:9", containers()))
    assert main(["logs", "--trace", TRACE_ID]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert "gateway  info  access status=201" in out[0] and "order.created" in out[1]


def test_logs_trace_without_lines_is_one_line(monkeypatch, capsys):
    use(monkeypatch, FakeRun("http://127.0.0.1:9", containers()))
    assert main(["logs", "--trace", "cd" * 16]) == 1
    assert f"no container logged a line of trace {'cd' * 16}" in one_error_line(capsys)


def test_logs_all_prefixes_each_line_by_service(monkeypatch, capsys):
    use(monkeypatch, FakeRun("http://127.0.0.1:9", containers()))
    assert main(["logs", "--all"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("gateway  | {") and out[1] == "monolith | plain text"


def test_logs_needs_a_service_a_trace_or_all(capsys):
    assert main(["logs"]) == 1
    assert "needs a SERVICE, --trace ID or --all" in one_error_line(capsys)
    with pytest.raises(SystemExit):
        main(["logs", "--all", "--trace", TRACE_ID])
