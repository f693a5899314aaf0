"""The run's networks: created with labels, their subnets read back for interpolation."""

from __future__ import annotations

import re

import docker

from sandbox.runtime import labels as L
from sandbox.topology import Topology


def network_variables(networks: dict[str, dict[str, str]]) -> dict[str, str]:
    """``NETWORK_<NAME>_SUBNET`` and ``NETWORK_<NAME>_GATEWAY`` for each network.

    >>> network_variables({"private": {"subnet": "172.20.0.0/16", "gateway": "172.20.0.1"}})
    {'NETWORK_PRIVATE_SUBNET': '172.20.0.0/16', 'NETWORK_PRIVATE_GATEWAY': '172.20.0.1'}
    """
    variables = {}
    for name, info in networks.items():
        key = re.sub(r"[^A-Za-z0-9]", "_", name).upper()
        variables[f"NETWORK_{key}_SUBNET"] = info["subnet"]
        variables[f"NETWORK_{key}_GATEWAY"] = info["gateway"]
    return variables


def create_networks(
    client: docker.DockerClient, topology: Topology, run_id: str, labels: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Create each network of the topology; returns name -> {docker name, subnet, gateway}."""
    created = {}
    for name, spec in topology.networks.items():
        net = client.networks.create(
            L.network_name(run_id, name),
            driver="bridge",
            internal=spec.internal,
            labels=labels,
            check_duplicate=True,
        )
        net.reload()
        config = (net.attrs.get("IPAM") or {}).get("Config") or [{}]
        created[name] = {
            "name": net.name,
            "subnet": config[0].get("Subnet", ""),
            "gateway": config[0].get("Gateway", ""),
        }
    return created
