"""The compose file wires the egress proxy as the webhook gateway's only way out."""

from __future__ import annotations

import pytest

from sandbox.topology import compose_file, load_topology


@pytest.fixture(scope="module")
def topo():
    return load_topology(compose_file(), {"NETWORK_PRIVATE_SUBNET": "10.9.0.0/24"})


def test_the_worker_delivers_through_its_link_to_egress(topo):
    link = topo.link("webhooks-worker->egress")
    assert link.upstream == "egress:3128"
    worker = topo.services["webhooks-worker"].environment
    assert worker["EGRESS_PROXY_URL"] == f"http://{topo.proxy.service}:{link.listen_port}"


def test_the_webhooks_worker_reaches_out_only_through_egress(topo):
    public = {name for name, service in topo.services.items() if "public" in service.networks}
    # the webhook gateway's web service takes inbound webhooks on the public subnet; the
    # worker, which makes the outbound deliveries, has no network but the private one
    assert public == {"gateway", "bastion", "egress", "webhooks"}
    worker = topo.services["webhooks-worker"]
    assert worker.networks == ("private",) and worker.ports == ()
    assert topo.services["egress"].networks == ("public", "private")


def test_egress_refuses_the_private_subnet_and_reports_readiness(topo):
    egress = topo.services["egress"]
    assert egress.environment["PRIVATE_SUBNET"] == "10.9.0.0/24"
    assert egress.command == ("python3", "-m", "services.egress")
    assert "http://127.0.0.1:8001/health/ready" in egress.healthcheck.test
    assert egress.ports == ()
