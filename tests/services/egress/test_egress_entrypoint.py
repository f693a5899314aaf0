"""``python3 -m services.egress`` as the container runs it, and its settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.egress.__main__ import configured
from services.egress.guard import DestinationRefused, DestinationUnresolved, EgressGuard
from tests.services.egress.egress_servers import Names, run

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(30)


def test_without_a_private_subnet_it_refuses_to_start_in_one_line():
    env = {k: v for k, v in os.environ.items() if k != "PRIVATE_SUBNET"}
    done = subprocess.run([sys.executable, "-m", "services.egress"], cwd=ROOT, env=env,
                          check=False, capture_output=True, text=True, timeout=20)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [(
        "egress: PRIVATE_SUBNET is not set, so deliveries could reach the private network: "
        "set it to that network's subnet (compose: ${NETWORK_PRIVATE_SUBNET})"
    )]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PRIVATE_SUBNET": "not-a-net"}, "PRIVATE_SUBNET='not-a-net'.*CIDR form"),
        ({"PRIVATE_SUBNET": "10.0.0.0/8", "EGRESS_PORT": "http"}, "EGRESS_PORT='http' is not a port"),
        ({"PRIVATE_SUBNET": "10.0.0.0/8", "EGRESS_MAX_CONNECTIONS": "0"},
         "EGRESS_MAX_CONNECTIONS='0' is not a positive number"),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(environ, message):
    with pytest.raises(ValueError, match=message):
        configured(environ)


def test_it_serves_as_the_container_runs_it_refusing_loopback_and_stops_on_sigterm():
    env = {**os.environ, "PRIVATE_SUBNET": "172.30.0.0/16", "EGRESS_PORT": "0", "WORKER_PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "services.egress"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        assert (started["event"], started["service"]) == ("egress.started", "egress")
        proxy = f"http://127.0.0.1:{started['port']}"
        with httpx.Client(proxy=proxy, trust_env=False, timeout=5) as http:
            response = http.get(f"http://127.0.0.1:{started['port']}/")
        assert response.status_code == 403
        assert "127.0.0.1 is in a private network" in response.json()["detail"]
        refused = json.loads(proc.stdout.readline())
        assert (refused["event"], refused["host"], refused["status"]) == (
            "egress.refused", "127.0.0.1", 403)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert json.loads(proc.stdout.readline())["event"] == "egress.stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_guard_resolves_once_and_tells_unresolved_from_refused():
    names = Names(sub_test=["203.0.113.5", "203.0.113.5"], inside_test=["10.99.0.7"])
    guard = EgressGuard("10.99.0.0/16", resolver=names)

    async def go():
        assert await guard.addresses("sub.test", 80) == ["203.0.113.5"]
        with pytest.raises(DestinationUnresolved, match="nowhere.test does not resolve"):
            await guard.addresses("nowhere.test", 80)
        with pytest.raises(DestinationRefused, match="10.99.0.7 is in a private network"):
            await guard.check("http://inside.test:5432/")

    run(go())
    assert names.lookups == ["sub.test", "nowhere.test", "inside.test"]
    assert issubclass(DestinationUnresolved, DestinationRefused)  # 422 at subscription too


@pytest.mark.parametrize("address", ["::ffff:10.99.0.7", "::ffff:127.0.0.1", "fe80::1%eth0",
                                     "169.254.169.254", "0.0.0.0"])
def test_the_guard_refuses_mapped_and_always_forbidden_addresses(address):
    assert EgressGuard("10.99.0.0/16").refusal([address]) is not None
