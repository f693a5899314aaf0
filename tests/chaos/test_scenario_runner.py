"""The scenario runner against fakes: the steps in order, the rollback whatever happens,
and every failed expectation saying what was seen."""

from __future__ import annotations

import threading
from textwrap import dedent

import pytest

from sandbox.chaos.fault_ledger import FaultLedger
from sandbox.chaos.scenario import ScenarioError
from sandbox.chaos.scenario_loader import parse_scenario
from sandbox.chaos.scenario_runner import ScenarioRunner
from tests.chaos.chaos_fakes import FakeContainers, FakeGateway, FakeLinks

QUICK = """\
expect:
  recovery: 1s
  nothing_lost: 1s
"""


class World:
    """A scenario's fakes: proxy, containers, gateway; ``run(yaml)`` gives the report."""

    def __init__(self) -> None:
        self.links = FakeLinks()
        self.containers = FakeContainers()
        self.gateway = FakeGateway(self.links)
        self.sleep = threading.Event().wait

    def runner(self, text: str) -> ScenarioRunner:
        scenario = parse_scenario(dedent(text), "scenarios/chaos/x.yaml")
        ledger = FaultLedger(self.links, self.containers, healthy_timeout=2, poll=0.01)
        return ScenarioRunner(scenario, ledger, self.gateway, "SKU-1", sleep=self.sleep,
                              poll=0.01)  # fmt: skip

    def run(self, text: str):
        return self.runner(text).run()


@pytest.fixture
def world() -> World:
    return World()


def test_a_scenario_that_holds_leaves_nothing_in_place_and_tells_its_timeline(world):
    report = world.run("""\
        scenario: slow catalog
        steady_state:
          - order_paid_within: 1s
          - get: /v1/products
        steps:
          - traffic: 20/s
          - wait: 150ms
          - fault: monolith->catalog latency=1000ms
          - fault: {service: catalog-worker, action: pause}
          - wait: 200ms
          - remove: monolith->catalog
          - remove: catalog-worker
          - wait: 100ms
        expect:
          latency: {max: 2s}
          nothing_lost: 2s
        """)
    assert report.passed, report.describe()
    assert world.links.calls == [("add", "monolith->catalog/latency_downstream"),
                                 ("remove", "monolith->catalog/latency_downstream"), ("clear",)]
    assert world.containers.calls == ["pause catalog-worker", "unpause catalog-worker"]
    assert len(report.outcomes) >= 5 and all(o.status == 201 for o in report.outcomes)
    text = report.describe()
    for seen in ("held", "fault: monolith->catalog/latency_downstream", "removed pause",
                 "rolled back", "recovered: an order answered 201", "traffic:", "orders: "):
        assert seen in text, text
    assert report.audit is not None and report.audit.statuses["paid"] == report.audit.accepted


def test_the_rollback_runs_after_a_failing_step_and_the_later_steps_are_skipped(world):
    world.containers.failing.add("stop")
    report = world.run(dedent("""\
        scenario: s
        steps:
          - traffic: 20/s
          - fault: gateway->catalog latency=10ms
          - fault: {service: catalog, action: pause}
          - fault: {service: monolith, action: stop}
          - wait: 30s
        rollback:
          - wait: 10ms
        """) + QUICK)
    assert report.failures == [
        ("step at line 6 (fault: stop monolith): docker refused to stop monolith -- fix: try "
         "again; the later steps were skipped")
    ]
    assert world.containers.calls == ["pause catalog", "unpause catalog"]
    assert world.links.calls[-1] == ("clear",) and not world.links.in_place
    assert "rollback wait: 0.01s" in report.describe()


def test_ctrl_c_during_a_step_still_rolls_back_and_stops_the_traffic(world):
    def sleep(seconds: float) -> None:
        if seconds == 30:
            raise KeyboardInterrupt
        threading.Event().wait(seconds)

    world.sleep = sleep
    runner = world.runner("""\
        scenario: s
        steps:
          - traffic: 20/s
          - fault: gateway->catalog down
          - fault: {service: catalog, action: kill}
          - wait: 30s
        """)
    with pytest.raises(KeyboardInterrupt):
        runner.run()
    assert world.links.calls[-1] == ("clear",) and not world.links.in_place
    assert world.containers.calls == ["kill catalog", "start catalog"]
    assert world.containers.state["catalog"] == "running"
    assert not any(t.name == "traffic-ticker" for t in threading.enumerate())


def test_statuses_outside_the_expected_ones_and_bare_errors_are_reported_as_seen(world):
    report = world.run(dedent("""\
        scenario: s
        steps:
          - traffic: 20/s
          - wait: 100ms
          - fault: monolith->catalog down
          - wait: 300ms
        """) + QUICK)
    status, problem = report.failures
    assert status.startswith("status: ") and "answers outside [201]: 503 text/html x" in status
    assert "(first at +0." in status
    assert problem.startswith("problem+json: ") and "not application/problem+json: 503" in problem


def test_a_latency_bound_that_does_not_hold_says_the_value_seen(world):
    world.gateway.slow_s = 0.1
    report = world.run("""\
        scenario: s
        steps:
          - traffic: 10/s
          - fault: monolith->catalog latency=100ms
          - wait: 400ms
        expect:
          latency: {p50: 50ms}
          recovery: 1s
          nothing_lost: 1s
        """)
    [latency] = report.failures
    assert latency.startswith("latency: p50 0.1") and "> 0.05 s" in latency, latency


def test_orders_that_never_end_are_reported_lost(world):
    world.gateway.pay = False
    report = world.run("""\
        scenario: s
        steady_state:
          - get: /v1/products
        steps:
          - traffic: 10/s
          - wait: 300ms
        expect:
          nothing_lost: 200ms
        """)
    [lost] = report.failures
    assert lost.startswith("nothing lost: ") and " lost (e.g. [" in lost, lost


def test_no_recovery_within_the_bound_is_reported_with_what_answered(world):
    world.gateway.stuck = True
    report = world.run("""\
        scenario: s
        steady_state:
          - get: /v1/products
        steps:
          - traffic: 10/s
          - fault: gateway->monolith down
          - wait: 200ms
        expect:
          status: [201, 503]
          recovery: 200ms
          nothing_lost: false
        """)
    [recovery] = report.failures[:1]
    assert recovery.startswith("recovery: no 201 from POST /v1/orders within 0.2 s after the "
                               "rollback; seen 503 application/problem+json x")  # fmt: skip


def test_a_steady_state_that_does_not_hold_first_injects_nothing(world):
    world.gateway.products_status = 500
    report = world.run("""\
        scenario: s
        steady_state:
          - get: /v1/products
        steps:
          - fault: gateway->catalog down
        """)
    assert report.failures[0] == ("steady state before the steps (line 3): GET /v1/products "
                                  "answers 200 within 2 s: answered 500 after 0.00 s")
    assert "nothing was injected" in report.failures[1]
    assert world.links.calls == [] and world.containers.calls == []


def test_a_link_the_live_proxy_does_not_have_is_an_error_at_its_line(world):
    runner = world.runner("""\
        scenario: s
        steps:
          - wait: 1s
          - fault: catalog->redis latency=10ms
        """)
    with pytest.raises(ScenarioError) as caught:
        runner.run()
    assert str(caught.value).startswith("scenarios/chaos/x.yaml:4: no link named 'catalog->redis'; "
                                        "use one of: catalog->postgres, gateway->catalog")
    assert world.links.calls == []
