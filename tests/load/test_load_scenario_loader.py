"""The latency scenarios' YAML: what it reads into, and each mistake as file:line: reason."""

import doctest
import math
import re
from pathlib import Path

import pytest

from sandbox.chaos.scenario import ClearStep, FaultStep, ScenarioError, WaitStep
from sandbox.load import scenario_loader
from sandbox.load.scenario_loader import load_latency_scenario, parse_latency_scenario
from sandbox.load.schedule import Constant, Ramp, Steps

GOOD = """\
scenario: browse and order, steady
load:
  journeys: {browse: 9, order: 1}
  phases:
    - {constant: 40/s, for: 30s}
    - {ramp: 10/s, to: 80/s, for: 20s}
    - {steps: 20/s, by: 20/s, count: 5, every: 10s}
  max_in_flight: 300
  processes: 2
steps:
  - wait: 10s
  - fault: catalog->postgres latency=200ms
  - wait: 10s
  - clear
expect:
  slo:
    - {journey: browse, p99: 250ms}
    - {journey: browse, step: get product, p95: 100ms, window: 10s}
    - {journey: browse, p99: 2s, during: faults}
    - {journey: browse, p99: 250ms, outside: faults, settle: 5s}
    - {error_ratio: 1%}
    - {rate: 0.95}
  knee: {journey: browse, p99: 250ms, window: 5s}
"""


def test_a_scenario_reads_into_its_load_steps_and_objectives():
    s = parse_latency_scenario(GOOD, "s.yaml")
    assert s.name == "browse and order, steady" and s.slug == "browse-and-order-steady"
    assert s.load.journeys == {"browse": 9.0, "order": 1.0}
    assert s.load.plan.phases == (Constant(40, 30), Ramp(10, 80, 20), Steps(20, 20, 5, 10))
    assert (s.load.max_in_flight, s.load.processes, s.load.plan.duration_s) == (300, 2, 100)
    assert [type(step) for step in s.steps] == [WaitStep, FaultStep, WaitStep, ClearStep]
    p99, p95, during, outside, errors, rate = s.slos
    assert (p99.metric, p99.bound, p99.journey, p99.window_s, p99.scope) == (
        "p99", 250.0, "browse", None, "run")
    assert (p95.step, p95.window_s, p95.line) == ("get product", 10.0, 18)
    assert (during.scope, during.bound) == ("during", 2000.0)
    assert (outside.scope, outside.settle_s) == ("outside", 5.0)
    assert (errors.metric, errors.bound, errors.journey) == ("error_ratio", 0.01, None)
    assert (rate.metric, rate.bound) == ("rate", 0.95)
    assert s.knee is not None and s.knee.window_s == 5.0


def test_a_single_journey_is_the_default_of_a_latency_objective():
    s = parse_latency_scenario("scenario: s\nload:\n  journeys: {browse: 1}\n  phases:\n"
                               "    - {constant: 5/s, for: 5s}\nexpect:\n  slo:\n"
                               "    - {p99: 1s}\n", "s.yaml")
    assert s.slos[0].journey == "browse"
    assert s.load.traces_per_s == 10.0  # head sampling's default


@pytest.mark.parametrize(("traces", "per_s"), [("10/s", 10.0), ("30/min", 0.5), ("all", math.inf),
                                               ("none", 0.0)])
def test_traces_bounds_the_arrivals_traced(traces, per_s):
    s = parse_latency_scenario(GOOD.replace("  processes: 2\n", f"  processes: 2\n  traces: {traces}\n"),
                               "s.yaml")
    assert s.load.traces_per_s == per_s


@pytest.mark.parametrize(("change", "line", "reason"), [
    (("scenario: browse and order, steady\n", ""), 1, "missing key 'scenario'"),
    (("  journeys: {browse: 9, order: 1}", "  journeys: {browse: 0}"), 3,
     "the weight of browse must be more than 0"),
    (("{constant: 40/s, for: 30s}", "{constant: 40/s}"), 5, "missing 'for'"),
    (("{constant: 40/s, for: 30s}", "{constant: 40/x, for: 30s}"), 5, "'40/x' is not a rate"),
    (("{constant: 40/s, for: 30s}", "{constant: 9000/s, for: 30s}"), 5, "at most 5000/s"),
    (("{constant: 40/s, for: 30s}", "{linear: 40/s, for: 30s}"), 5, "a phase is one of"),
    (("count: 5", "count: 500"), 7, "count must be a whole number from 1 to 100"),
    (("processes: 2", "processes: 20"), 9, "processes must be a whole number from 1 to 8"),
    (("processes: 2", "processes: 2\n  traces: some"), 10, "traces (a rate, all or none)"),
    (("  - wait: 10s\n  - fault", "  - wait: 100s\n  - fault"), 11, "the steps wait 110 s"),
    (("- clear", "- clear\n  - remove: payments->broker"), 15, "remove: no earlier step"),
    (("{journey: browse, p99: 250ms}", "{journey: brows, p99: 250ms}"), 17,
     "journey 'brows' is not in load.journeys"),
    (("{journey: browse, p99: 250ms}", "{journey: browse, p99: 250ms, p95: 1s}"), 17,
     "names one metric (found p99, p95)"),
    (("{journey: browse, p99: 250ms}", "{journey: browse, p99: 250}"), 17, "has no unit"),
    (("{journey: browse, p99: 250ms}", "{p99: 250ms}"), 17, "names its journey"),
    (("{error_ratio: 1%}", "{error_ratio: 120%}"), 21, "'120%' is not a ratio"),
    (("during: faults", "during: fault"), 19, "during takes `faults`"),
    (("outside: faults, settle: 5s", "settle: 5s"), 20, "settle is the time after a fault"),
    (("{journey: browse, p99: 250ms, window: 5s}", "{journey: browse, p99: 1s, during: faults}"),
     23, "the knee is looked for over the whole run"),
    (("{journey: browse, p99: 250ms}", "{journey: browse, p99: 250ms, windw: 5s}"), 17,
     "unknown key 'windw' in an objective (did you mean 'window'?)"),
])
def test_each_mistake_names_its_line_and_the_fix(change, line, reason):
    old, new = change
    assert old in GOOD
    with pytest.raises(ScenarioError) as caught:
        parse_latency_scenario(GOOD.replace(old, new, 1), "s.yaml")
    assert str(caught.value).startswith(f"s.yaml:{line}: "), str(caught.value)
    assert reason in caught.value.reason, caught.value.reason


def test_a_file_that_cannot_be_read_or_is_not_yaml(tmp_path: Path):
    with pytest.raises(ScenarioError, match=re.escape(":1: cannot read it")):
        load_latency_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: [\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_latency_scenario(bad)


def test_the_projects_scenarios_read():
    folder = Path(__file__).resolve().parents[2] / "scenarios" / "latency"
    files = sorted(folder.glob("*.yaml"))
    assert len(files) >= 2
    for path in files:
        assert load_latency_scenario(path).slos


def test_the_modules_examples_hold():
    failed, attempted = doctest.testmod(scenario_loader)
    assert attempted > 0 and failed == 0
