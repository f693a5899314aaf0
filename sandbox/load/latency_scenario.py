"""A latency scenario as typed values (the YAML format is read by ``scenario_loader``).

    LatencyScenario
     ├── load       journeys and their weights, the phases of the open workload (Plan),
     │              the in-flight bound and the generator's processes
     ├── steps      the chaos scenarios' steps (fault, remove, clear, wait), run on the
     │              load's clock: a fault is in place from its step until removed
     ├── expect     SLOs (sandbox.load.slo.Slo), and the knee to look for in a ramp
     └── rollback   the chaos scenarios' rollback, then every fault left is undone

Every value keeps its line, so that a problem found when it runs still names the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.chaos.scenario import Step
from sandbox.load.schedule import Plan
from sandbox.load.slo import Slo
from sandbox.load.trace_sampling import DEFAULT_TRACES_PER_S


@dataclass(frozen=True)
class LoadSpec:
    journeys: dict[str, float]  # name -> weight, in the file's order
    plan: Plan
    max_in_flight: int = 512
    processes: int = 1
    timeout_s: float = 10.0  # a journey still running this long after the plan ends: timeout
    line: int = 0
    traces_per_s: float = DEFAULT_TRACES_PER_S  # head sampling (sandbox/load/trace_sampling.py)


@dataclass(frozen=True)
class LatencyScenario:
    name: str
    path: str
    load: LoadSpec
    steps: tuple[Step, ...] = ()
    slos: tuple[Slo, ...] = ()
    knee: Slo | None = None
    rollback: tuple[Step, ...] = ()
    description: str = ""

    @property
    def slug(self) -> str:
        """The name as a file stem (reports/latency/<slug>.html)."""
        text = "".join(c if c.isalnum() else "-" for c in self.name.lower())
        return "-".join(part for part in text.split("-") if part) or "scenario"
