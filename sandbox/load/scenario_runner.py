"""Runs a ``LatencyScenario``: the workload, its faults on the load's clock, the verdicts.

    check names   every link/service a fault names exists (else file:line: why)
    load          run_load in this thread (open loop; processes as the scenario says)
    steps         on a thread of their own, started with the load: waits, faults, removes;
                  each fault's window is measured (from applied to removed)
    rollback      ALWAYS: the rollback steps, then every fault still in place undone
    verdicts      every SLO judged (sandbox.load.slo), the knee looked for
    outputs       the sandbox.load/1 summary (JSON), the HTML report, the terminal table

>>> run = LatencyRunner(scenario, FaultLedger.for_sandbox(sb), gateway_url, shop.data_for)  # doctest: +SKIP
>>> outcome = run.run(); outcome.passed, outcome.failures                                    # doctest: +SKIP
(False, ['browse p99 212 ms > 50 ms in the window 20-30 s'])
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.chaos.fault_ledger import FaultLedger, error_text
from sandbox.chaos.scenario import ClearStep, FaultStep, RemoveStep, ScenarioError, Step, WaitStep
from sandbox.faults.links import UnknownName
from sandbox.load.engine import run_load
from sandbox.load.latency_scenario import LatencyScenario
from sandbox.load.report_html import write_report
from sandbox.load.results import LoadResult
from sandbox.load.scheduler import LoadProgress
from sandbox.load.slo import FaultWindow, Verdict, find_knee, judge
from sandbox.load.summary_table import format_table


@dataclass
class LatencyOutcome:
    """What a run measured and what it means."""

    result: LoadResult
    verdicts: list[Verdict]
    faults: list[FaultWindow]
    knee: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)  # steps or rollback that went wrong
    notes: list[str] = field(default_factory=list)  # worth knowing, not failures
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        return self.problems + [v.message for v in self.verdicts if not v.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def write(self, folder: Path, stem: str, baseline: dict[str, Any] | None = None
              ) -> tuple[Path, Path]:
        """``<stem>.json`` (the summary) and ``<stem>.html`` (the report) in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        summary_path = folder / f"{stem}.json"
        summary_path.write_text(json.dumps(self.summary, indent=2) + "\n", encoding="utf-8")
        return summary_path, write_report(self.summary, folder / f"{stem}.html", baseline)

    def table(self) -> str:
        return format_table(self.summary)


SLOW_FAULT_CALL_S = 1.0  # a fault's apply or removal slower than this is said in the outcome


class _Steps(threading.Thread):
    """The scenario's steps on the load's clock, and each fault's window on that clock.

    The load's clock is monotonic (a step of the wall clock during a run moves nothing).
    A window is the widest the fault can have been in effect: from just before its apply
    was sent until its removal returned, so that "outside the faults" never holds a
    moment of a fault. An apply or a removal slower than ``SLOW_FAULT_CALL_S`` is said.
    """

    def __init__(self, steps: tuple[Step, ...], ledger: FaultLedger,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(name="latency-steps", daemon=True)
        self.steps, self.ledger, self.clock = steps, ledger, clock
        self.begin = threading.Event()  # the load has started (its first progress)
        self.origin: float | None = None  # the load's t0 on ``clock``
        self.stop = threading.Event()   # the load has ended: the waits end too
        self.open: dict[str, tuple[str, float]] = {}  # fault id -> (name, applied from)
        self.windows: list[tuple[str, float, float | None]] = []  # seconds into the load
        self.problems: list[str] = []
        self.notes: list[str] = []

    def started(self, elapsed_s: float) -> None:
        """The load's first progress: it is ``elapsed_s`` into its run."""
        if self.origin is None:
            self.origin = self.clock() - elapsed_s
        self.begin.set()

    def now(self) -> float:
        """Seconds into the load (0 before it began)."""
        return 0.0 if self.origin is None else self.clock() - self.origin

    def _timed(self, what: str, call: Callable[[], Any]) -> Any:
        before = self.clock()
        try:
            return call()
        finally:
            took = self.clock() - before
            if took > SLOW_FAULT_CALL_S:
                self.notes.append(f"{what} took {took:.1f} s (the window covers all of it)")

    def close(self, ids: list[str] | None = None) -> None:
        now = self.now()
        for fault_id in list(self.open) if ids is None else ids:
            if fault_id in self.open:
                name, start = self.open.pop(fault_id)
                self.windows.append((name, start, now))

    def do(self, step: Step, wait: Callable[[float], Any]) -> list[str]:
        """One step (a wait through ``wait``); the problems a clear met."""
        if isinstance(step, WaitStep):
            wait(step.seconds)
        elif isinstance(step, FaultStep):
            start = self.now()
            fault_id = self._timed(step.describe(), lambda: self.ledger.apply(step.spec))
            self.open[fault_id] = (step.describe().removeprefix("fault: "), start)
        elif isinstance(step, RemoveStep):
            self.close(self._timed(step.describe(), lambda: self.ledger.remove(step.target)))
        else:
            assert isinstance(step, ClearStep)
            problems = self._timed(step.describe(), self.ledger.undo_all)
            self.close()
            return problems
        return []

    def run(self) -> None:
        self.begin.wait()

        def wait(seconds: float) -> None:  # until ``seconds`` more of the load's script
            nonlocal due
            due += seconds
            self.stop.wait(max(0.0, due - self.now()))

        due = 0.0  # where the script is on the load's clock
        for step in self.steps:
            if self.stop.is_set():
                return
            try:
                self.problems += self.do(step, wait)
            except Exception as exc:  # noqa: BLE001 - said in the outcome, then rolled back
                self.problems.append(f"step at line {step.line} ({step.describe()}): "
                                     f"{error_text(exc)}; the later steps were skipped")
                return


class LatencyRunner:
    def __init__(self, scenario: LatencyScenario, ledger: FaultLedger, base_url: str,
                 data: Callable[[int], dict[str, Any]] | None = None,
                 progress: Callable[[LoadProgress], None] | None = None,
                 transport: Any = None) -> None:
        self.scenario, self.ledger, self.base_url = scenario, ledger, base_url
        self.data, self.progress = data, progress
        self.transport = transport  # httpx.MockTransport in the unit tests, else the network

    def check_names(self) -> None:
        for step in self.scenario.steps:
            if isinstance(step, FaultStep):
                try:
                    self.ledger.check(step.spec)
                except UnknownName as exc:
                    raise ScenarioError(self.scenario.path, step.line,
                                        f"{exc.cause}; {exc.fix}") from None

    def run(self) -> LatencyOutcome:
        self.check_names()
        scenario, load = self.scenario, self.scenario.load
        steps = _Steps(scenario.steps, self.ledger)
        steps.start()

        def on_progress(snapshot: LoadProgress) -> None:
            if not steps.begin.is_set():
                steps.started(snapshot.elapsed_s)
            if self.progress is not None:
                self.progress(snapshot)

        try:
            result = run_load(load.plan, load.journeys, base_url=self.base_url,
                              max_in_flight=load.max_in_flight, processes=load.processes,
                              timeout_s=load.timeout_s, data=self.data, progress=on_progress,
                              transport=self.transport, traces_per_s=load.traces_per_s)
        finally:
            steps.stop.set()
            steps.begin.set()
            steps.join(timeout=60)
            problems = list(steps.problems) + self.rollback(steps)
        return self.judge(result, steps.windows, problems, steps.notes)

    def rollback(self, steps: _Steps) -> list[str]:
        problems: list[str] = []
        try:
            for step in self.scenario.rollback:
                try:
                    problems += steps.do(step, threading.Event().wait)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"rollback at line {step.line} ({step.describe()}): "
                                    f"{error_text(exc)}")
        finally:
            problems += [f"rollback: {p}" for p in self.ledger.undo_all()]
            steps.close()
        return problems

    def judge(self, result: LoadResult, windows: list[tuple[str, float, float | None]],
              problems: list[str], notes: list[str] | None = None) -> LatencyOutcome:
        """The verdicts; ``windows`` are (name, start, end) in seconds into the load."""
        end = result.duration_s
        faults = [FaultWindow(name, max(0.0, start),
                              None if stop is None or stop >= end else stop)
                  for name, start, stop in windows if start < end]
        verdicts = judge(result, self.scenario.slos, faults)
        knee = find_knee(result, self.scenario.knee) if self.scenario.knee else None
        outcome = LatencyOutcome(result, verdicts, faults, knee, problems, list(notes or []))
        outcome.summary = result.summary(scenario=self.scenario.name, faults=faults,
                                         slos=[v.as_summary() for v in verdicts], knee=knee,
                                         notes=outcome.notes)
        return outcome
