"""A topology service as a testcontainers ``DockerContainer``.

The Docker API (1.41) attaches a container to one network at creation; the others are
connected between creation and start, so the process never sees a partial network.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from docker.errors import APIError
from docker.types import EndpointConfig
from testcontainers.core.container import DockerContainer
from testcontainers.core.docker_client import DockerClient

from sandbox.errors import PortInUse
from sandbox.runtime import labels as L
from sandbox.runtime.secret_files import MOUNT_POINT
from sandbox.topology import Service

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # Ryuk cannot be pulled here

_PORT_IN_USE = re.compile(r"port is already allocated|address already in use", re.IGNORECASE)
_BOUND_PORT = re.compile(r"(?:[\d.]+|\[[0-9a-f:]*\]):(\d+)")


class NetworkAttachingDockerClient(DockerClient):
    """testcontainers' client that connects the extra networks just before start."""

    def __init__(self, extra_networks: list[str], aliases: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._extra_networks = extra_networks
        self._aliases = aliases

    def start(self, container: Any) -> None:
        for name in self._extra_networks:
            self.client.api.connect_container_to_network(container.id, name, aliases=self._aliases)
        container.start()


class ServiceContainer(DockerContainer):
    """One service of a run: name, labels, env, command, ports on 127.0.0.1, networks."""

    def __init__(
        self,
        service: Service,
        image: str,
        run_id: str,
        labels: dict[str, str],
        networks: dict[str, str],
        secrets_dir: Path | None = None,
    ) -> None:
        """``networks`` maps the topology's network names to the run's Docker names;
        ``secrets_dir`` (the service's secret files) is mounted read-only at /run/secrets."""
        super().__init__(image)
        self.service = service
        names = [networks[n] for n in service.networks]
        self._client = NetworkAttachingDockerClient(names[1:], [service.name])
        self.with_name(L.container_name(run_id, service.name))
        for key, value in service.environment.items():
            self.with_env(key, value)
        if service.command is not None:
            self.with_command(
                list(service.command) if isinstance(service.command, tuple) else service.command
            )
        if secrets_dir is not None:
            self.with_volume_mapping(str(secrets_dir), MOUNT_POINT, mode="ro")
        for port in service.ports:
            key = f"{port.container_port}/{port.protocol}"
            self.ports[key] = (port.host_ip, port.host_port)  # type: ignore[assignment]
        kwargs: dict[str, Any] = {
            "labels": L.service_labels(labels, service.name),
            "hostname": service.name,
            "network": names[0],
            "networking_config": {names[0]: EndpointConfig("1.41", aliases=[service.name])},
        }
        if service.cpu_shares is not None:
            kwargs["cpu_shares"] = service.cpu_shares
        if service.user is not None:
            kwargs["user"] = service.user
        if service.healthcheck:
            hc = service.healthcheck
            kwargs["healthcheck"] = {
                "test": list(hc.test),
                "interval": int(hc.interval * 1e9),
                "timeout": int(hc.timeout * 1e9),
                "retries": hc.retries,
                "start_period": int(hc.start_period * 1e9),
            }
        self.with_kwargs(**kwargs)

    def get_docker_client(self) -> DockerClient:
        return self._client

    def start(self) -> ServiceContainer:
        """Create, connect, start; a taken host port becomes ``PortInUse``."""
        try:
            super().start()
        except APIError as e:
            if _PORT_IN_USE.search(str(e)):
                raise port_in_use(self.service, str(e)) from None
            raise
        return self


def port_in_use(service: Service, message: str) -> PortInUse:
    """Name the variable (or compose key) that fixes the host port Docker could not bind."""
    numbers = {int(n) for n in _BOUND_PORT.findall(message)}
    fixed = [p for p in service.ports if p.host_port is not None]
    port = next((p for p in fixed if p.host_port in numbers), fixed[0] if fixed else None)
    if port is None:
        return PortInUse(
            f"a host port of service {service.name} is in use ({message[-120:]})",
            f"free the port or change services.{service.name}.ports",
        )
    fix = (
        f"set {port.variable}=NNNN to a free port (or {port.variable}= for any free port)"
        if port.variable
        else f"change the host port of services.{service.name}.ports in the compose file"
    )
    return PortInUse(
        f"host port {port.host_ip}:{port.host_port} of service {service.name} is already in use",
        fix,
    )
