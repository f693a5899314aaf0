"""``sandbox load run FILE`` (a latency scenario, with live progress) and ``sandbox load
report SUMMARY`` (the HTML report again, from a saved summary, against a baseline)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.errors import SandboxError

if TYPE_CHECKING:
    from sandbox.load.scheduler import LoadProgress


class ScenarioInvalid(SandboxError):
    pass


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``load`` to the ``sandbox`` parser."""
    load = subparsers.add_parser("load", help="latency scenarios: open-loop load, SLOs, reports")
    sub = load.add_subparsers(dest="load_command", required=True)
    run = sub.add_parser(
        "run", help="run a latency scenario (YAML) against the running sandbox",
        description="Enrols clients of its own, runs the scenario's open workload and faults "
        "with live progress, judges its SLOs, and writes the summary (JSON) and the report "
        "(HTML). Exits 1 when an SLO is broken.")
    run.add_argument("file", type=Path, help="a latency scenario, e.g. scenarios/latency/*.yaml")
    run.add_argument("--out", type=Path, default=Path("reports") / "latency",
                     help="where the summary and report go (default reports/latency)")
    run.add_argument("--baseline", type=Path, help="a summary JSON to compare against")
    run.set_defaults(func=cmd_load_run)
    report = sub.add_parser("report", help="the HTML report of a saved summary")
    report.add_argument("summary", type=Path, help="a summary JSON (sandbox.load/1)")
    report.add_argument("--baseline", type=Path, help="a summary JSON to compare against")
    report.add_argument("-o", "--output", type=Path, help="the HTML file (default: beside it)")
    report.set_defaults(func=cmd_load_report)


def read_summary(path: Path) -> dict[str, Any]:
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SandboxError(f"cannot read the summary {path} ({exc})",
                           "give a summary JSON that `sandbox load run` wrote") from None
    if not isinstance(summary, dict) or summary.get("schema") != "sandbox.load/1":
        raise SandboxError(f"{path} is not a load summary (schema sandbox.load/1)",
                           "give a summary JSON that `sandbox load run` wrote")
    return summary


class LiveProgress:
    """One line a second: on a terminal it is rewritten in place, else printed."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, p: LoadProgress) -> None:
        p99 = "-" if p.p99_ms is None else f"{p.p99_ms:.1f} ms"
        line = (f"{p.elapsed_s:6.1f} s  sent {p.sent}  ok {p.ok}  errors {p.errors}  "
                f"dropped {p.dropped}  p99 (last second) {p99}")
        self.stream.write(f"\r{line:<96}" if self.tty else line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


def cmd_load_run(args: argparse.Namespace) -> int:
    from sandbox.chaos.scenario import ScenarioError
    from sandbox.load.sandbox_run import run_on_sandbox
    from sandbox.load.scenario_loader import load_latency_scenario
    from sandbox.runtime import Sandbox

    try:
        scenario = load_latency_scenario(args.file)
    except ScenarioError as exc:
        raise ScenarioInvalid(str(exc), "fix the scenario file (docs/latency.md)") from None
    baseline = read_summary(args.baseline) if args.baseline else None
    sandbox = Sandbox.attach()
    live = LiveProgress()
    print(f"latency scenario: {scenario.name} ({scenario.load.plan.duration_s:g} s)",
          file=sys.stderr)
    try:
        outcome, summary, report = run_on_sandbox(
            scenario, sandbox, args.out, progress=live, baseline=baseline,
            say=lambda text: print(text, file=sys.stderr))
    except ScenarioError as exc:
        raise ScenarioInvalid(str(exc), "fix the scenario file (docs/latency.md)") from None
    finally:
        live.done()
    print(outcome.table())
    for problem in outcome.problems:
        print(f"problem: {problem}")
    print(f"summary: {summary}\nreport:  {report}")
    return 0 if outcome.passed else 1


def cmd_load_report(args: argparse.Namespace) -> int:
    from sandbox.load.report_html import write_report

    summary = read_summary(args.summary)
    baseline = read_summary(args.baseline) if args.baseline else None
    output = args.output or args.summary.with_suffix(".html")
    print(write_report(summary, output, baseline))
    return 0
