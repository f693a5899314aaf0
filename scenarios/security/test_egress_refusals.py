"""SSRF at delivery time: the egress proxy, the webhook gateway's only way out, refuses
every network of the sandbox too (private and public), loopback, link-local, unspecified
and its own address on ``outside``, in every spelling, whatever the worker asks of it over
its link: 403 (``Proxy-Status: egress; error=destination_ip_prohibited``), never connected
to, never naming the address. It reaches the outside world (the host's address on
``outside``, where the test subscriber listens)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.security]

WRITE_OUT = "%{http_code} %{http_connect}"
RAW = (
    "import os, socket, sys\n"
    "from urllib.parse import urlsplit\n"
    "p = urlsplit(os.environ['EGRESS_PROXY_URL'])\n"
    "s = socket.create_connection((p.hostname, p.port), timeout=10)\n"
    "s.sendall(sys.argv[1].encode('latin-1'))\n"
    "out = b''\n"
    "while chunk := s.recv(65536):\n"
    "    out += chunk\n"
    "sys.stdout.write(out.decode('latin-1'))\n"
)


def through_egress(sandbox: Any, url: str, *, tunnel: bool = False) -> tuple[str, str]:
    """From the webhooks worker, through its link to egress: (status line codes, headers)."""
    flags = "-p " if tunnel else ""
    command = (f'curl -s -m 5 {flags}-x "$EGRESS_PROXY_URL" -D - -o /dev/null '
               f'-w "\\n{WRITE_OUT}" \'{url}\'')
    _, out = sandbox.exec("webhooks-worker", ["sh", "-c", command])
    headers, _, codes = out.rpartition("\n")
    return codes.strip(), headers.lower()


def raw_through_egress(sandbox: Any, target: str, method: str = "GET") -> tuple[int, str, str]:
    """A request head sent as is (no client normalises the spelling): (status, head, body)."""
    head = f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n"
    if method == "CONNECT":
        head = f"CONNECT {target} HTTP/1.1\r\n\r\n"
    code, out = sandbox.exec("webhooks-worker", ["python3", "-c", RAW, head])
    assert code == 0, out
    response_head, _, body = out.partition("\r\n\r\n")
    return int(response_head.split(" ")[1]), response_head.lower(), body


def spellings_of(address: str) -> list[str]:
    number = int(ipaddress.IPv4Address(address))
    parts = address.split(".")
    return [address, str(number), hex(number), ".".join(hex(int(p)) for p in parts),
            ".".join("0" + oct(int(p))[2:] for p in parts), f"[::ffff:{address}]",
            address + "."]


def assert_refused(status: int, head: str, body: str, *, hidden: tuple[str, ...] = ()) -> None:
    assert status == 403, (status, head, body)
    assert "proxy-status: egress; error=destination_ip_prohibited" in head
    assert "an address of the sandbox" in json.loads(body)["detail"]
    for address in hidden:
        assert address not in head + body, (address, head, body)


@pytest.mark.parametrize("target", ["postgres:5432", "catalog:8000", "gateway:8080",
                                    "webhooks:8000", "bastion:22", "toxiproxy:8474",
                                    "egress:8001", "secrets:5000", "postgres.:5432"])
def test_a_service_of_the_sandbox_by_name_is_refused_by_egress(sandbox, target):
    service = target.split(":")[0].rstrip(".")
    hidden = (sandbox.address(service, "private"),)
    assert_refused(*raw_through_egress(sandbox, f"http://{target}/"), hidden=hidden)


@pytest.mark.parametrize(("service", "network"), [
    ("catalog", "private"), ("postgres", "private"), ("gateway", "public"),
    ("webhooks", "public"), ("bastion", "public"), ("egress", "outside"),
])
def test_each_network_of_the_sandbox_in_every_spelling_is_refused_by_egress(
        sandbox, service, network):
    # egress's own address on `outside` included: the one machine there it may not reach
    for spelled in spellings_of(sandbox.address(service, network)):
        assert_refused(*raw_through_egress(sandbox, f"http://{spelled}:8001/"))


@pytest.mark.parametrize("network", ["private", "public"])
def test_the_hosts_address_on_a_sandbox_network_is_refused_by_egress(sandbox, network):
    target = f"http://{sandbox.network_gateway_ip(network)}:9/"
    assert_refused(*raw_through_egress(sandbox, target))


@pytest.mark.parametrize("host", [
    "127.0.0.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.1", "0x7f000001",
    "127.0.0.1.", "localhost", "localhost.", "[::1]", "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "0.0.0.0", "0", "[::]", "169.254.169.254",
    "[fe80::1]",
])
def test_loopback_link_local_and_unspecified_in_every_spelling_are_refused_by_egress(
        sandbox, host):
    # 8001: egress's own health port, which would answer if the proxy connected
    assert_refused(*raw_through_egress(sandbox, f"http://{host}:8001/health/live"))


def test_a_tunnel_into_the_sandbox_is_refused_by_egress(sandbox):
    codes, headers = through_egress(sandbox, "http://postgres:5432/", tunnel=True)
    assert codes.split()[-1] == "403", (codes, headers)
    assert "error=destination_ip_prohibited" in headers
    status, head, _ = raw_through_egress(sandbox, "0x7f.1:8001", method="CONNECT")
    assert status == 403 and "destination_ip_prohibited" in head


def test_credentials_in_the_url_are_refused_by_egress(sandbox):
    status, head, body = raw_through_egress(sandbox, "http://outside.example@postgres:5432/")
    assert status == 400, (status, head)
    assert "credentials" in json.loads(body)["detail"]


def test_the_subscriber_on_the_hosts_outside_address_is_reached_through_egress(
        sandbox, webhook_subscriber):
    assert webhook_subscriber.host == sandbox.network_gateway_ip("outside")
    codes, _ = through_egress(sandbox, f"{webhook_subscriber.url}/via-egress")
    assert codes.split()[0] == "200", codes
    [request] = webhook_subscriber.wait_for(
        lambda reqs: [r for r in reqs if r.path == "/via-egress"], timeout=10)
    assert request.method == "GET"
