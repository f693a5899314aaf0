"""Runs a ``Scenario`` against a running sandbox, through the gateway, as a client would.

    check names      every link/service the scenario names exists (else file:line: why)
    steady state     the probes hold before anything is injected (else stop here)
    steps            in order; traffic runs in the background until the steps end
    rollback         ALWAYS (after a failed step, a failed check, Ctrl-C): the rollback
                     steps, then every fault still in place undone (FaultLedger.undo_all)
    recovery         an order answers 201 again within expect.recovery
    steady state     the probes hold again
    expectations     statuses, problem+json, deadlines, latency bounds, nothing lost

The report lists every failure, one line each, saying what was seen.

>>> report = ScenarioRunner(scenario, FaultLedger.for_sandbox(sb), client, sku).run()  # doctest: +SKIP
>>> report.failures                                                                   # doctest: +SKIP
['status: 3 of 52 answers outside [201]: 503 application/problem+json x3 (first at +4.1 s)']
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.chaos.fault_ledger import FaultLedger, error_text
from sandbox.chaos.order_flow import Audit, GatewayHttp, accepted_orders, audit_orders, order_sender
from sandbox.chaos.scenario import (
    ClearStep,
    FaultStep,
    GetProbe,
    OrderPaidProbe,
    Probe,
    RemoveStep,
    Scenario,
    ScenarioError,
    Step,
    TrafficStep,
    WaitStep,
)
from sandbox.chaos.scenario_checks import judge_traffic, seen, traffic_summary
from sandbox.chaos.traffic import Outcome, SteadyTraffic
from sandbox.faults.links import UnknownName

ORDER_DEADLINE_S = 10.0  # a probe's or a recovery attempt's POST /v1/orders


@dataclass
class ScenarioReport:
    """What happened: ``failures`` (empty: the scenario held) and a timeline."""

    name: str
    failures: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    audit: Audit | None = None
    recovered_in: float | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    def describe(self) -> str:
        lines = [f"scenario {self.name!r}: " + ("held" if self.passed else
                                                f"{len(self.failures)} failed")]  # fmt: skip
        lines += [f"  FAILED {f}" for f in self.failures]
        lines += [f"  {t}" for t in self.timeline]
        return "\n".join(lines)


class StepFailed(Exception):
    pass


class ScenarioRunner:
    """Runs one scenario with ``ledger`` (faults), ``client`` (the gateway, enrolled) and
    ``sku`` (a product with stock enough for the traffic)."""

    def __init__(
        self,
        scenario: Scenario,
        ledger: FaultLedger,
        client: GatewayHttp,
        sku: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] | None = None,
        poll: float = 0.5,
    ) -> None:
        self.scenario = scenario
        self.ledger = ledger
        self.client = client
        self.sku = sku
        self.clock = clock
        self.sleep = sleep or threading.Event().wait
        self.poll = poll
        self._traffic: SteadyTraffic | None = None
        self._orders: list[str] = []  # placed by probes and recovery (traffic's come apart)
        self._t0 = 0.0

    def run(self) -> ScenarioReport:
        report = ScenarioReport(self.scenario.name)
        self.check_names()
        self._t0 = self.clock()
        before = self.probe_all("before the steps")
        if before:
            report.failures += before
            report.failures.append("steady state: not held before the steps, so nothing was "
                                   "injected; fix the sandbox first (`sandbox status`)")  # fmt: skip
            return report
        count = len(self.scenario.steady_state)
        self.note(report, f"steady state held before the steps ({count} "
                          f"probe{'s' if count != 1 else ''})")  # fmt: skip
        try:
            try:
                self.run_steps(report)
            finally:
                if self._traffic is not None:
                    report.outcomes = self._traffic.stop()
        finally:
            self.rollback(report)
        self.recover(report)
        report.failures += self.probe_all("after the rollback")
        self.judge(report)
        return report

    def note(self, report: ScenarioReport, text: str, at: float | None = None) -> None:
        """A timeline entry, stamped ``at`` (clock time; default now) from the start."""
        at = self.clock() if at is None else at
        report.timeline.append(f"+{at - self._t0:5.1f} s  {text}")

    # --- before anything runs ------------------------------------------------------

    def check_names(self) -> None:
        """Every link, service and network named exists in the live sandbox."""
        for line, kind, name in self.scenario.named():
            try:
                self.ledger.check_name(kind, name)
            except UnknownName as exc:
                raise ScenarioError(self.scenario.path, line, f"{exc.cause}; {exc.fix}") from None

    # --- probes --------------------------------------------------------------------

    def probe_all(self, when: str) -> list[str]:
        failures = []
        for probe in self.scenario.steady_state:
            problem = self.probe(probe)
            if problem:
                failures.append(f"steady state {when} (line {probe.line}): "
                                f"{probe.describe()}: {problem}")  # fmt: skip
        return failures

    def probe(self, probe: Probe) -> str | None:
        """None when the probe holds, else what was seen."""
        if isinstance(probe, GetProbe):
            started = self.clock()
            try:
                response = self.client.get(probe.path, timeout=probe.within)
            except Exception as exc:  # noqa: BLE001 - no answer is what was seen
                return f"no answer after {self.clock() - started:.2f} s ({error_text(exc)})"
            took = self.clock() - started
            if response.status_code != probe.status or took > probe.within:
                return f"answered {response.status_code} after {took:.2f} s"
            return None
        assert isinstance(probe, OrderPaidProbe)
        started = self.clock()
        outcome = self.place_order()
        if outcome.status != 201:
            return f"POST /v1/orders answered {outcome.describe()}"
        [order_id] = accepted_orders([outcome])
        left = max(0.0, probe.within - (self.clock() - started))
        audit = audit_orders(self.client, [order_id], timeout=left, interval=self.poll,
                             clock=self.clock)  # fmt: skip
        if audit.statuses != {"paid": 1} or not audit.clean:
            return f"order {order_id}: {audit.describe()}"
        return None

    def place_order(self) -> Outcome:
        send = order_sender(self.client, self.sku, ORDER_DEADLINE_S)
        started = self.clock()
        try:
            status, content_type, body = send()
        except Exception as exc:  # noqa: BLE001
            return Outcome(started, self.clock() - started, None, error=error_text(exc))
        outcome = Outcome(started, self.clock() - started, status, content_type, body=body)
        self._orders += accepted_orders([outcome])
        return outcome

    # --- steps and rollback --------------------------------------------------------

    def run_steps(self, report: ScenarioReport) -> None:
        for step in self.scenario.steps:
            try:
                self.do(step, report, rollback=False)
            except StepFailed as exc:
                report.failures.append(f"step at line {step.line} ({step.describe()}): {exc}; "
                                       "the later steps were skipped")  # fmt: skip
                return

    def do(self, step: Step, report: ScenarioReport, rollback: bool) -> None:
        at = self.clock()
        try:
            if isinstance(step, TrafficStep):
                send = order_sender(self.client, self.sku, step.deadline)
                self._traffic = SteadyTraffic(send, step.rate, step.deadline, clock=self.clock)
                self._traffic.start()
                done = step.describe()
            elif isinstance(step, FaultStep):
                done = f"fault: {self.ledger.apply(step.spec)}"
            elif isinstance(step, RemoveStep):
                if rollback and not any(step.target in (a.spec.target, a.fault_id)
                                        for a in self.ledger.in_place):  # fmt: skip
                    done = f"remove: {step.target} (already gone)"
                else:
                    done = f"removed {', '.join(self.ledger.remove(step.target))}"
            elif isinstance(step, ClearStep):
                problems = self.ledger.undo_all()
                if problems:
                    raise StepFailed("; ".join(problems))
                done = "clear: every fault removed"
            else:
                assert isinstance(step, WaitStep)
                self.sleep(step.seconds)
                done = step.describe()
        except StepFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - the step failed: say why, roll back
            raise StepFailed(error_text(exc)) from None
        self.note(report, ("rollback " if rollback else "") + done, at)

    def rollback(self, report: ScenarioReport) -> None:
        """The rollback steps, then everything still in place undone, whatever happens."""
        try:
            for step in self.scenario.rollback:
                try:
                    self.do(step, report, rollback=True)
                except StepFailed as exc:
                    report.failures.append(f"rollback at line {step.line} "
                                           f"({step.describe()}): {exc}")  # fmt: skip
        finally:
            problems = self.ledger.undo_all()
            report.failures += [f"rollback: {p}" for p in problems]
            self.note(report, "rolled back: every link cleared"
                      + (f" ({len(problems)} problems)" if problems else ""))  # fmt: skip

    # --- after ---------------------------------------------------------------------

    def recover(self, report: ScenarioReport) -> None:
        """An order answers 201 within ``expect.recovery`` after the rollback."""
        limit = self.scenario.expect.recovery
        started = self.clock()
        tries: list[Outcome] = []
        while True:
            tries.append(self.place_order())
            if tries[-1].status == 201:
                report.recovered_in = self.clock() - started
                self.note(report, f"recovered: an order answered 201 "
                                  f"{report.recovered_in:.1f} s after the rollback")  # fmt: skip
                return
            if self.clock() - started >= limit:
                report.failures.append(
                    f"recovery: no 201 from POST /v1/orders within {limit:g} s after the "
                    f"rollback; seen {seen(tries, started)}"
                )
                return
            self.sleep(self.poll)

    def judge(self, report: ScenarioReport) -> None:
        expect, traffic = self.scenario.expect, self.scenario.traffic
        if traffic is not None:
            since = report.outcomes[0].started if report.outcomes else self._t0
            report.timeline.append(f"traffic: {traffic_summary(report.outcomes, since)}")
            refused = self._traffic.refused if self._traffic is not None else 0
            report.failures += judge_traffic(report.outcomes, traffic.deadline, expect, since,
                                             refused)  # fmt: skip
        if expect.nothing_lost is not None:
            orders = accepted_orders(report.outcomes) + self._orders
            audit = audit_orders(self.client, orders, timeout=expect.nothing_lost,
                                 interval=self.poll, clock=self.clock)  # fmt: skip
            report.audit = audit
            report.timeline.append(f"orders: {audit.describe()}")
            if not audit.clean:
                report.failures.append(f"nothing lost: {audit.describe()}")
