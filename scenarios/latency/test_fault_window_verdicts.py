"""A fault window in a latency scenario, written in Python: the same objective judged
inside the window breaks, and outside it holds.

Browses at a steady 15/s; from 12 s to 22 s the catalog's database answers 300 ms late
(every product list is a query). The product list's p50 stays well under 250 ms outside
the fault (3 s after it are still counted as inside: the backlog drains) and goes over it
inside; the verdicts name the window where each figure was found. The catalog degrades
as designed while its database is slow: some reads answer 503 problem+json (its pool is
busy), none 500, and nothing errs outside the fault.
"""

from __future__ import annotations

import pytest

from sandbox.chaos.fault_specs import link_fault
from sandbox.chaos.scenario import ClearStep, FaultStep, WaitStep
from sandbox.load import shop  # noqa: F401 - registers the shop's journeys
from sandbox.load.latency_scenario import LatencyScenario, LoadSpec
from sandbox.load.schedule import Constant, Plan
from sandbox.load.slo import Slo

pytestmark = [pytest.mark.docker, pytest.mark.latency, pytest.mark.timeout(300)]

FAULT_AT_S, FAULT_FOR_S = 12.0, 10.0


def scenario() -> LatencyScenario:
    bound_ms = 250.0
    return LatencyScenario(
        name="browse with the catalog's database 300 ms late for 10 s",
        path=__file__,
        load=LoadSpec({"browse": 1.0}, Plan(Constant(rate=15, duration_s=36))),
        steps=(WaitStep(FAULT_AT_S),
               FaultStep(link_fault("catalog->postgres", ["latency=300ms"])),
               WaitStep(FAULT_FOR_S), ClearStep()),
        slos=(Slo("p50", bound_ms, "browse", "list products", scope="outside", settle_s=3.0),
              Slo("p50", bound_ms, "browse", "list products", scope="during"),
              Slo("error_ratio", 0.01, scope="outside", settle_s=3.0)),
    )


def test_the_same_objective_holds_outside_the_fault_and_breaks_inside_it(run_latency):
    outcome = run_latency(scenario())
    [fault] = outcome.faults
    assert fault.name.startswith("catalog->postgres")
    assert abs(fault.start_s - FAULT_AT_S) < 2.0 and fault.end_s is not None
    assert abs((fault.end_s - fault.start_s) - FAULT_FOR_S) < 2.0
    outside, during, errors = outcome.verdicts
    assert outside.passed, outside.message
    assert errors.passed, errors.message
    assert not during.passed, f"the fault did not show: {during.message}"
    assert during.value is not None and during.value >= 300, during.message
    assert "during the faults" in during.message and "> 250 ms" in during.message
    assert during.start_s <= fault.start_s + 1 and during.end_s >= fault.end_s - 1
    assert [v["passed"] for v in outcome.summary["slos"]] == [True, False, True]
    assert outcome.summary["faults"][0]["name"] == fault.name
    kinds = {row["kind"] for row in outcome.summary["errors"]}
    assert kinds <= {"http 503", "http 504"}, f"errors other than a designed 503/504: {kinds}"
