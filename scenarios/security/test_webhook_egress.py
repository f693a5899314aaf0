"""SSRF at subscription time: a subscriber URL naming any network of the sandbox (public as
well as private), loopback, link-local or unspecified, in any spelling, is refused with a
422 that never says where the name points; the simulated outside world is accepted."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from sandbox.errors import NotRunning

pytestmark = [pytest.mark.docker, pytest.mark.security]

SPELLINGS = [
    "http://127.0.0.1:8000/", "http://2130706433:8000/", "http://0x7f.0.0.1:8000/",
    "http://0177.0.0.1:8000/", "http://127.1:8000/", "http://0x7f000001:8000/",
    "http://localhost:8000/", "http://localhost.:8000/", "http://127.0.0.1.:8000/",
    "http://[::1]:8000/", "http://[::ffff:127.0.0.1]:8000/", "http://[::ffff:7f00:1]:8000/",
    "http://[0:0:0:0:0:ffff:7f00:1]:8000/", "http://[64:ff9b::7f00:1]:8000/",
    "http://0.0.0.0:8000/", "http://0:8000/", "http://[::]:8000/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
    "http://outside.example@127.0.0.1:8000/", "http://127.0.0.1:8000#@outside.example/",
]
NAMES = [
    "http://postgres:5432/", "http://catalog:8000/internal/products/x", "http://auth:8000/",
    "http://webhooks:8000/", "http://gateway:8080/", "http://bastion:22/",
    "http://egress:3128/", "http://toxiproxy:8474/proxies", "http://prometheus:9090/",
    "http://alertmanager:9093/", "http://broker:15672/", "http://secrets:5000/",
    "http://postgres.:5432/",
]


def spellings_of(address: str) -> list[str]:
    """An IPv4 address as dotted, decimal, hex, octal and IPv4-mapped IPv6."""
    number = int(ipaddress.IPv4Address(address))
    parts = address.split(".")
    return [address, str(number), hex(number), ".".join(hex(int(p)) for p in parts),
            ".".join("0" + oct(int(p))[2:] for p in parts), f"[::ffff:{address}]"]


def refused(client: Any, url: str) -> str:
    response = client.post("/v1/webhooks/subscriptions",
                           json={"url": url, "events": ["order.paid"]})
    assert response.status_code == 422, (url, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["detail"]


@pytest.mark.parametrize("url", NAMES)
def test_a_service_of_the_sandbox_by_name_is_refused_without_its_address(
        sandbox, enrolled_client, url):
    detail = refused(enrolled_client, url)
    assert "an address of the sandbox" in detail, detail
    host = url.split("//")[1].split(":")[0].rstrip(".")
    for network in ("private", "public"):
        try:
            address = sandbox.address(host, network)
        except NotRunning:  # not on that network
            continue
        assert address not in detail, detail
    listed = enrolled_client.get("/v1/webhooks/subscriptions").json()["items"]
    assert all(s["url"] != url for s in listed)


@pytest.mark.parametrize("url", SPELLINGS)
def test_loopback_link_local_and_unspecified_in_every_spelling_are_refused(enrolled_client, url):
    detail = refused(enrolled_client, url)
    assert "an address of the sandbox" in detail or "credentials" in detail, detail


@pytest.mark.parametrize(("network", "service"), [
    ("private", "catalog"), ("private", "postgres"), ("public", "gateway"),
    ("public", "webhooks"), ("public", "bastion"),
])
def test_every_address_of_each_sandbox_network_in_every_spelling_is_refused(
        sandbox, enrolled_client, network, service):
    for spelled in spellings_of(sandbox.address(service, network)):
        detail = refused(enrolled_client, f"http://{spelled}:8000/")
        assert "an address of the sandbox" in detail, (spelled, detail)


@pytest.mark.parametrize("network", ["private", "public"])
def test_the_hosts_address_on_a_sandbox_network_is_refused(sandbox, enrolled_client, network):
    detail = refused(enrolled_client, f"http://{sandbox.network_gateway_ip(network)}:9/")
    assert "an address of the sandbox" in detail


def test_the_outside_world_is_accepted(enrolled_client, webhook_subscriber):
    response = enrolled_client.post(
        "/v1/webhooks/subscriptions",
        json={"url": f"{webhook_subscriber.url}/hooks", "events": ["order.paid"]})
    assert response.status_code == 201, response.text
