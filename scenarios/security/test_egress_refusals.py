"""The egress proxy, the webhook gateway's only way out, refuses the private network at
delivery time too: whatever the worker asks of it over its link, a private name, a
private address or loopback is answered 403 and never connected to."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.security]

WRITE_OUT = "%{http_code} %{http_connect}"


def through_egress(sandbox: Any, url: str, *, tunnel: bool = False) -> tuple[str, str]:
    """From the webhooks worker, through its link to egress: (status line codes, headers)."""
    flags = "-p " if tunnel else ""
    command = (f'curl -s -m 5 {flags}-x "$EGRESS_PROXY_URL" -D - -o /dev/null '
               f'-w "\\n{WRITE_OUT}" \'{url}\'')
    _, out = sandbox.exec("webhooks-worker", ["sh", "-c", command])
    headers, _, codes = out.rpartition("\n")
    return codes.strip(), headers.lower()


def private_address(sandbox: Any, service: str) -> str:
    container = sandbox.container(service)
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][
        f"sandbox-{sandbox.run_id}-private"]["IPAddress"]


@pytest.mark.parametrize("target", ["postgres:5432", "catalog:8000", "private-ip", "127.0.0.1:8001"])
def test_a_private_destination_is_refused_by_egress(sandbox, target):
    if target == "private-ip":
        target = f"{private_address(sandbox, 'catalog')}:8000"
    codes, headers = through_egress(sandbox, f"http://{target}/internal/products/x")
    assert codes.split()[0] == "403", (codes, headers)
    assert "proxy-status: egress; error=destination_ip_prohibited" in headers
    assert "is in a private network of the sandbox" in headers


def test_a_tunnel_into_the_private_network_is_refused_by_egress(sandbox):
    codes, headers = through_egress(sandbox, "http://postgres:5432/", tunnel=True)
    assert codes.split()[-1] == "403", (codes, headers)
    assert "error=destination_ip_prohibited" in headers


def test_the_subscriber_on_the_host_is_reached_through_egress(sandbox, webhook_subscriber):
    codes, _ = through_egress(sandbox, f"{webhook_subscriber.url}/via-egress")
    assert codes.split()[0] == "200", codes
    [request] = webhook_subscriber.wait_for(
        lambda reqs: [r for r in reqs if r.path == "/via-egress"], timeout=10)
    assert request.method == "GET"
