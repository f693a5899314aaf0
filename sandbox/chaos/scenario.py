"""A chaos scenario as typed values (the YAML format is read by ``scenario_loader``).

    Scenario
     ├── steady_state   probes, checked before the steps and again after the rollback
     │                    OrderPaidProbe   an order placed now ends paid within N s
     │                    GetProbe         GET PATH answers STATUS within N s
     ├── steps          in order: TrafficStep (runs in the background until the steps
     │                  end), FaultStep, RemoveStep, ClearStep, WaitStep
     ├── expect         Expectations: statuses, latency bounds, recovery, nothing lost
     └── rollback       steps run after the steps, whatever happened; then every fault
                        still in place is undone anyway

Every value keeps the line it came from, so that a problem found when the scenario runs
(a link the live proxy does not have) still names the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.chaos.fault_specs import ContainerFaultSpec, FaultSpec, LinkFaultSpec


class ScenarioError(Exception):
    """A scenario that cannot run: ``path:line: reason`` (the reason says the fix)."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class OrderPaidProbe:
    within: float
    line: int = 0

    def describe(self) -> str:
        return f"an order placed now ends paid within {self.within:g} s"


@dataclass(frozen=True)
class GetProbe:
    path: str
    status: int = 200
    within: float = 2.0
    line: int = 0

    def describe(self) -> str:
        return f"GET {self.path} answers {self.status} within {self.within:g} s"


Probe = OrderPaidProbe | GetProbe


@dataclass(frozen=True)
class TrafficStep:
    rate: float
    deadline: float = 10.0
    line: int = 0

    def describe(self) -> str:
        return f"traffic: orders at {self.rate:g}/s, each within {self.deadline:g} s"


@dataclass(frozen=True)
class FaultStep:
    spec: FaultSpec
    line: int = 0

    def describe(self) -> str:
        return f"fault: {self.spec.describe()}"


@dataclass(frozen=True)
class RemoveStep:
    target: str  # a link, a fault id (link/toxic) or a service
    line: int = 0

    def describe(self) -> str:
        return f"remove: {self.target}"


@dataclass(frozen=True)
class ClearStep:
    line: int = 0

    def describe(self) -> str:
        return "clear"


@dataclass(frozen=True)
class WaitStep:
    seconds: float
    line: int = 0

    def describe(self) -> str:
        return f"wait: {self.seconds:g}s"


Step = TrafficStep | FaultStep | RemoveStep | ClearStep | WaitStep

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "max": 100.0}


@dataclass(frozen=True)
class LatencyBound:
    """``p99`` (or p50, p90, p95, max) of the answered requests under ``seconds``."""

    name: str
    seconds: float

    @property
    def percent(self) -> float:
        return PERCENTILES[self.name]


@dataclass(frozen=True)
class Expectations:
    statuses: tuple[int, ...] = (201,)
    latency: tuple[LatencyBound, ...] = ()
    recovery: float = 30.0
    nothing_lost: float | None = 60.0  # seconds the accepted orders have to end; None: skip
    line: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    steps: tuple[Step, ...]
    steady_state: tuple[Probe, ...] = (OrderPaidProbe(30.0),)
    expect: Expectations = field(default_factory=Expectations)
    rollback: tuple[Step, ...] = ()
    description: str = ""

    @property
    def traffic(self) -> TrafficStep | None:
        return next((s for s in self.steps if isinstance(s, TrafficStep)), None)

    def named(self) -> list[tuple[int, str, str]]:
        """``(line, kind, name)`` of every link, service and network the scenario uses,
        to check against the live sandbox before anything runs."""
        found = []
        for step in (*self.steps, *self.rollback):
            if isinstance(step, FaultStep) and isinstance(step.spec, LinkFaultSpec):
                found.append((step.line, "link", step.spec.link))
            elif isinstance(step, FaultStep) and isinstance(step.spec, ContainerFaultSpec):
                found.append((step.line, "service", step.spec.service))
                if step.spec.action in ("partition", "heal"):
                    found.append((step.line, "network", step.spec.network))
            elif isinstance(step, RemoveStep):
                target = step.target.partition("/")[0]
                found.append((step.line, "link" if "->" in target else "service", target))
        return found
