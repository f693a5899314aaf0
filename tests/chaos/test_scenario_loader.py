"""YAML scenarios: a well-formed file becomes the model with its defaults; a malformed
one is one error naming the file, the line and the reason (with the fix)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from sandbox.chaos.fault_specs import ContainerFaultSpec, LinkFaultSpec
from sandbox.chaos.scenario import (
    ClearStep,
    FaultStep,
    GetProbe,
    LatencyBound,
    OrderPaidProbe,
    RemoveStep,
    ScenarioError,
    TrafficStep,
    WaitStep,
)
from sandbox.chaos.scenario_loader import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
NOT_SCENARIOS = {"matrix.yaml"}

FULL = """\
scenario: the catalog answers slowly
description: orders still 201
steady_state:
  - order_paid_within: 30s
  - get: /v1/products
    status: 200
    within: 1500ms
steps:
  - traffic: {rate: 4/s, deadline: 5s}
  - wait: 3s
  - fault: monolith->catalog latency=1000ms jitter=100ms
  - fault: {link: catalog->postgres, fault: timeout=2s, stream: upstream, toxicity: 0.5}
  - fault: {service: catalog-worker, action: pause}
  - remove: monolith->catalog
  - remove: catalog-worker
  - clear
expect:
  status: [201, 503]
  latency: {p99: 3s, max: 9s}
  recovery: 20s
  nothing_lost: 2m
rollback:
  - wait: 1s
  - fault: {service: catalog, action: restart}
"""


def parse(text: str):
    return parse_scenario(dedent(text), "chaos/x.yaml")


def test_a_full_scenario_becomes_the_model_line_by_line():
    s = parse_scenario(FULL, "chaos/x.yaml")
    assert (s.name, s.description, s.path) == ("the catalog answers slowly", "orders still 201",
                                               "chaos/x.yaml")  # fmt: skip
    assert s.steady_state == (OrderPaidProbe(30.0, 4), GetProbe("/v1/products", 200, 1.5, 5))
    traffic, wait, slow, timeout, pause, remove, remove_pause, clear = s.steps
    assert traffic == TrafficStep(4.0, 5.0, 9) and wait == WaitStep(3.0, 10)
    assert isinstance(slow.spec, LinkFaultSpec) and slow.line == 11
    assert (slow.spec.link, slow.spec.fault.attributes) == ("monolith->catalog",
                                                             {"latency": 1000, "jitter": 100})  # fmt: skip
    assert (timeout.spec.stream, timeout.spec.toxicity) == ("upstream", 0.5)
    assert pause == FaultStep(ContainerFaultSpec("catalog-worker", "pause"), 13)
    assert remove == RemoveStep("monolith->catalog", 14) and remove_pause.target == "catalog-worker"
    assert clear == ClearStep(16)
    assert s.expect.statuses == (201, 503)
    assert s.expect.latency == (LatencyBound("p99", 3.0), LatencyBound("max", 9.0))
    assert (s.expect.recovery, s.expect.nothing_lost) == (20.0, 120.0)
    assert s.rollback[0] == WaitStep(1.0, 23) and s.rollback[1].spec.action == "restart"
    assert s.traffic is traffic


def test_only_a_name_and_steps_are_needed_the_rest_has_defaults():
    s = parse("""\
        scenario: minimal
        steps:
          - traffic: 2/s
          - wait: 1s
        """)
    assert s.steady_state == (OrderPaidProbe(30.0),)
    assert s.steps[0] == TrafficStep(2.0, 10.0, 3)
    assert (s.expect.statuses, s.expect.latency, s.expect.recovery, s.expect.nothing_lost) == (
        (201,), (), 30.0, 60.0)
    assert s.rollback == ()


def test_rates_durations_and_switching_the_audit_off():
    s = parse("""\
        scenario: s
        steps:
          - traffic: 30/min
          - wait: 0.5s
        expect: {nothing_lost: false}
        """)
    assert s.steps[0].rate == 0.5 and s.steps[1].seconds == 0.5
    assert s.expect.nothing_lost is None


def test_scenario_names_every_link_service_and_network_it_uses_with_lines():
    s = parse("""\
        scenario: s
        steps:
          - fault: gateway->catalog down
          - fault: {service: postgres, action: partition, network: public}
          - remove: gateway->catalog/down
          - remove: postgres
        """)
    assert s.named() == [(3, "link", "gateway->catalog"), (4, "service", "postgres"),
                         (4, "network", "public"), (5, "link", "gateway->catalog"),
                         (6, "service", "postgres")]  # fmt: skip


MALFORMED = [
    # (the file, the line, a piece of the reason)
    ("scenario: s\nsteps: [{wait: 1s}]\nexpext: {}\n", 3,
     "unknown key 'expext' in the scenario (did you mean 'expect'?)"),
    ("scenario: s\n", 1, "missing key 'steps'"),
    ("", 1, "the file is empty"),
    ("- just\n- a list\n", 1, "a scenario is a mapping"),
    ("scenario: s\nsteps:\n  - wait: 5\n", 3, "wait: 5 has no unit; write e.g. 5s or 5ms"),
    ("scenario: s\nsteps:\n  - wait: soon\n", 3, "'soon' is not a duration"),
    ("scenario: s\nsteps:\n  - wait: 0s\n", 3, "out of range"),
    ("scenario: s\nsteps:\n  - traffic: 4\n", 3, "4 is not a rate; write e.g. 4/s"),
    ("scenario: s\nsteps:\n  - traffic: 500/s\n", 3, "at most 20/s"),
    ("scenario: s\nsteps:\n  - traffic: {rate: 4/s, deadline: 2h}\n", 3, "not a duration"),
    ("scenario: s\nsteps:\n  - wait: 1s\n  - fault: catalog->postgres lag=3ms\n", 4,
     "unknown fault 'lag=3ms'"),
    ("scenario: s\nsteps:\n  - fault: catalog->postgres latency=3ms jiter=1ms\n", 3,
     "latency takes no attribute 'jiter'; use jitter"),
    ("scenario: s\nsteps:\n  - fault: catalog latency=3ms\n", 3, "'catalog' is not a link"),
    ("scenario: s\nsteps:\n  - fault: {link: Catalog->x, fault: down}\n", 3,
     "'Catalog->x' is not a link name"),
    ("scenario: s\nsteps:\n  - fault: {service: catalog, action: explode}\n", 3,
     "unknown container action 'explode'"),
    ("scenario: s\nsteps:\n  - fault: {service: catalog}\n", 3, "needs an action"),
    ("scenario: s\nsteps:\n  - fault: {link: a->b, fault: down, stream: sideways}\n", 3,
     "unknown stream 'sideways'"),
    ("scenario: s\nsteps:\n  - fault: {link: a->b, fault: down, toxicity: 2}\n", 3,
     "toxicity 2 is not between 0 and 1"),
    ("scenario: s\nsteps:\n  - fault: a->b latency=1ms\n  - fault: a->b latency=2ms\n", 4,
     "a->b already has a latency fault on downstream (line 3)"),
    ("scenario: s\nsteps:\n  - wait: 1s\n  - remove: a->b\n", 4,
     "no earlier step put a fault on 'a->b'"),
    ("scenario: s\nsteps:\n  - fault: a->b down\n  - clear\n  - remove: a->b\n", 5,
     "no earlier step put a fault on 'a->b'"),
    ("scenario: s\nsteps:\n  - traffic: 1/s\n  - traffic: 2/s\n", 4, "a second traffic step"),
    ("scenario: s\nsteps:\n  - wait: 1s\n    fault: a->b down\n", 3,
     "has exactly one of traffic, fault, remove, clear, wait (found wait, fault)"),
    ("scenario: s\nsteps:\n  - sleep: 1s\n", 3, "unknown step 'sleep'"),
    ("scenario: s\nsteps:\n  - clear: all\n", 3, "write `- clear`"),
    ("scenario: s\nsteps: []\n", 2, "steps must be a non-empty list"),
    ("scenario: s\nsteps:\n  - wait: 1s\nexpect:\n  status: [201]\n", 5,
     "expect.status judges the traffic, and no step starts any"),
    ("scenario: s\nsteps:\n  - traffic: 1/s\nexpect:\n  status: [2001]\n", 5,
     "2001 is not an HTTP status"),
    ("scenario: s\nsteps:\n  - traffic: 1/s\nexpect:\n  latency: {p42: 1s}\n", 5,
     "unknown key 'p42' in expect.latency"),
    ("scenario: s\nsteps:\n  - wait: 1s\nrollback:\n  - fault: a->b down\n", 5,
     "a rollback adds no link fault"),
    ("scenario: s\nsteps:\n  - wait: 1s\nrollback:\n  - traffic: 1/s\n", 5,
     "a rollback adds no traffic"),
    ("scenario: s\nsteady_state:\n  - get: v1/products\nsteps: [{wait: 1s}]\n", 3,
     "must be a path on the gateway"),
    ("scenario: s\nsteady_state:\n  - order_paid: 30s\nsteps: [{wait: 1s}]\n", 3,
     "unknown key 'order_paid' in a probe"),
    ("scenario: s\nscenario: t\nsteps: [{wait: 1s}]\n", 2, "'scenario' appears twice"),
    ("scenario: s\nsteps:\n  - wait: [1s\n", 4, "not valid YAML"),
    ("scenario: s\nsteps:\n\t- wait: 1s\n", 3, "not valid YAML"),
]


@pytest.mark.parametrize("text, line, reason", MALFORMED)
def test_a_malformed_scenario_names_the_file_the_line_and_the_reason(text, line, reason):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "scenarios/chaos/x.yaml")
    error = caught.value
    assert (error.path, error.line) == ("scenarios/chaos/x.yaml", line), str(error)
    assert reason in error.reason
    assert str(error).startswith(f"scenarios/chaos/x.yaml:{line}: ")
    assert "\n" not in str(error)


def test_an_unreadable_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(ScenarioError, match=r"missing\.yaml:1: cannot read it"):
        load_scenario(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "scenarios" / "chaos").glob("*.yaml") if p.name not in NOT_SCENARIOS),
    ids=lambda p: p.name,
)
def test_every_scenario_of_the_repository_loads(path):
    scenario = load_scenario(path)
    assert scenario.steps and scenario.name
