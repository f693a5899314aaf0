"""Faults on containers: kill, stop/start, restart, pause/unpause, partition/heal, and
CPU/memory throttling, through the docker SDK.

A partition disconnects the container from one of the run's networks (its service name
stays its alias there once healed); ``heal`` connects it back.

>>> faults = ContainerFaults(sandbox)            # doctest: +SKIP
>>> faults.apply("pause", "catalog")             # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from sandbox.errors import SandboxError
from sandbox.runtime.labels import network_name

ACTIONS = ("kill", "stop", "start", "restart", "pause", "unpause", "partition", "heal", "throttle")


class ContainerFaults:
    """Applies container faults to the services of a running sandbox (``Sandbox``)."""

    def __init__(self, sandbox: Any) -> None:
        self._sb = sandbox

    def _container(self, service: str) -> Any:
        services = sorted(row["service"] for row in self._sb.status())
        if service not in services:
            raise SandboxError(f"no service named {service!r}", f"use one of: {', '.join(services)}")
        return self._sb.container(service)

    def _network(self, name: str) -> str:
        networks = self._sb.state.networks
        if name not in networks:
            raise SandboxError(f"no network named {name!r}", f"use one of: {', '.join(networks)}")
        return network_name(self._sb.run_id, name)

    def _refill_proxy(self, container: Any) -> None:
        from sandbox.runtime.proxy_populate import repopulate

        port = self._sb.state.proxy_api_port or 8474
        repopulate(container.client.api, container.id, self._sb.state.proxy, port)

    def apply(self, action: str, service: str, *, network: str = "private",
              cpus: float | None = None, memory: str | None = None) -> str:
        """Do ``action`` to ``service``'s container; returns what was done, in words."""
        if action not in ACTIONS:
            raise SandboxError(f"unknown container fault {action!r}", f"use one of {', '.join(ACTIONS)}")
        container = self._container(service)
        if action in ("kill", "stop", "start", "restart", "pause", "unpause"):
            getattr(container, action)()
            if action in ("start", "restart") and service == self._sb.state.proxy:
                self._refill_proxy(container)  # a proxy process starts empty
                return f"{action} {service} (links populated again)"
            return f"{action} {service}"
        if action == "throttle":
            if cpus is None and memory is None:
                raise SandboxError("throttle needs --cpus or --memory", "e.g. --cpus 0.2 --memory 64m")
            update: dict[str, Any] = {}
            if cpus is not None:
                update |= {"cpu_period": 100_000, "cpu_quota": max(1000, int(cpus * 100_000))}
            if memory is not None:
                update |= {"mem_limit": memory, "memswap_limit": memory}
            container.update(**update)
            return f"throttle {service} to {update}"
        docker_network = container.client.networks.get(self._network(network))
        if action == "partition":
            docker_network.disconnect(container)
            return f"partition {service} from {network}"
        docker_network.connect(container, aliases=[service])
        return f"heal {service} on {network}"
