"""YAML latency scenarios → ``LatencyScenario``, every problem reported as ``file:line: reason``.

The chaos scenarios' language (sandbox/chaos/scenario_loader.py) with a workload: the same
`scenario`, `description`, `steps` (fault, remove, clear, wait: on the load's clock) and
`rollback`; `load` says what to send; `expect.slo` what it must keep::

    scenario: browse and order, steady              # the test's name
    load:
      journeys: {browse: 9, order: 1}               # registered journeys and their weights
      phases:                                       # one after another, an open workload
        - {constant: 40/s, for: 30s}
        - {ramp: 10/s, to: 80/s, for: 20s}
        - {steps: 20/s, by: 20/s, count: 5, every: 10s}   # 20, 40, ... 100/s
      max_in_flight: 512                            # more at once: the arrival is dropped
      processes: 1                                  # generator processes
      traces: 10/s                                  # arrivals traced, at most (or all, none)
    steps:                                          # optional: faults at given times
      - wait: 10s
      - fault: catalog->postgres latency=200ms
      - wait: 10s
      - clear
    expect:
      slo:                                          # every objective must hold
        - {journey: browse, p99: 250ms}             # over the whole run
        - {journey: browse, step: get product, p95: 100ms, window: 10s}   # sliding windows
        - {journey: browse, p99: 2s, during: faults}                     # windows a fault overlaps
        - {journey: browse, p99: 250ms, outside: faults, settle: 5s}     # the others
        - {error_ratio: 1%}                         # errors / finished, all journeys (or one)
        - {rate: 95%}                               # achieved / target arrivals, at least
      knee: {journey: browse, p99: 250ms, window: 5s}   # report the rate where it breaks

>>> parse_latency_scenario("scenario: s\\nload:\\n  journeys: {browse: 1}\\n"
...                        "  phases:\\n    - {constant: 5/s, for: 1x}\\n", "s.yaml")
Traceback (most recent call last):
  ...
sandbox.chaos.scenario.ScenarioError: s.yaml:5: for: '1x' is not a duration; write e.g. 5s or 500ms
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from sandbox.chaos.scenario_loader import (
    ROLLBACK_KINDS,
    ScenarioReader,
    compose_yaml,
    read_text,
)
from sandbox.load.latency_scenario import LatencyScenario, LoadSpec
from sandbox.load.schedule import Constant, Phase, Plan, Ramp, Steps
from sandbox.load.slo import LATENCY_METRICS, Slo
from sandbox.load.trace_sampling import DEFAULT_TRACES_PER_S

TOP_KEYS = ("scenario", "description", "load", "steps", "expect", "rollback")
LOAD_KEYS = ("journeys", "phases", "max_in_flight", "processes", "timeout", "traces")
STEP_KINDS = ("fault", "remove", "clear", "wait")
SLO_KEYS = ("journey", "step", *LATENCY_METRICS, "error_ratio", "rate", "window", "during",
            "outside", "settle")
MAX_LOAD_RATE = 5000.0  # per second: the generator's rates stay bounded
MAX_RUN_S = 600.0  # a workload lasts at most 10 minutes (the clients' tokens last 15)
MAX_PROCESSES = 8
RATIO_RE = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def load_latency_scenario(path: str | Path) -> LatencyScenario:
    """Read and check the latency scenario at ``path`` (``ScenarioError`` if malformed)."""
    return parse_latency_scenario(read_text(path), str(path))


def parse_latency_scenario(text: str, path: str) -> LatencyScenario:
    """The latency scenario in ``text`` (YAML); ``path`` names it in errors."""
    return LatencyReader(path).latency_scenario(compose_yaml(text, path))


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class LatencyReader(ScenarioReader):
    """The chaos reader, with a workload and objectives."""

    max_rate = MAX_LOAD_RATE

    def latency_scenario(self, root: Node) -> LatencyScenario:
        if not isinstance(root, MappingNode):
            self.fail(root, "a latency scenario is a mapping with keys scenario, load, ...; "
                      "see docs/latency.md")  # fmt: skip
        top = self.mapping(root, "the scenario", TOP_KEYS)
        for required in ("scenario", "load"):
            if required not in top:
                self.fail(root, f"missing key {required!r}; every latency scenario has "
                          "`scenario:` (its name) and `load:`")  # fmt: skip
        name = self.text(top["scenario"], "scenario", "browse and order, steady")
        description = self.text(top["description"], "description", "what it shows") \
            if "description" in top else ""  # fmt: skip
        load = self.load(top["load"])
        steps = self.steps(top["steps"], "steps", STEP_KINDS) if "steps" in top else ()
        self.check_in_place(steps)
        waited = sum(getattr(step, "seconds", 0.0) for step in steps)
        if waited > load.plan.duration_s:
            self.fail(top["steps"], f"the steps wait {waited:g} s, longer than the load "
                      f"({load.plan.duration_s:g} s); shorten the waits or the steps")  # fmt: skip
        rollback = self.steps(top["rollback"], "rollback", ROLLBACK_KINDS) \
            if "rollback" in top else ()  # fmt: skip
        slos: tuple[Slo, ...] = ()
        knee = None
        if "expect" in top:
            slos, knee = self.expectations(top["expect"], load)
        return LatencyScenario(name, self.path, load, steps, slos, knee, rollback, description)

    # --- load --------------------------------------------------------------------------

    def load(self, node: Node) -> LoadSpec:
        keys = self.mapping(node, "load", LOAD_KEYS)
        for required in ("journeys", "phases"):
            if required not in keys:
                self.fail(node, f"load needs {required}; write e.g. journeys: {{browse: 9, "
                          "order: 1}} and phases: [{constant: 20/s, for: 30s}]")  # fmt: skip
        journeys = self.journeys(keys["journeys"])
        phases = [self.phase(item) for item in
                  self.sequence(keys["phases"], "phases", "- {constant: 20/s, for: 30s}")]
        plan = Plan(*phases)
        if plan.duration_s > MAX_RUN_S:
            self.fail(keys["phases"], f"the phases last {plan.duration_s:g} s; keep a scenario "
                      f"within {MAX_RUN_S:g} s")  # fmt: skip
        in_flight = self.count(keys["max_in_flight"], "max_in_flight", 1, 10000) \
            if "max_in_flight" in keys else 512  # fmt: skip
        processes = self.count(keys["processes"], "processes", 1, MAX_PROCESSES) \
            if "processes" in keys else 1  # fmt: skip
        timeout = self.duration(keys["timeout"], "timeout", 120.0) if "timeout" in keys else 10.0
        traces = self.traces(keys["traces"]) if "traces" in keys else DEFAULT_TRACES_PER_S
        return LoadSpec(journeys, plan, in_flight, processes, timeout, _line(node), traces)

    def traces(self, node: Node) -> float:
        """``traces: 10/s`` (head sampling, at most that many arrivals a second), ``all`` or
        ``none``."""
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if value == "all":
            return math.inf
        if value == "none":
            return 0.0
        return self.rate(node, "traces (a rate, all or none)")

    def journeys(self, node: Node) -> dict[str, float]:
        if not isinstance(node, MappingNode) or not node.value:
            self.fail(node, "journeys must map each journey to its weight; write e.g. "
                      "{browse: 9, order: 1}")  # fmt: skip
        weights: dict[str, float] = {}
        for key_node, value_node in node.value:
            name = self.text(key_node, "a journey", "browse")
            if name in weights:
                self.fail(key_node, f"the journey {name!r} appears twice; keep one")
            weight = self.number(value_node, f"the weight of {name}", "9")
            if weight <= 0:
                self.fail(value_node, f"the weight of {name} must be more than 0")
            weights[name] = weight
        return weights

    def count(self, node: Node, what: str, low: int, high: int) -> int:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(node, f"{what} must be a whole number from {low} to {high}")
        return value

    def phase(self, node: Node) -> Phase:
        kinds = ("constant", "ramp", "steps")
        if not isinstance(node, MappingNode):
            self.fail(node, "a phase is a mapping; write e.g. {constant: 20/s, for: 30s}")
        names = [self.value(k) for k, _ in node.value]
        kind = next((n for n in names if n in kinds), None)
        if kind == "constant":
            keys = self.mapping(node, "a constant phase", ("constant", "for"))
            self.need(node, keys, "for", "{constant: 20/s, for: 30s}")
            return Constant(self.rate(keys["constant"], "constant"),
                            self.duration(keys["for"], "for", MAX_RUN_S))
        if kind == "ramp":
            keys = self.mapping(node, "a ramp", ("ramp", "to", "for"))
            for key in ("to", "for"):
                self.need(node, keys, key, "{ramp: 10/s, to: 80/s, for: 20s}")
            return Ramp(self.rate(keys["ramp"], "ramp"), self.rate(keys["to"], "to"),
                        self.duration(keys["for"], "for", MAX_RUN_S))
        if kind == "steps":
            keys = self.mapping(node, "a staircase", ("steps", "by", "count", "every"))
            for key in ("by", "count", "every"):
                self.need(node, keys, key, "{steps: 20/s, by: 20/s, count: 5, every: 10s}")
            start, by = self.rate(keys["steps"], "steps"), self.rate(keys["by"], "by")
            count = self.count(keys["count"], "count", 1, 100)
            if start + by * (count - 1) > self.max_rate:
                self.fail(node, f"the staircase climbs to {start + by * (count - 1):g}/s; keep "
                          f"it at most {self.max_rate:g}/s")  # fmt: skip
            return Steps(start, by, count, self.duration(keys["every"], "every", MAX_RUN_S))
        self.fail(node, f"a phase is one of {', '.join(kinds)} (found {', '.join(map(str, names))}); "
                  "write e.g. {constant: 20/s, for: 30s}")  # fmt: skip

    def need(self, node: Node, keys: dict[str, Node], key: str, example: str) -> None:
        if key not in keys:
            self.fail(node, f"missing {key!r}; write e.g. {example}")

    # --- expectations ------------------------------------------------------------------

    def expectations(self, node: Node, load: LoadSpec) -> tuple[tuple[Slo, ...], Slo | None]:
        keys = self.mapping(node, "expect", ("slo", "knee"))
        slos = tuple(self.slo(item, load, knee=False) for item in
                     self.sequence(keys["slo"], "expect.slo", "- {journey: browse, p99: 250ms}")
                     ) if "slo" in keys else ()  # fmt: skip
        knee = self.slo(keys["knee"], load, knee=True) if "knee" in keys else None
        return slos, knee

    def slo(self, node: Node, load: LoadSpec, knee: bool) -> Slo:
        what = "expect.knee" if knee else "an objective"
        keys = self.mapping(node, what, SLO_KEYS)
        metrics = [k for k in keys if k in (*LATENCY_METRICS, "error_ratio", "rate")]
        if len(metrics) != 1:
            self.fail(node, f"{what} names one metric (found {', '.join(metrics) or 'none'}); "
                      "write e.g. {journey: browse, p99: 250ms} or {error_ratio: 1%}")  # fmt: skip
        metric = metrics[0]
        journey = self.text(keys["journey"], "journey", "browse") if "journey" in keys else None
        if journey is not None and journey not in load.journeys:
            self.fail(keys["journey"], f"journey {journey!r} is not in load.journeys "
                      f"({', '.join(load.journeys)}); name one of them")  # fmt: skip
        if journey is None and metric in LATENCY_METRICS:
            if len(load.journeys) != 1:
                self.fail(node, f"a {metric} objective names its journey; add e.g. "
                          f"journey: {next(iter(load.journeys))}")  # fmt: skip
            journey = next(iter(load.journeys))
        step = self.text(keys["step"], "step", "get product") if "step" in keys else None
        if step is not None and journey is None:
            self.fail(keys["step"], "a step belongs to a journey; add journey: ...")
        if metric in LATENCY_METRICS:
            bound = self.duration(keys[metric], metric, 600.0) * 1000.0
        else:
            bound = self.ratio(keys[metric], metric)
        window = self.duration(keys["window"], "window", MAX_RUN_S) if "window" in keys else None
        scope, settle = "run", 0.0
        for key in ("during", "outside"):
            if key in keys:
                if self.value(keys[key]) != "faults":
                    self.fail(keys[key], f"{key} takes `faults`; write {key}: faults")
                if scope != "run":
                    self.fail(keys[key], "an objective is judged during or outside the faults, "
                              "not both; write two objectives")  # fmt: skip
                scope = key
        if knee and scope != "run":
            self.fail(node, "the knee is looked for over the whole run; drop during/outside")
        if "settle" in keys:
            if scope != "outside":
                self.fail(keys["settle"], "settle is the time after a fault still counted as "
                          "in it: it goes with outside: faults")  # fmt: skip
            settle = self.duration(keys["settle"], "settle", MAX_RUN_S)
        return Slo(metric, bound, journey, step, window, scope, settle, _line(node))

    def ratio(self, node: Node, what: str) -> float:
        raw = value = self.value(node) if isinstance(node, ScalarNode) else None
        match = RATIO_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if match:
            value = float(match.group(1)) / 100
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.fail(node, f"{what}: {raw!r} is not a ratio from 0 to 1; write e.g. 1% or 0.01")
        return float(value)
