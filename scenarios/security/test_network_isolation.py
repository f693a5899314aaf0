"""Data stores are unreachable from the host and from the public network.

Nothing here sends packets from the host to a container: the host side is checked
through Docker's own description of the containers, and reachability is tried from a
throwaway container on the public network.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.network_probe import run_probe

pytestmark = [pytest.mark.docker, pytest.mark.security]

DATA_STORES = {"postgres": 5432, "broker": 5672, "cache": 6379}


def attrs(sandbox: Any, service: str) -> dict[str, Any]:
    container = sandbox.container(service)
    container.reload()
    return container.attrs


def network_name(sandbox: Any, network: str) -> str:
    return f"sandbox-{sandbox.run_id}-{network}"


@pytest.mark.parametrize("service", sorted(DATA_STORES))
def test_data_store_publishes_no_port_to_the_host(sandbox, service):
    """Consoles of private services are published by the gateway, never by the store."""
    info = attrs(sandbox, service)
    published = {
        (port, binding.get("HostIp"), binding.get("HostPort"))
        for port, bindings in (info["NetworkSettings"]["Ports"] or {}).items()
        for binding in bindings or []
    }
    assert published == set()
    assert not info["HostConfig"]["PortBindings"]


@pytest.mark.parametrize("service", sorted(DATA_STORES))
def test_data_store_is_attached_only_to_the_internal_network(sandbox, service):
    private = network_name(sandbox, "private")
    info = attrs(sandbox, service)
    assert set(info["NetworkSettings"]["Networks"]) == {private}
    network = sandbox.container(service).client.networks.get(private)
    assert network.attrs["Internal"] is True


def test_the_public_network_reaches_the_gateway_but_no_data_store(sandbox):
    private = network_name(sandbox, "private")
    targets: list[tuple[str, int]] = [("gateway", 8080)]
    for service, port in sorted(DATA_STORES.items()):
        ip = attrs(sandbox, service)["NetworkSettings"]["Networks"][private]["IPAddress"]
        assert ip, f"{service} has no address on {private}"
        targets += [(service, port), (ip, port)]

    # the python image (the one the services use), with the run's labels
    python_like = sandbox.container("secrets")
    results = run_probe(python_like, network_name(sandbox, "public"), targets)

    outcomes = {(r.host, r.port): r.outcome for r in results}
    assert outcomes.pop(("gateway", 8080)) == "connected", "the probe itself cannot connect"
    assert {t: o for t, o in outcomes.items() if o == "connected"} == {}
