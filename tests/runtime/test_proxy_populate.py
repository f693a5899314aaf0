"""The runtime fills the links' proxy through its REST API: POST /populate from inside the
container once the API answers, then the healthcheck; again after a restart."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from types import SimpleNamespace

import httpx
import pytest

from sandbox.errors import SandboxError
from sandbox.faults.containers import ContainerFaults
from sandbox.runtime.proxy_populate import (
    ProxyPopulateWaitStrategy,
    api_up_command,
    populate_command,
    repopulate,
)
from sandbox.runtime.startup import _strategy
from sandbox.topology import Healthcheck, compose_file, load_topology
from tests.toxiproxy.netutil import ServerProcess

HEALTH = Healthcheck(("CMD-SHELL", "curl -fsS http://127.0.0.1:8474/proxies"), timeout=3.0)


class FakeExecApi:
    """Docker's low-level exec calls; ``answers`` maps a command kind to exit codes in turn."""

    def __init__(self, **answers: list[int]) -> None:
        self.answers = {k: list(v) for k, v in answers.items()}
        self.calls: list[str] = []
        self._pending: dict[str, str] = {}

    @staticmethod
    def kind(command: list[str]) -> str:
        text = " ".join(command)
        return "populate" if "/populate" in text else "api" if "/version" in text else "health"

    def exec_create(self, container_id, command, **kwargs):
        kind = self.kind(command)
        self.calls.append(kind)
        self._pending[kind] = kind
        return kind

    def exec_start(self, exec_id, detach=False):
        return b'{"error":"listen tcp: bad address","status":400}' if exec_id == "populate" else b""

    def exec_inspect(self, exec_id):
        codes = self.answers.get(exec_id, [0])
        return {"ExitCode": codes.pop(0) if len(codes) > 1 else codes[0]}

    def close(self):
        pass


def strategy_with(api: FakeExecApi) -> ProxyPopulateWaitStrategy:
    strategy = ProxyPopulateWaitStrategy("toxiproxy", HEALTH, 8474, timeout=5)
    strategy._api = api
    return strategy


RUNNING = SimpleNamespace(id="c1", status="running", reload=lambda: None)


def test_the_proxy_is_populated_once_its_api_answers_then_judged_by_its_healthcheck():
    api = FakeExecApi(api=[1, 0], populate=[0], health=[1, 0])
    strategy = strategy_with(api)
    assert not strategy.check(RUNNING)          # API not up yet: nothing sent
    assert api.calls == ["api"]
    assert not strategy.check(RUNNING)          # API up: populated, healthcheck started
    assert api.calls == ["api", "api", "populate", "health"]
    assert not strategy.check(RUNNING)          # its loop gave up: links not all listed
    assert not strategy.check(RUNNING)          # the next slice started
    assert strategy.check(RUNNING)              # healthcheck holds
    assert api.calls == ["api", "api", "populate", "health", "health"]
    assert strategy.populated and strategy.describe() == "healthy"


def test_a_refused_populate_is_one_line_naming_the_image_variable():
    strategy = strategy_with(FakeExecApi(api=[0], populate=[22]))
    with pytest.raises(SandboxError) as caught:
        strategy.check(RUNNING)
    line = caught.value.one_line()
    assert "\n" not in line and "POST /populate" in line and "bad address" in line
    assert "SANDBOX_IMAGE_TOXIPROXY" in line


def test_the_topologys_proxy_gets_the_populating_readiness():
    topo = load_topology(compose_file(), {"NETWORK_PRIVATE_SUBNET": "10.9.0.0/24"})
    strategy = _strategy(topo, topo.proxy.service, threading.Event())
    try:
        assert isinstance(strategy, ProxyPopulateWaitStrategy)
        assert strategy.api_port == topo.proxy.api_port
        assert not isinstance(_strategy(topo, "catalog", threading.Event()),
                              ProxyPopulateWaitStrategy)
    finally:
        strategy.close()


def test_restarting_the_proxy_populates_it_again():
    api = FakeExecApi(api=[0], populate=[0])
    container = SimpleNamespace(id="c1", client=SimpleNamespace(api=api), restarted=0)
    container.restart = lambda: setattr(container, "restarted", container.restarted + 1)
    state = SimpleNamespace(proxy="toxiproxy", proxy_api_port=8474)
    sandbox = SimpleNamespace(state=state, status=lambda: [{"service": "toxiproxy"}],
                              container=lambda name: container)
    said = ContainerFaults(sandbox).apply("restart", "toxiproxy")
    assert container.restarted == 1 and api.calls == ["api", "populate"]
    assert "populated again" in said


def test_repopulate_gives_up_with_one_line_when_the_api_never_answers():
    with pytest.raises(SandboxError, match="did not answer on port 8474"):
        repopulate(FakeExecApi(api=[1]), "c1", "toxiproxy", 8474, timeout=0)


def test_the_runtimes_populate_command_fills_a_real_server(tmp_path):
    """The very shell command the runtime runs in the container, against the server."""
    server = ServerProcess()
    links = [{"name": "web->db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9",
              "enabled": True},
             {"name": "app->db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9",
              "enabled": True}]
    env = {"PATH": os.environ["PATH"], "SANDBOX_LINKS_JSON": json.dumps(links)}
    try:
        up = subprocess.run(api_up_command(server.port), env=env, timeout=10, check=False)
        assert up.returncode == 0
        done = subprocess.run(populate_command(server.port), env=env, timeout=15,
                              capture_output=True, check=False)
        assert done.returncode == 0, done.stderr
        proxies = httpx.get(f"{server.url}/proxies", timeout=5).json()
        assert sorted(proxies) == ["app->db", "web->db"]
        assert all(p["enabled"] for p in proxies.values())
    finally:
        server.stop()
