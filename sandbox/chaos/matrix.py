"""The resiliency matrix: every link x every fault, and what the order flow must answer.

The expected outcomes are data (``scenarios/chaos/matrix.yaml``); the chaos suite runs
each cell against the live sandbox and README.md shows them as a table rendered from that
file (``python -m sandbox.chaos.matrix --markdown``).

A cell's expectation is the set of statuses the order flow may answer while the fault is
on: ``201`` (served, perhaps slower, perhaps with the rest of the saga delayed), ``503``
or ``504`` (as application/problem+json). Whatever the cell, every request answers within
its deadline, the flow answers 201 again within ``recovery`` of the fault's removal, and
every accepted order ends paid, charged once, within ``settle``.

>>> matrix = load_matrix(Path("scenarios/chaos/matrix.yaml"))     # doctest: +SKIP
>>> matrix.cell("gateway->monolith", "down").statuses              # doctest: +SKIP
(503,)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sandbox.errors import SandboxError
from sandbox.faults.spec import Fault, FaultSpecError, parse_fault
from sandbox.topology import parse_duration

ALLOWED_STATUSES = (201, 503, 504)
KEYS = {"traffic", "fault_for", "recovery", "settle", "faults", "links"}


class MatrixError(SandboxError):
    pass


@dataclass(frozen=True)
class Cell:
    link: str
    fault_name: str
    fault: Fault
    statuses: tuple[int, ...]
    fault_for: float  # s, how long the fault stays on

    @property
    def id(self) -> str:
        return f"{self.link}:{self.fault_name}"


@dataclass(frozen=True)
class Matrix:
    rate: float           # order flows started per second
    deadline: float       # s, each flow's deadline
    fault_for: float      # s, how long a fault stays on (unless its entry says otherwise)
    recovery: float       # s, bound on the flow answering 201 again after removal
    settle: float         # s, bound on every accepted order ending paid
    faults: dict[str, Fault]
    fault_words: dict[str, str]
    durations: dict[str, float]  # fault name -> s it stays on
    expected: dict[str, dict[str, tuple[int, ...]]]  # link -> fault name -> statuses

    @property
    def links(self) -> list[str]:
        return list(self.expected)

    def cell(self, link: str, fault_name: str) -> Cell:
        return Cell(link, fault_name, self.faults[fault_name], self.expected[link][fault_name],
                    self.durations[fault_name])

    def cells(self) -> list[Cell]:
        return [self.cell(link, name) for link in self.expected for name in self.faults]


def _fail(path: Path, what: str, fix: str) -> MatrixError:
    return MatrixError(f"{path}: {what}", fix)


def _seconds(raw: Any, path: Path, key: str) -> float:
    try:
        value = parse_duration(raw, f"{path}: {key}")
    except SandboxError as exc:
        raise _fail(path, f"{key}: {exc.cause}", "write a duration such as 5s or 500ms") from None
    if value <= 0:
        raise _fail(path, f"{key} must be positive", "write a duration such as 5s")
    return value


def _statuses(raw: Any, path: Path, where: str) -> tuple[int, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(s, int) and s in ALLOWED_STATUSES for s in items):
        raise _fail(path, f"{where}: {raw!r} is not a list of statuses",
                    f"use statuses among {list(ALLOWED_STATUSES)}, e.g. [201, 503]")
    return tuple(sorted(set(items)))


def parse_matrix(raw: Any, path: Path) -> Matrix:
    if not isinstance(raw, dict):
        raise _fail(path, "the matrix must be a mapping", f"give it the keys {sorted(KEYS)}")
    unknown = set(raw) - KEYS
    missing = KEYS - set(raw)
    if unknown or missing:
        raise _fail(path, f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}",
                    f"use exactly the keys {sorted(KEYS)}")
    traffic = raw["traffic"]
    if not isinstance(traffic, dict) or set(traffic) != {"rate", "deadline"}:
        raise _fail(path, "traffic must be {rate: N/s, deadline: DURATION}",
                    "write e.g. traffic: {rate: 4/s, deadline: 12s}")
    rate_text = str(traffic["rate"])
    try:
        rate = float(rate_text.removesuffix("/s"))
    except ValueError:
        raise _fail(path, f"traffic.rate {rate_text!r} is not a rate", "write e.g. 4/s") from None
    if not rate_text.endswith("/s") or rate <= 0:
        raise _fail(path, f"traffic.rate {rate_text!r} is not a rate", "write e.g. 4/s")
    faults: dict[str, Fault] = {}
    words: dict[str, str] = {}
    durations: dict[str, float] = {}
    fault_for = _seconds(raw["fault_for"], path, "fault_for")
    if not isinstance(raw["faults"], dict) or not raw["faults"]:
        raise _fail(path, "faults must map a name to fault words", "write e.g. down: down")
    for name, entry in raw["faults"].items():
        text, duration = entry, fault_for
        if isinstance(entry, dict):
            if set(entry) - {"fault", "for"} or "fault" not in entry:
                raise _fail(path, f"faults.{name} must be words or {{fault: WORDS, for: DURATION}}",
                            "write e.g. timeout: {fault: timeout=0, for: 12s}")
            text = entry["fault"]
            if "for" in entry:
                duration = _seconds(entry["for"], path, f"faults.{name}.for")
        try:
            faults[str(name)] = parse_fault(str(text).split())
        except FaultSpecError as exc:
            raise _fail(path, f"faults.{name}: {exc.cause}", exc.fix) from None
        words[str(name)] = str(text)
        durations[str(name)] = duration
    if not isinstance(raw["links"], dict) or not raw["links"]:
        raise _fail(path, "links must map each link to its expected statuses per fault",
                    "write e.g. gateway->monolith: {down: [503], ...}")
    expected: dict[str, dict[str, tuple[int, ...]]] = {}
    for link, row in raw["links"].items():
        if not isinstance(row, dict) or set(row) != set(faults):
            got = sorted(row) if isinstance(row, dict) else row
            raise _fail(path, f"links.{link} gives {got}, not one entry per fault",
                        f"give statuses for each of {sorted(faults)}")
        expected[str(link)] = {name: _statuses(row[name], path, f"links.{link}.{name}")
                               for name in faults}
    return Matrix(
        rate=rate,
        deadline=_seconds(traffic["deadline"], path, "traffic.deadline"),
        fault_for=fault_for,
        recovery=_seconds(raw["recovery"], path, "recovery"),
        settle=_seconds(raw["settle"], path, "settle"),
        faults=faults,
        fault_words=words,
        durations=durations,
        expected=expected,
    )


def load_matrix(path: Path) -> Matrix:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc.strerror})", "check the path") from None
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML ({exc})", "fix the YAML syntax") from None
    return parse_matrix(raw, path)


def check_covers(matrix: Matrix, links: Iterable[str], path: Path) -> None:
    """The matrix lists exactly the topology's links."""
    actual = set(links)
    missing, extra = sorted(actual - set(matrix.links)), sorted(set(matrix.links) - actual)
    if missing or extra:
        raise _fail(path, f"links not in the matrix: {missing}; in it but not in the topology: "
                    f"{extra}", "give every link of the topology one row")


def _cell_text(statuses: tuple[int, ...]) -> str:
    return " or ".join(str(s) for s in statuses)


def render_markdown(matrix: Matrix) -> str:
    """The matrix as a Markdown table (README.md)."""
    names = list(matrix.faults)
    head = "| link | " + " | ".join(
        f"{n} (`{matrix.fault_words[n]}`, {matrix.durations[n]:g} s)" for n in names) + " |"
    rule = "| --- |" + " --- |" * len(names)
    rows = [f"| `{link}` | " + " | ".join(_cell_text(matrix.expected[link][n]) for n in names)
            + " |" for link in matrix.links]
    return "\n".join([head, rule, *rows]) + "\n"


BEGIN = "<!-- matrix:begin (rendered from scenarios/chaos/matrix.yaml) -->"
END = "<!-- matrix:end -->"


def splice(document: str, table: str) -> str:
    """``document`` with the table between the BEGIN and END markers replaced."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise SandboxError("README.md has no matrix markers",
                           f"add the lines {BEGIN!r} and {END!r} where the table goes")
    return document[: start + len(BEGIN)] + "\n" + table + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.chaos.matrix",
                                     description="Render the resiliency matrix.")
    parser.add_argument("--matrix", type=Path, default=Path("scenarios/chaos/matrix.yaml"))
    parser.add_argument("--readme", type=Path, default=Path("README.md"),
                        help="with --write: the document whose table is replaced")
    parser.add_argument("--write", action="store_true", help="update the table in --readme")
    args = parser.parse_args(argv)
    try:
        table = render_markdown(load_matrix(args.matrix))
        if args.write:
            args.readme.write_text(splice(args.readme.read_text(), table))
        else:
            sys.stdout.write(table)
    except SandboxError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
