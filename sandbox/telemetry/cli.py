"""``sandbox trace ID`` and the telemetry side of ``sandbox logs`` (``--trace ID``, ``--all``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sandbox.errors import SandboxError
from sandbox.telemetry.jaeger_query import checked_trace_id
from sandbox.telemetry.waterfall import print_waterfall


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``trace`` to the ``sandbox`` parser."""
    trace = subparsers.add_parser(
        "trace", help="a trace as a span waterfall (from the trace store)",
        description="Reads the trace from the trace store (Jaeger's query API) and draws its "
        "spans as a tree by parent, bars on the trace's time scale.")
    trace.add_argument("trace_id", metavar="ID", help="32 hex digits (the X-Trace-Id header)")
    trace.add_argument("--json", action="store_true", help="the spans as JSON instead")
    trace.set_defaults(func=cmd_trace)


def add_log_arguments(logs: argparse.ArgumentParser) -> None:
    """``sandbox logs [SERVICE] [-f] [--tail N] [--trace ID | --all]``."""
    logs.add_argument("service", nargs="?", help="one service's output")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int, default=None)
    which = logs.add_mutually_exclusive_group()
    which.add_argument("--trace", metavar="ID",
                       help="every container's JSON lines of this trace, in time order")
    which.add_argument("--all", action="store_true",
                       help="every container's lines, interleaved, prefixed by service")


def _sandbox() -> Any:
    from sandbox.runtime import Sandbox

    return Sandbox.attach()


def cmd_trace(args: argparse.Namespace) -> int:
    trace_id = checked_trace_id(args.trace_id)  # a malformed id fails before Docker
    trace = _sandbox().traces.get(trace_id)
    if args.json:
        spans = [{**vars(s), "attrs": dict(s.attrs), "events": [vars(e) for e in s.events],
                  "refs": [vars(r) for r in s.refs]} for s in trace.spans]
        print(json.dumps({"trace_id": trace.trace_id, "spans": spans}, indent=2, default=str))
    else:
        print_waterfall(trace)
    return 0


def print_trace_logs(args: argparse.Namespace) -> int:
    trace_id = checked_trace_id(args.trace)
    lines = _sandbox().logs.for_trace(trace_id)
    if not lines:
        raise SandboxError(
            f"no container logged a line of trace {trace_id}",
            "check the id (the X-Trace-Id header, or `sandbox trace ID`); "
            "`sandbox logs --all` shows every line",
        )
    width = max(len(line.container) for line in lines)
    for line in lines:
        print(line.text(width))
    return 0


def print_all_logs(args: argparse.Namespace) -> int:
    sb = _sandbox()
    width = max((len(name) for name in sb.containers()), default=8)
    out = sys.stdout
    for service, text in sb.logs.interleaved(follow=args.follow, tail=args.tail):
        out.write(f"{service:<{width}} | {text}\n")
        out.flush()
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    """One service's output (as before), a trace's lines, or every container's."""
    if args.trace:
        if args.service or args.follow:
            raise SandboxError("--trace takes no SERVICE and no -f",
                               "run `sandbox logs --trace ID` alone")
        return print_trace_logs(args)
    if args.all:
        if args.service:
            raise SandboxError("--all takes no SERVICE", "run `sandbox logs --all [-f]`")
        return print_all_logs(args)
    if not args.service:
        raise SandboxError("sandbox logs needs a SERVICE, --trace ID or --all",
                           "run e.g. `sandbox logs catalog`, `sandbox logs --all -f`")
    out = sys.stdout.buffer
    for chunk in _sandbox().logs(args.service, follow=args.follow, tail=args.tail):
        out.write(chunk)
        out.flush()
    return 0
