"""YAML chaos scenarios → ``Scenario``, every problem reported as ``file:line: reason``.

The file, as QA writes it (every key but ``scenario`` and ``steps`` has a default)::

    scenario: payments worker cut off from the broker      # the test's name
    steady_state:                # checked before the steps and after the rollback
      - order_paid_within: 30s   #   (default: this one probe)
      - get: /v1/products        #   answers `status` (200) within `within` (2s)
    steps:                       # in order
      - traffic: 4/s             # orders at 4/s, each within 10s, until the steps end
      - wait: 3s                 #   ({rate: 4/s, deadline: 5s} to set the deadline)
      - fault: payments-worker->broker down       # a link fault, in the CLI's words
      - fault: {service: catalog, action: pause}  # a container fault
      - remove: payments-worker->broker           # a link, a fault id or a service
      - clear                                     # every fault of this scenario
    expect:
      status: [201]              # allowed answers (default [201]); non-2xx: problem+json
      latency: {p99: 3s}         # p50/p90/p95/p99/max bounds (each request: its deadline)
      recovery: 30s              # after the rollback, an order answers 201 within (30s)
      nothing_lost: 60s          # accepted orders end paid, charged once, within (60s)
    rollback:                    # run whatever happened (default: nothing more); then
      - wait: 2s                 #   every fault still in place is undone anyway

>>> parse_scenario("scenario: s\\nsteps:\\n  - wait: 1x\\n", "s.yaml")
Traceback (most recent call last):
  ...
sandbox.chaos.scenario.ScenarioError: s.yaml:3: wait: '1x' is not a duration; write e.g. 5s or 500ms
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sandbox.chaos.fault_specs import (
    FAULT_ID_RE,
    LINK_RE,
    SERVICE_RE,
    ContainerFaultSpec,
    LinkFaultSpec,
    container_fault,
    link_fault,
)
from sandbox.chaos.scenario import (
    PERCENTILES,
    ClearStep,
    Expectations,
    FaultStep,
    GetProbe,
    LatencyBound,
    OrderPaidProbe,
    Probe,
    RemoveStep,
    Scenario,
    ScenarioError,
    Step,
    TrafficStep,
    WaitStep,
)
from sandbox.errors import SandboxError

TOP_KEYS = ("scenario", "description", "steady_state", "steps", "expect", "rollback")
STEP_KINDS = ("traffic", "fault", "remove", "clear", "wait")
ROLLBACK_KINDS = ("fault", "remove", "clear", "wait")
EXPECT_KEYS = ("status", "latency", "recovery", "nothing_lost")
MAX_RATE = 20.0          # requests per second: traffic stays bounded
MAX_DEADLINE_S = 60.0
MAX_WAIT_S = 600.0
DEFAULT_NOTHING_LOST_S = 60.0
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min)")
RATE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(s|sec|m|min)")
UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0}
DURATION_FIX = "write e.g. 5s or 500ms"


def load_scenario(path: str | Path) -> Scenario:
    """Read and check the scenario file at ``path`` (``ScenarioError`` if malformed)."""
    return parse_scenario(read_text(path), str(path))


def parse_scenario(text: str, path: str) -> Scenario:
    """The scenario in ``text`` (YAML); ``path`` names it in errors."""
    return ScenarioReader(path).scenario(compose_yaml(text, path))


def read_text(path: str | Path) -> str:
    """A scenario file's text (``ScenarioError`` at line 1 if it cannot be read)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), 1, f"cannot read it ({exc}); check the file") from None


def compose_yaml(text: str, path: str) -> Node:
    """The YAML of a scenario as nodes that know their lines (``ScenarioError`` if it is
    not YAML, or empty)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ScenarioError(path, line, f"not valid YAML: {exc.problem or exc.context}; "
                            "check the indentation and quoting around it") from None  # fmt: skip
    except yaml.YAMLError as exc:
        raise ScenarioError(path, 1, f"not valid YAML: {exc}") from None
    if root is None:
        raise ScenarioError(path, 1, "the file is empty; write at least `scenario:` and `steps:`")
    return root


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _hint(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ScenarioReader:
    """Walks the composed YAML nodes, so that every value still knows its line (the
    latency scenarios' reader, sandbox/load/scenario_loader.py, extends it)."""

    max_rate = MAX_RATE  # requests per second a rate may name

    def __init__(self, path: str) -> None:
        self.path = path
        self._constructor = SafeConstructor()

    def fail(self, node: Node, reason: str) -> NoReturn:
        raise ScenarioError(self.path, _line(node), reason)

    # --- shapes --------------------------------------------------------------------

    def value(self, node: Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def mapping(self, node: Node, what: str, keys: tuple[str, ...]) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping with keys {', '.join(keys)}")
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if key not in keys:
                self.fail(key_node, f"unknown key {key!r} in {what}{_hint(str(key), keys)}; "
                          f"use one of: {', '.join(keys)}")  # fmt: skip
            if key in found:
                self.fail(key_node, f"{key!r} appears twice in {what}; keep one")
            found[key] = value_node
        return found

    def sequence(self, node: Node, what: str, example: str) -> list[Node]:
        if not isinstance(node, SequenceNode) or not node.value:
            self.fail(node, f"{what} must be a non-empty list; write e.g. {example}")
        return list(node.value)

    def text(self, node: Node, what: str, example: str) -> str:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, str) or not value.strip():
            self.fail(node, f"{what} must be text; write e.g. {example}")
        return value.strip()

    def number(self, node: Node, what: str, example: str) -> float:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(node, f"{what} must be a number; write e.g. {example}")
        return float(value)

    def duration(self, node: Node, what: str, limit: float = MAX_WAIT_S) -> float:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        match = DURATION_RE.fullmatch(str(value).strip()) if isinstance(value, str) else None
        if match is None:
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.fail(node, f"{what}: {value!r} has no unit; write e.g. {value}s or {value}ms")
            self.fail(node, f"{what}: {value!r} is not a duration; {DURATION_FIX}")
        seconds = float(match.group(1)) * UNITS[match.group(2)]
        if not 0 < seconds <= limit:
            self.fail(node, f"{what}: {value} is out of range; use more than 0 and at most "
                      f"{limit:g}s")  # fmt: skip
        return seconds

    def rate(self, node: Node, what: str) -> float:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        match = RATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            self.fail(node, f"{what}: {value!r} is not a rate; write e.g. 4/s or 30/min")
        per_second = float(match.group(1)) / UNITS[match.group(2)]
        if not 0 < per_second <= self.max_rate:
            self.fail(node, f"{what}: {value} is out of range; use more than 0 and at most "
                      f"{self.max_rate:g}/s")  # fmt: skip
        return per_second

    def status(self, node: Node, what: str) -> int:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
            self.fail(node, f"{what}: {value!r} is not an HTTP status; write e.g. 201")
        return value

    # --- the scenario --------------------------------------------------------------

    def scenario(self, root: Node) -> Scenario:
        if not isinstance(root, MappingNode):
            self.fail(root, "a scenario is a mapping with keys scenario, steps, ...; "
                      "see README, YAML chaos scenarios")  # fmt: skip
        top = self.mapping(root, "the scenario", TOP_KEYS)
        for required in ("scenario", "steps"):
            if required not in top:
                self.fail(root, f"missing key {required!r}; every scenario has `scenario:` "
                          "(its name) and `steps:`")  # fmt: skip
        name = self.text(top["scenario"], "scenario", "payments worker cut off from the broker")
        description = self.text(top["description"], "description", "what it shows") \
            if "description" in top else ""  # fmt: skip
        steps = self.steps(top["steps"], "steps", STEP_KINDS)
        rollback = self.steps(top["rollback"], "rollback", ROLLBACK_KINDS) \
            if "rollback" in top else ()  # fmt: skip
        traffic = [s for s in steps if isinstance(s, TrafficStep)]
        if len(traffic) > 1:
            self.fail_at(traffic[1].line, "a second traffic step; one traffic step runs "
                         "until the steps end: keep one")  # fmt: skip
        self.check_in_place(steps)
        expect = self.expect(top["expect"], bool(traffic)) if "expect" in top else Expectations()
        kwargs: dict[str, Any] = {}
        if "steady_state" in top:
            kwargs["steady_state"] = self.probes(top["steady_state"])
        return Scenario(name=name, path=self.path, steps=steps, expect=expect,
                        rollback=rollback, description=description, **kwargs)  # fmt: skip

    def fail_at(self, line: int, reason: str) -> NoReturn:
        raise ScenarioError(self.path, line, reason)

    def probes(self, node: Node) -> tuple[Probe, ...]:
        probes: list[Probe] = []
        for item in self.sequence(node, "steady_state", "- order_paid_within: 30s"):
            kinds = ("order_paid_within", "get")
            if isinstance(item, MappingNode) and any(self.value(k) == "get" for k, _ in item.value):
                keys = self.mapping(item, "a get probe", ("get", "status", "within"))
                path = self.text(keys["get"], "get", "/v1/products")
                if not path.startswith("/") or path.startswith("//"):
                    self.fail(keys["get"], f"get: {path!r} must be a path on the gateway; "
                              "write e.g. /v1/products")  # fmt: skip
                status = self.status(keys["status"], "status") if "status" in keys else 200
                within = self.duration(keys["within"], "within", MAX_DEADLINE_S) \
                    if "within" in keys else 2.0  # fmt: skip
                probes.append(GetProbe(path, status, within, _line(item)))
            elif isinstance(item, MappingNode):
                keys = self.mapping(item, "a probe", kinds)
                if "order_paid_within" not in keys:
                    self.fail(item, "a probe is `order_paid_within: 30s` or `get: /v1/products`")
                within = self.duration(keys["order_paid_within"], "order_paid_within")
                probes.append(OrderPaidProbe(within, _line(item)))
            else:
                self.fail(item, "a probe is `order_paid_within: 30s` or `get: /v1/products` "
                          "(with optional status: 200, within: 2s)")  # fmt: skip
        return tuple(probes)

    def steps(self, node: Node, what: str, kinds: tuple[str, ...]) -> tuple[Step, ...]:
        example = "- wait: 5s" if what == "rollback" else "- traffic: 4/s"
        return tuple(self.step(item, what, kinds) for item in self.sequence(node, what, example))

    def step(self, node: Node, what: str, kinds: tuple[str, ...]) -> Step:
        line = _line(node)
        if isinstance(node, ScalarNode) and self.value(node) == "clear":
            return ClearStep(line)
        if not isinstance(node, MappingNode) or len(node.value) != 1:
            found = ", ".join(str(self.value(k)) for k, _ in node.value) \
                if isinstance(node, MappingNode) else repr(self.value(node))  # fmt: skip
            self.fail(node, f"a step in {what} has exactly one of {', '.join(kinds)} "
                      f"(found {found}); start each step with its own `- `")  # fmt: skip
        key_node, value = node.value[0]
        kind = self.value(key_node)
        if kind not in kinds:
            extra = " (a rollback adds no traffic)" if kind == "traffic" else _hint(str(kind), kinds)
            self.fail(key_node, f"unknown step {kind!r} in {what}{extra}; "
                      f"use one of: {', '.join(kinds)}")  # fmt: skip
        if kind == "traffic":
            return self.traffic(value, line)
        if kind == "wait":
            return WaitStep(self.duration(value, "wait"), line)
        if kind == "clear":
            self.fail(key_node, "clear takes nothing; write `- clear`")
        if kind == "remove":
            target = self.text(value, "remove", "catalog->postgres")
            if not (LINK_RE.fullmatch(target) or FAULT_ID_RE.fullmatch(target)
                    or SERVICE_RE.fullmatch(target)):  # fmt: skip
                self.fail(value, f"remove: {target!r} is not a link, a fault id or a service; "
                          "write e.g. catalog->postgres or catalog")  # fmt: skip
            return RemoveStep(target, line)
        step = FaultStep(self.fault(value), line)
        if what == "rollback" and isinstance(step.spec, LinkFaultSpec):
            self.fail(value, "a rollback adds no link fault; use remove or clear there")
        return step

    def traffic(self, node: Node, line: int) -> TrafficStep:
        if isinstance(node, MappingNode):
            keys = self.mapping(node, "traffic", ("rate", "deadline"))
            if "rate" not in keys:
                self.fail(node, "traffic needs a rate; write e.g. {rate: 4/s, deadline: 10s}")
            deadline = self.duration(keys["deadline"], "deadline", MAX_DEADLINE_S) \
                if "deadline" in keys else 10.0  # fmt: skip
            return TrafficStep(self.rate(keys["rate"], "rate"), deadline, line)
        return TrafficStep(self.rate(node, "traffic"), line=line)

    def fault(self, node: Node) -> LinkFaultSpec | ContainerFaultSpec:
        try:
            if isinstance(node, ScalarNode):
                words = self.text(node, "fault", "catalog->postgres latency=1000ms").split()
                if not LINK_RE.fullmatch(words[0]):
                    self.fail(node, f"fault: {words[0]!r} is not a link; write LINK FAULT..., "
                              "e.g. catalog->postgres latency=1000ms, or "
                              "{service: catalog, action: pause}")  # fmt: skip
                return link_fault(words[0], words[1:])
            if isinstance(node, MappingNode) and any(
                self.value(k) == "service" for k, _ in node.value
            ):
                keys = self.mapping(node, "a container fault",
                                    ("service", "action", "network", "cpus", "memory"))  # fmt: skip
                if "action" not in keys:
                    self.fail(node, "a container fault needs an action; write e.g. "
                              "{service: catalog, action: pause}")  # fmt: skip
                options: dict[str, Any] = {}
                if "network" in keys:
                    options["network"] = self.text(keys["network"], "network", "private")
                if "cpus" in keys:
                    options["cpus"] = self.number(keys["cpus"], "cpus", "0.2")
                if "memory" in keys:
                    options["memory"] = self.text(keys["memory"], "memory", "64m")
                return container_fault(self.text(keys["service"], "service", "catalog"),
                                       self.text(keys["action"], "action", "pause"),
                                       **options)  # fmt: skip
            keys = self.mapping(node, "a link fault", ("link", "fault", "stream", "toxicity"))
            if "link" not in keys or "fault" not in keys:
                self.fail(node, "a link fault needs link and fault; write e.g. "
                          "{link: catalog->postgres, fault: latency=1000ms}")  # fmt: skip
            words = self.text(keys["fault"], "fault", "latency=1000ms jitter=100ms").split()
            stream = self.text(keys["stream"], "stream", "upstream") \
                if "stream" in keys else "downstream"  # fmt: skip
            toxicity = self.number(keys["toxicity"], "toxicity", "0.5") \
                if "toxicity" in keys else 1.0  # fmt: skip
            return link_fault(self.text(keys["link"], "link", "catalog->postgres"), words,
                              stream, toxicity)  # fmt: skip
        except SandboxError as exc:
            self.fail(node, f"fault: {exc.cause}; {exc.fix}")

    def check_in_place(self, steps: tuple[Step, ...]) -> None:
        """A ``remove`` names something an earlier step put in place; a link carries one
        fault of a kind per direction."""
        in_place: list[FaultStep] = []
        for step in steps:
            if isinstance(step, ClearStep):
                in_place = []
            elif isinstance(step, FaultStep) and isinstance(step.spec, LinkFaultSpec):
                spec = step.spec
                for earlier in in_place:
                    other = earlier.spec
                    if isinstance(other, LinkFaultSpec) and (other.link, other.fault.kind,
                                                             other.stream) == (
                        spec.link, spec.fault.kind, spec.stream
                    ):  # fmt: skip
                        self.fail_at(step.line, f"{spec.link} already has a {spec.fault.kind} "
                                     f"fault on {spec.stream} (line {earlier.line}); remove "
                                     "it first")  # fmt: skip
                in_place.append(step)
            elif isinstance(step, FaultStep):
                in_place.append(step)
            elif isinstance(step, RemoveStep):
                hit = [f for f in in_place if step.target in (f.spec.target, _fault_id(f.spec))]
                if not hit:
                    there = ", ".join(sorted({f.spec.target for f in in_place})) or "nothing"
                    self.fail_at(step.line, f"remove: no earlier step put a fault on "
                                 f"{step.target!r} (in place: {there}); name a link or "
                                 "service a fault step uses")  # fmt: skip
                in_place = [f for f in in_place if f not in hit]

    def expect(self, node: Node, has_traffic: bool) -> Expectations:
        keys = self.mapping(node, "expect", EXPECT_KEYS)
        for key in ("status", "latency"):
            if key in keys and not has_traffic:
                self.fail(keys[key], f"expect.{key} judges the traffic, and no step starts "
                          "any; add `- traffic: 4/s` to the steps or drop it")  # fmt: skip
        statuses: tuple[int, ...] = (201,)
        if "status" in keys:
            node_s = keys["status"]
            items = node_s.value if isinstance(node_s, SequenceNode) else [node_s]
            if not items:
                self.fail(node_s, "expect.status needs at least one status; write e.g. [201, 503]")
            statuses = tuple(self.status(item, "status") for item in items)
        latency: list[LatencyBound] = []
        if "latency" in keys:
            bounds = self.mapping(keys["latency"], "expect.latency", tuple(PERCENTILES))
            if not bounds:
                self.fail(keys["latency"], "expect.latency needs a bound; write e.g. {p99: 3s}")
            latency = [LatencyBound(name, self.duration(n, f"latency {name}", MAX_DEADLINE_S))
                       for name, n in bounds.items()]  # fmt: skip
        recovery = self.duration(keys["recovery"], "recovery") if "recovery" in keys else 30.0
        nothing_lost: float | None = DEFAULT_NOTHING_LOST_S
        if "nothing_lost" in keys:
            raw = self.value(keys["nothing_lost"]) if isinstance(keys["nothing_lost"], ScalarNode) \
                else None  # fmt: skip
            if raw is False:
                nothing_lost = None
            elif raw is not True:
                nothing_lost = self.duration(keys["nothing_lost"], "nothing_lost")
        return Expectations(statuses, tuple(latency), recovery, nothing_lost, _line(node))


def _fault_id(spec: LinkFaultSpec | ContainerFaultSpec) -> str:
    """The id the proxy will give a link fault (``<link>/<kind>_<stream>`` or ``/down``)."""
    if isinstance(spec, LinkFaultSpec):
        kind = spec.fault.kind
        return f"{spec.link}/down" if kind == "down" else f"{spec.link}/{kind}_{spec.stream}"
    return spec.service
