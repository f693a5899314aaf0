"""What a test or a scenario put in place, so that all of it can be taken out again.

Every fault applied through the ledger is recorded. ``remove(target)`` undoes those on
a link, a fault id or a service; ``undo_all()`` undoes every container fault (newest
first), clears every link (the proxy's ``POST /reset``) and waits until each service a
container fault touched is healthy again. Undoing never stops at the first problem:
each undo is tried, and the problems come back one line each.

    fault              undone by
    ---------------    -------------------------------------------
    a link fault       removing it (``undo_all``: the proxy's reset)
    pause              unpause
    stop, kill         start, then healthy again
    restart            healthy again
    partition NET      heal NET, then healthy again
    throttle           the limits saved just before it

>>> ledger = FaultLedger.for_sandbox(sb)                                    # doctest: +SKIP
>>> ledger.apply(link_fault("catalog->postgres", ["latency=300ms"]))        # doctest: +SKIP
'catalog->postgres/latency_downstream'
>>> ledger.apply(container_fault("catalog", "pause"))                       # doctest: +SKIP
'pause catalog'
>>> ledger.undo_all()                                                       # doctest: +SKIP
[]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sandbox.chaos.fault_specs import ContainerFaultSpec, FaultSpec, LinkFaultSpec, container_fault
from sandbox.errors import SandboxError
from sandbox.faults.links import UnknownName

HEALTHY_TIMEOUT_S = 90.0
# an action that undoes earlier faults on the same service settles them
SETTLES = {"unpause": ("pause",), "start": ("stop", "kill"), "heal": ("partition",)}
UNDO = {"pause": "unpause", "stop": "start", "kill": "start", "partition": "heal"}


class LinkFaultApi(Protocol):
    """``sandbox.faults.LinkFaults``: the links' proxy."""

    def proxies(self) -> dict[str, Any]: ...

    def add(self, link: str, fault: Any, stream: str = ..., toxicity: float = ...) -> str: ...

    def remove(self, fault_id: str) -> None: ...

    def clear(self) -> None: ...


class ContainerControl(Protocol):
    """``SandboxContainers``: the services' containers."""

    def services(self) -> list[str]: ...

    def networks(self) -> list[str]: ...

    def apply(self, spec: ContainerFaultSpec) -> str: ...

    def not_ready(self, service: str) -> str | None: ...

    def limits(self, service: str) -> dict[str, int]: ...

    def restore_limits(self, service: str, limits: dict[str, int]) -> None: ...


def error_text(exc: BaseException) -> str:
    """One line: the ``cause -- fix: fix`` of a ``SandboxError``, else ``Type: message``."""
    if isinstance(exc, SandboxError):
        return exc.one_line().removeprefix("error: ")
    return " ".join(f"{type(exc).__name__}: {exc}".split())


@dataclass
class Applied:
    """One fault in place: its spec, its id (a link fault's proxy id) and saved limits."""

    spec: FaultSpec
    fault_id: str
    limits: dict[str, int] | None = None


class FaultLedger:
    """Applies faults, remembers them, takes them out again."""

    def __init__(
        self,
        links: LinkFaultApi,
        containers: ContainerControl,
        healthy_timeout: float = HEALTHY_TIMEOUT_S,
        poll: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self.links = links
        self.containers = containers
        self.healthy_timeout = healthy_timeout
        self.poll = poll
        self.clock = clock
        self.sleep = sleep or threading.Event().wait
        self.in_place: list[Applied] = []
        self.touched: list[str] = []  # services a container fault touched, in order
        self._names: dict[str, list[str]] = {}

    @classmethod
    def for_sandbox(cls, sandbox: Any) -> FaultLedger:
        """The ledger of a running ``sandbox.runtime.Sandbox``."""
        from sandbox.chaos.sandbox_containers import SandboxContainers
        from sandbox.faults.links import LinkFaults

        return cls(LinkFaults(sandbox.proxy_url), SandboxContainers(sandbox))

    # --- names ---------------------------------------------------------------------

    def _known(self, kind: str) -> list[str]:
        if kind not in self._names:
            read = {"link": lambda: sorted(self.links.proxies()),
                    "service": self.containers.services,
                    "network": self.containers.networks}[kind]  # fmt: skip
            self._names[kind] = list(read())
        return self._names[kind]

    def check_name(self, kind: str, name: str) -> None:
        """``UnknownName`` unless the live sandbox has a ``kind`` (link, service, network)
        called ``name``."""
        known = self._known(kind)
        if name not in known:
            listing = "`sandbox status --links`" if kind == "link" else "`sandbox status`"
            raise UnknownName(f"no {kind} named {name!r}",
                              f"use one of: {', '.join(known)} (see {listing})")  # fmt: skip

    def check(self, spec: FaultSpec) -> None:
        """Every name ``spec`` uses exists in the live sandbox (else ``UnknownName``)."""
        if isinstance(spec, LinkFaultSpec):
            self.check_name("link", spec.link)
        else:
            self.check_name("service", spec.service)
            if spec.action in ("partition", "heal"):
                self.check_name("network", spec.network)

    # --- putting faults in place ---------------------------------------------------

    def apply(self, spec: FaultSpec) -> str:
        """Put ``spec`` in place; returns its id (link) or what was done (container)."""
        if isinstance(spec, LinkFaultSpec):
            fault_id = self.links.add(spec.link, spec.fault, stream=spec.stream,
                                      toxicity=spec.toxicity)  # fmt: skip
            self.in_place.append(Applied(spec, fault_id))
            return fault_id
        limits = self.containers.limits(spec.service) if spec.action == "throttle" else None
        if spec.service not in self.touched:
            self.touched.append(spec.service)
        done = self.containers.apply(spec)
        if spec.action in SETTLES:
            self.in_place = [a for a in self.in_place if not self._settled_by(a, spec)]
        else:
            self.in_place.append(Applied(spec, done, limits))
        return done

    @staticmethod
    def _settled_by(applied: Applied, spec: ContainerFaultSpec) -> bool:
        done = applied.spec
        return (isinstance(done, ContainerFaultSpec) and done.service == spec.service
                and done.action in SETTLES[spec.action]
                and (spec.action != "heal" or done.network == spec.network))  # fmt: skip

    # --- taking them out -----------------------------------------------------------

    def remove(self, target: str) -> list[str]:
        """Undo the faults on ``target`` (a link, a fault id or a service), newest first;
        then wait until a service it touched is healthy. Returns what was undone."""
        mine = [a for a in self.in_place if target in (a.spec.target, a.fault_id)]
        if not mine:
            there = ", ".join(a.fault_id for a in self.in_place) or "none"
            raise SandboxError(f"no fault of this run is on {target!r}",
                               f"remove one that is in place ({there})")  # fmt: skip
        undone = []
        for applied in reversed(mine):
            self._undo(applied)
            self.in_place.remove(applied)
            undone.append(applied.fault_id)
        for service in {a.spec.service for a in mine if isinstance(a.spec, ContainerFaultSpec)}:
            problem = self.wait_healthy(service)
            if problem:
                raise SandboxError(problem, f"see `sandbox logs {service}`")
        return undone

    def _undo(self, applied: Applied) -> None:
        spec = applied.spec
        if isinstance(spec, LinkFaultSpec):
            self.links.remove(applied.fault_id)
        elif spec.action == "throttle":
            assert applied.limits is not None
            self.containers.restore_limits(spec.service, applied.limits)
        elif spec.action in UNDO:
            self.containers.apply(container_fault(spec.service, UNDO[spec.action], spec.network))

    def undo_all(self) -> list[str]:
        """Everything back: container faults undone, every link cleared, touched services
        healthy. Returns the problems (empty when all went back), one line each."""
        problems = []
        for applied in reversed(self.in_place):
            if isinstance(applied.spec, ContainerFaultSpec):
                try:
                    self._undo(applied)
                except Exception as exc:  # noqa: BLE001 - try every undo, report each
                    problems.append(f"undo {applied.spec.describe()}: {error_text(exc)}")
        self.in_place = []
        try:
            self.links.clear()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"clear the links: {error_text(exc)}")
        for service in self.touched:
            problem = self.wait_healthy(service)
            if problem:
                problems.append(problem)
        self.touched = []
        return problems

    def wait_healthy(self, service: str) -> str | None:
        """None once ``service`` is healthy, else (after ``healthy_timeout``) why not."""
        deadline = self.clock() + self.healthy_timeout
        while True:
            try:
                why = self.containers.not_ready(service)
            except Exception as exc:  # noqa: BLE001 - asked again until the deadline
                why = error_text(exc)
            if why is None:
                return None
            if self.clock() >= deadline:
                return f"{service} not healthy {self.healthy_timeout:g} s after its fault ({why})"
            self.sleep(self.poll)
