"""``sandbox dashboard``: it prints the URL, opens the browser unless ``--no-open``, serves
until Ctrl-C and stops cleanly; what a user can get wrong is one line and exit 1."""

from __future__ import annotations

import re
import socket

import httpx
import pytest

import sandbox.dashboard.cli as dashboard_cli
from sandbox.cli import main
from sandbox.dashboard.server import DashboardServer
from sandbox.errors import NotRunning
from tests.dashboard_fakes import FakeUrls, dead_url, fake_backends


@pytest.fixture
def fakes(monkeypatch):
    url = dead_url()
    backends = fake_backends(FakeUrls(url, url, url))
    monkeypatch.setattr(dashboard_cli, "_backends", lambda: backends)
    return backends


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_it_serves_until_ctrl_c_then_stops_and_frees_the_port(monkeypatch, capsys, fakes):
    opened, seen = [], {}

    def user_looks_then_presses_ctrl_c() -> None:
        out = capsys.readouterr().out
        seen["url"] = re.search(r"http://127\.0\.0\.1:\d+/", out).group(0)
        seen["page"] = httpx.get(seen["url"]).status_code
        seen["services"] = httpx.get(seen["url"] + "api/services").json()
        raise KeyboardInterrupt

    monkeypatch.setattr(dashboard_cli, "_wait_for_interrupt", user_looks_then_presses_ctrl_c)
    monkeypatch.setattr(dashboard_cli.webbrowser, "open", lambda url: opened.append(url))
    assert main(["dashboard"]) == 0
    assert opened == [seen["url"]]
    assert seen["page"] == 200 and seen["services"]["ok"]
    assert capsys.readouterr().out == "dashboard stopped\n"
    port = int(seen["url"].rsplit(":", 1)[1].strip("/"))
    DashboardServer(fakes, port=port).stop()  # nothing listens there any more


def test_the_url_names_the_run_and_no_open_opens_nothing(monkeypatch, capsys, fakes):
    opened = []

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dashboard_cli, "_wait_for_interrupt", interrupted)
    monkeypatch.setattr(dashboard_cli.webbrowser, "open", lambda url: opened.append(url))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["dashboard", "--no-open", "--port", str(port)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"dashboard of run r1a2b3 at http://127.0.0.1:{port}/ (Ctrl-C")
    assert opened == []


def test_no_sandbox_running_is_one_line(monkeypatch, capsys):
    from sandbox.runtime import Sandbox

    def attach() -> None:
        raise NotRunning("no sandbox of project main is running", "run `sandbox up`")

    monkeypatch.setattr(Sandbox, "attach", staticmethod(attach))
    assert main(["dashboard", "--no-open"]) == 1
    err = one_error_line(capsys)
    assert "no sandbox of project main is running -- fix: run `sandbox up`" in err


def test_no_docker_daemon_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nonexistent.sock")
    assert main(["dashboard", "--no-open"]) == 1
    assert "no Docker daemon answers" in one_error_line(capsys)


def test_a_taken_port_is_one_line_naming_the_fix(capsys, fakes):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--no-open", "--port", str(port)]) == 1
    err = one_error_line(capsys)
    assert f"port {port} on 127.0.0.1 is taken -- fix: pick another with --port N" in err


def test_a_port_out_of_range_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["dashboard", "--port", "70000"])
    assert info.value.code == 2
    assert "is not a port" in capsys.readouterr().err
