"""A fault to inject, as a value: on a link (the CLI's words) or on a service's container.

The same specs come from ``@pytest.mark.fault(...)`` and from YAML scenarios; names are
checked here for their shape only (the live proxy and topology are asked at run time).

>>> link_fault("catalog->postgres", ["latency=300ms", "jitter=50ms"]).fault
Fault(kind='latency', attributes={'latency': 300, 'jitter': 50})
>>> link_fault("catalog->postgres", ["latency=300ms"]).describe()
'catalog->postgres latency=300ms'
>>> container_fault("catalog", "pause").describe()
'pause catalog'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.errors import SandboxError
from sandbox.faults.links import DOWN, STREAMS
from sandbox.faults.spec import KINDS, Fault, parse_fault

NAME = r"[a-z0-9][a-z0-9_.-]*"
LINK_RE = re.compile(rf"{NAME}->{NAME}")
SERVICE_RE = re.compile(NAME)
# a fault id as `sandbox fault ls` prints it: <link>/<toxic name>
FAULT_ID_RE = re.compile(rf"{NAME}->{NAME}/[a-z_]+")

# the attributes each toxic takes besides its main amount (Toxiproxy 2.x)
EXTRA_ATTRIBUTES = {
    "latency": ("jitter",),
    "slicer": ("size_variation", "delay"),
}
NETWORKS_FIX = "e.g. network: private"


class FaultSpecInvalid(SandboxError):
    pass


@dataclass(frozen=True)
class LinkFaultSpec:
    """A fault on a link of the links' proxy."""

    link: str
    words: tuple[str, ...]
    fault: Fault
    stream: str = "downstream"
    toxicity: float = 1.0

    @property
    def target(self) -> str:
        return self.link

    def describe(self) -> str:
        extra = "" if self.stream == "downstream" else f" (stream {self.stream})"
        if self.toxicity != 1.0:
            extra += f" (toxicity {self.toxicity:g})"
        return f"{self.link} {' '.join(self.words)}{extra}"


@dataclass(frozen=True)
class ContainerFaultSpec:
    """An action on a service's container (``sandbox fault pause catalog``)."""

    service: str
    action: str
    network: str = "private"
    cpus: float | None = None
    memory: str | None = None

    @property
    def target(self) -> str:
        return self.service

    def describe(self) -> str:
        extra = f" from {self.network}" if self.action in ("partition", "heal") else ""
        if self.action == "throttle":
            extra = "".join(f" {k}={v}" for k, v in (("cpus", self.cpus), ("memory", self.memory))
                            if v is not None)  # fmt: skip
        return f"{self.action} {self.service}{extra}"


FaultSpec = LinkFaultSpec | ContainerFaultSpec


def check_link_name(link: str) -> None:
    if not isinstance(link, str) or not LINK_RE.fullmatch(link):
        raise FaultSpecInvalid(
            f"{link!r} is not a link name",
            "write SOURCE->TARGET, e.g. catalog->postgres (`sandbox status --links` lists them)",
        )


def check_service_name(service: str) -> None:
    if not isinstance(service, str) or not SERVICE_RE.fullmatch(service):
        raise FaultSpecInvalid(
            f"{service!r} is not a service name", "e.g. catalog (`sandbox status` lists them)"
        )


def link_fault(link: str, words: list[str] | tuple[str, ...], stream: str = "downstream",
               toxicity: float = 1.0) -> LinkFaultSpec:
    """A link fault from the CLI's words (``["latency=300ms", "jitter=50ms"]``, ``["down"]``)."""
    check_link_name(link)
    if not all(isinstance(w, str) for w in words):
        raise FaultSpecInvalid(f"fault words must be text, got {list(words)!r}",
                               "write e.g. latency=300ms jitter=50ms")  # fmt: skip
    kind = KINDS.get(words[0].partition("=")[0], ("",))[0] if words else ""
    allowed = EXTRA_ATTRIBUTES.get(kind, ())
    for word in words[1:]:
        key = word.partition("=")[0]
        if kind and key not in allowed:
            raise FaultSpecInvalid(
                f"{kind} takes no attribute {key!r}",
                f"use {', '.join(allowed)}" if allowed else f"write only {words[0]}",
            )
    fault = parse_fault(list(words))
    if stream not in STREAMS:
        raise FaultSpecInvalid(f"unknown stream {stream!r}", f"use one of {', '.join(STREAMS)}")
    if fault.kind == DOWN and stream != "downstream":
        raise FaultSpecInvalid("`down` cuts both directions: it takes no stream",
                               "drop the stream")  # fmt: skip
    if isinstance(toxicity, bool) or not isinstance(toxicity, int | float) \
            or not 0.0 <= toxicity <= 1.0:  # fmt: skip
        raise FaultSpecInvalid(f"toxicity {toxicity:g} is not between 0 and 1" if isinstance(
            toxicity, int | float) else f"toxicity {toxicity!r} is not a number",
                               "e.g. toxicity: 0.5 (half the connections)")  # fmt: skip
    return LinkFaultSpec(link, tuple(words), fault, stream, float(toxicity))


def container_fault(service: str, action: str, network: str = "private",
                    cpus: float | None = None, memory: str | None = None) -> ContainerFaultSpec:
    """A container fault: ``action`` one of ``sandbox fault``'s container actions."""
    from sandbox.faults.containers import ACTIONS  # it imports the docker SDK: only when needed

    check_service_name(service)
    if action not in ACTIONS:
        raise FaultSpecInvalid(f"unknown container action {action!r}",
                               f"use one of {', '.join(ACTIONS)}")  # fmt: skip
    if action == "throttle":
        if cpus is None and memory is None:
            raise FaultSpecInvalid("throttle needs cpus or memory", "e.g. cpus: 0.2, memory: 64m")
        if cpus is not None and (isinstance(cpus, bool) or not isinstance(cpus, int | float)
                                 or cpus <= 0):  # fmt: skip
            raise FaultSpecInvalid(f"cpus {cpus!r} is not a positive number", "e.g. cpus: 0.2")
        if memory is not None and not re.fullmatch(r"\d+[kmg]?", str(memory)):
            raise FaultSpecInvalid(f"memory {memory!r} is not a size", "e.g. memory: 64m")
    elif cpus is not None or memory is not None:
        raise FaultSpecInvalid(f"cpus and memory are for throttle, not {action}",
                               "drop them, or use action: throttle")  # fmt: skip
    if not isinstance(network, str) or not SERVICE_RE.fullmatch(network):
        raise FaultSpecInvalid(f"{network!r} is not a network name", NETWORKS_FIX)
    if network != "private" and action not in ("partition", "heal"):
        raise FaultSpecInvalid(f"a network is for partition and heal, not {action}",
                               "drop it, or use action: partition")  # fmt: skip
    return ContainerFaultSpec(service, action, network, cpus, memory)
