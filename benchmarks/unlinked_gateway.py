"""A run mode for the capacity benchmark only: a second gateway of the running sandbox, the
same image and configuration as its gateway, whose upstreams are the services' own
addresses instead of their links through the proxy. Side by side with the gateway, it is
the baseline that prices the proxy on the gateway's links.

It carries the run's labels (with the service name ``gateway-unlinked``), so `sandbox
down` removes it with the run; the context manager removes it on exit however it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker
import httpx

from fixtures.waiting import eventually
from sandbox.runtime import labels as L
from sandbox.runtime.engine import Sandbox

SERVICE = "gateway-unlinked"
# the gateway's links (compose: the gateway's x-sandbox.links), each a service's own port
UPSTREAMS = {"AUTH_UPSTREAM": "auth:8000", "MONOLITH_UPSTREAM": "monolith:8000",
             "CATALOG_UPSTREAM": "catalog:8000", "PAYMENTS_UPSTREAM": "payments:8000",
             "WEBHOOKS_UPSTREAM": "webhooks:8000"}
READY_S = 30.0


@contextmanager
def unlinked_gateway(sandbox: Sandbox) -> Iterator[str]:
    """``http://ADDRESS:8080`` of a gateway that reaches the services without the links:
    its address on the run's public network, as the benchmark reaches the gateway (Docker's
    userland proxy for published ports would cost more than what is measured)."""
    gateway = sandbox.container("gateway")
    gateway.reload()
    environment = dict(item.split("=", 1) for item in gateway.attrs["Config"]["Env"])
    environment.update(UPSTREAMS)
    labels = {**gateway.labels, L.SERVICE: SERVICE}
    client = gateway.client  # the run's Docker client
    networks = list(gateway.attrs["NetworkSettings"]["Networks"])
    container = client.containers.create(
        gateway.image.id, name=L.container_name(sandbox.run_id, SERVICE),
        environment=environment, labels=labels, network=networks[0],
        detach=True)
    try:
        for network in networks[1:]:
            client.networks.get(network).connect(container)
        container.start()
        url = f"http://{sandbox.address(SERVICE, 'public')}:8080"
        # until its /healthz answers 200 (auth through it, without a link)
        eventually(lambda: httpx.get(f"{url}/healthz", timeout=1).status_code, timeout=READY_S,
                   interval=0.1, until=lambda status: status == 200,
                   retry_on=(httpx.TransportError,))
        yield url
    finally:
        _remove(client, container, networks)


def _remove(client: object, container: object, networks: list[str]) -> None:
    """Stop, leave each network, then remove: a container removed by force while on two
    networks once left Docker 20.10 counting an endpoint on one of them, and that network
    could not be removed any more (not by `sandbox down` either) until dockerd restarted."""
    try:
        container.stop(timeout=5)  # type: ignore[attr-defined]
    except docker.errors.APIError:
        pass  # never started: nothing to stop
    for network in networks:
        try:
            client.networks.get(network).disconnect(container, force=True)  # type: ignore[attr-defined]
        except docker.errors.APIError:
            pass  # not on it (the create failed before the connect)
    container.remove(force=True)  # type: ignore[attr-defined]

