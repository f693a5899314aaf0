"""The compose file wires the egress proxy as the webhook gateway's only way out, to the
`outside` network, refusing every other network of the sandbox."""

from __future__ import annotations

import pytest

from sandbox.topology import compose_file, load_topology

SUBNETS = {"NETWORK_PRIVATE_SUBNET": "10.9.0.0/24", "NETWORK_PUBLIC_SUBNET": "10.8.0.0/24",
           "NETWORK_OUTSIDE_SUBNET": "10.7.0.0/24"}


@pytest.fixture(scope="module")
def topo():
    return load_topology(compose_file(), SUBNETS)


def test_the_worker_delivers_through_its_link_to_egress(topo):
    link = topo.link("webhooks-worker->egress")
    assert link.upstream == "egress:3128"
    worker = topo.services["webhooks-worker"].environment
    assert worker["EGRESS_PROXY_URL"] == f"http://{topo.proxy.service}:{link.listen_port}"


def test_the_webhooks_worker_reaches_out_only_through_egress(topo):
    public = {name for name, service in topo.services.items() if "public" in service.networks}
    # the webhook gateway's web service takes inbound webhooks on the public subnet; the
    # worker, which makes the outbound deliveries, has no network but the private one;
    # the payment provider stands in for the outside (public and outside networks only)
    assert public == {"gateway", "bastion", "webhooks", "provider"}
    assert topo.services["provider"].networks == ("public", "outside")
    worker = topo.services["webhooks-worker"]
    assert worker.networks == ("private",) and worker.ports == ()
    # egress reaches the outside world on `outside`, and no sandbox container on `public`
    assert topo.services["egress"].networks == ("private", "outside")
    assert not topo.networks["outside"].internal


def test_every_network_of_the_sandbox_but_outside_is_refused_by_each_guard(topo):
    sandbox = sorted(SUBNETS[f"NETWORK_{name.upper()}_SUBNET"]
                     for name in topo.networks if name != "outside")
    for service in ("egress", "webhooks", "webhooks-worker"):
        refused = topo.services[service].environment["SANDBOX_SUBNETS"].split()
        assert sorted(refused) == sandbox, service
        assert SUBNETS["NETWORK_OUTSIDE_SUBNET"] not in refused


def test_egress_reports_readiness_and_publishes_nothing(topo):
    egress = topo.services["egress"]
    assert egress.command == ("python3", "-m", "services.egress")
    assert "http://127.0.0.1:8001/health/ready" in egress.healthcheck.test
    assert egress.ports == ()


def test_no_global_signing_secret_is_left(topo):
    assert "webhooks/signing_secret" not in topo.secrets
