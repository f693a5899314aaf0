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


def test_without_the_sandbox_subnets_it_refuses_to_start_in_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("PRIVATE_SUBNET", "SANDBOX_SUBNETS")}
    done = subprocess.run([sys.executable, "-m", "services.egress"], cwd=ROOT, env=env,
                          check=False, capture_output=True, text=True, timeout=20)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [(
        "egress: SANDBOX_SUBNETS is not set, so deliveries could reach the sandbox's networks: "
        "set it to their subnets (compose: ${NETWORK_PRIVATE_SUBNET} ${NETWORK_PUBLIC_SUBNET})"
    )]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SANDBOX_SUBNETS": "not-a-net"}, "SANDBOX_SUBNETS='not-a-net'.*CIDR form"),
        ({"SANDBOX_SUBNETS": "10.0.0.0/8", "EGRESS_PORT": "http"}, "EGRESS_PORT='http' is not a port"),
        ({"SANDBOX_SUBNETS": "10.0.0.0/8", "EGRESS_MAX_CONNECTIONS": "0"},
         "EGRESS_MAX_CONNECTIONS='0' is not a positive number"),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(environ, message):
    with pytest.raises(ValueError, match=message):
        configured(environ)


def test_it_serves_as_the_container_runs_it_refusing_loopback_and_stops_on_sigterm():
    env = {**os.environ, "SANDBOX_SUBNETS": "172.30.0.0/16", "EGRESS_PORT": "0", "WORKER_PORT": "0"}
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
        assert response.json()["detail"] == (
            f"127.0.0.1:{started['port']} refused: 127.0.0.1 is an address of the sandbox")
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
        with pytest.raises(DestinationRefused, match="resolves to an address of the sandbox"):
            await guard.check("http://inside.test:5432/")

    run(go())
    assert names.lookups == ["sub.test", "nowhere.test", "inside.test"]
    assert issubclass(DestinationUnresolved, DestinationRefused)  # 422 at subscription too


@pytest.mark.parametrize("address", ["::ffff:10.99.0.7", "::ffff:127.0.0.1", "fe80::1%eth0",
                                     "169.254.169.254", "0.0.0.0"])
def test_the_guard_refuses_mapped_and_always_forbidden_addresses(address):
    assert EgressGuard("10.99.0.0/16").refusal([address]) is not None


def test_egress_refuses_its_own_addresses_but_reaches_the_rest_of_outside():
    # outside (the simulated internet) is 172.40.0.0/16; egress is 172.40.0.3 on it
    _, guard = configured({"SANDBOX_SUBNETS": "172.30.0.0/16 172.31.0.0/16"},
                          own=["172.30.0.9", "172.40.0.3"])
    assert guard.refusal(["172.40.0.3"]) == "an address of the sandbox"
    assert guard.refusal(["::ffff:172.40.0.3"]) == "an address of the sandbox"
    assert guard.refusal(["172.40.0.1"]) is None   # the host: the test subscriber
    assert guard.refusal(["172.40.0.4"]) is None   # another machine of the outside
    assert guard.refusal(["172.31.0.1"]) is not None  # the host on the public network


def test_own_addresses_lists_this_hosts_loopback():
    from services.egress.guard import own_addresses

    assert "127.0.0.1" in own_addresses()


@pytest.mark.parametrize("address", ["10.99.0.7", "::ffff:10.99.0.7", "::10.99.0.7",
                                     "64:ff9b::a63:7", "2002:a63:7::1", "224.0.0.1",
                                     "255.255.255.255", "ff02::1", "::"])
def test_an_ipv4_address_carried_in_ipv6_or_a_special_range_is_refused(address):
    assert EgressGuard("10.99.0.0/16").refusal([address]) == "an address of the sandbox"
