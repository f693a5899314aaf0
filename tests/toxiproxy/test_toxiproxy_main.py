"""The entry point: ``python -m sandbox.toxiproxy --config populate.json``, JSON logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.toxiproxy.netutil import ROOT, EchoServer, ServerProcess, connect, recv_exactly

pytestmark = pytest.mark.timeout(30)


def test_config_creates_proxies_with_their_toxics(tmp_path: Path, echo: EchoServer):
    config = tmp_path / "populate.json"
    config.write_text(
        json.dumps(
            [
                {
                    "name": "svc",
                    "listen": "127.0.0.1:0",
                    "upstream": echo.upstream,
                    "toxics": [
                        {"type": "limit_data", "stream": "downstream", "attributes": {"bytes": 3}}
                    ],
                },
                {
                    "name": "off",
                    "listen": "127.0.0.1:0",
                    "upstream": echo.upstream,
                    "enabled": False,
                },
            ]
        )
    )
    server = ServerProcess("--config", str(config))
    try:
        proxies = httpx.get(f"{server.url}/proxies").json()
        assert proxies["off"]["enabled"] is False
        assert [t["type"] for t in proxies["svc"]["toxics"]] == ["limit_data"]
        with connect(proxies["svc"]["listen"]) as sock:
            sock.sendall(b"abcdef")
            assert recv_exactly(sock, 3) == b"abc"
            assert sock.recv(10) == b""
    finally:
        assert server.stop() == 0
    events = [line["event"] for line in server.logs]
    # the config's proxies exist before the API answers (as Toxiproxy does it)
    assert events.index("populated") < events.index("api_started") and events[-1] == "stopped"
    assert all({"time", "level", "service", "event"} <= set(line) for line in server.logs)


def test_a_bad_config_exits_with_an_error_line(tmp_path: Path):
    config = tmp_path / "populate.json"
    config.write_text(json.dumps([{"name": "no-upstream"}]))
    result = subprocess.run(  # noqa: PLW1510 -- the exit code is asserted
        [sys.executable, "-m", "sandbox.toxiproxy", "--port", "0", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["event"] == "config_failed" and "missing required field" in last["error"]


def test_config_env_reads_populate_json_from_the_environment(monkeypatch, echo: EchoServer):
    config = [{"name": "a->b", "listen": "127.0.0.1:0", "upstream": echo.upstream}]
    monkeypatch.setenv("LINKS_UNDER_TEST", json.dumps(config))
    server = ServerProcess("--config-env", "LINKS_UNDER_TEST")
    try:
        proxies = httpx.get(f"{server.url}/proxies").json()
        assert list(proxies) == ["a->b"] and proxies["a->b"]["enabled"] is True
        with connect(proxies["a->b"]["listen"]) as sock:
            sock.sendall(b"ping")
            assert recv_exactly(sock, 4) == b"ping"
    finally:
        assert server.stop() == 0
    populated = [line for line in server.logs if line["event"] == "populated"]
    assert populated[0]["config"] == "$LINKS_UNDER_TEST"


def test_a_bad_config_env_exits_with_an_error_line(monkeypatch):
    monkeypatch.setenv("LINKS_UNDER_TEST", "[{")
    result = subprocess.run(  # noqa: PLW1510 -- the exit code is asserted
        [sys.executable, "-m", "sandbox.toxiproxy", "--port", "0",
         "--config-env", "LINKS_UNDER_TEST"],
        cwd=ROOT, capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 2
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["event"] == "config_failed" and last["config"] == "$LINKS_UNDER_TEST"


# Python before 3.11.5 (Debian bookworm's 3.11.2, the python image's) starts reading a
# transport that connection_made paused: emulated here by a pause_reading that does nothing.
OLD_ASYNCIO = (
    "import asyncio.selector_events as s\n"
    "s._SelectorSocketTransport.pause_reading = lambda self: None"
)


def test_bytes_a_client_sends_before_the_upstream_connects_are_forwarded(echo: EchoServer):
    server = ServerProcess(preamble=OLD_ASYNCIO)
    try:
        proxy = httpx.post(
            f"{server.url}/proxies", json={"name": "early", "upstream": echo.upstream}
        ).json()
        for _ in range(3):
            with connect(proxy["listen"]) as sock:
                sock.sendall(b"first bytes")  # at once, as AMQP and PostgreSQL clients do
                assert recv_exactly(sock, 11) == b"first bytes"
    finally:
        assert server.stop() == 0
