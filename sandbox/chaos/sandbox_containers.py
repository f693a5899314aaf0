"""The container side of a running ``Sandbox`` as the fault ledger needs it: apply an
action, say whether a service is healthy again, and save/restore throttled limits.

>>> containers = SandboxContainers(sb)                      # doctest: +SKIP
>>> containers.apply(container_fault("catalog", "pause"))   # doctest: +SKIP
'pause catalog'
>>> containers.not_ready("catalog")                         # doctest: +SKIP
'state paused, health healthy'
"""

from __future__ import annotations

from typing import Any

from sandbox.chaos.fault_specs import ContainerFaultSpec
from sandbox.faults.containers import ContainerFaults

CPU_PERIOD_US = 100_000


class SandboxContainers:
    """Container faults of one sandbox (``ContainerFaults``) plus health and limits."""

    def __init__(self, sandbox: Any) -> None:
        self._sb = sandbox
        self._faults = ContainerFaults(sandbox)

    def services(self) -> list[str]:
        return sorted(row["service"] for row in self._sb.status())

    def networks(self) -> list[str]:
        return sorted(self._sb.state.networks)

    def apply(self, spec: ContainerFaultSpec) -> str:
        return self._faults.apply(spec.action, spec.service, network=spec.network,
                                  cpus=spec.cpus, memory=spec.memory)  # fmt: skip

    def not_ready(self, service: str) -> str | None:
        """None when the service runs and is healthy (or has no health check), else why not."""
        for row in self._sb.status():
            if row["service"] == service:
                if row["state"] == "running" and row["health"] in ("healthy", "-"):
                    return None
                return f"state {row['state']}, health {row['health']}"
        return "no container"

    def limits(self, service: str) -> dict[str, int]:
        """The container's CPU and memory limits now (Docker's HostConfig values)."""
        host = self._sb.container(service).attrs["HostConfig"]
        return {key: int(host.get(key) or 0)
                for key in ("CpuPeriod", "CpuQuota", "Memory", "MemorySwap")}  # fmt: skip

    def restore_limits(self, service: str, limits: dict[str, int]) -> None:
        """Put back what ``limits`` saved. Docker cannot unset a memory limit: "no limit"
        comes back as the host's whole memory (twice that with swap), no limit in effect.
        Both values are explicit: runc then writes them in the order cgroup v1 accepts."""
        container = self._sb.container(service)
        memory = limits["Memory"] or int(container.client.info()["MemTotal"])
        container.update(
            cpu_period=limits["CpuPeriod"] or CPU_PERIOD_US,
            cpu_quota=limits["CpuQuota"] or -1,  # -1: no CPU quota
            mem_limit=memory,
            memswap_limit=limits["MemorySwap"] if limits["Memory"] else 2 * memory,
        )
