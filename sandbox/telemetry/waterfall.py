"""A trace as a terminal waterfall: the span tree by parent, bars on the trace's time scale.

    trace 4bf92f35...4736  3 spans  gateway, monolith  41.0 ms
    gateway POST /v1/orders           |##############################| 41.0 ms
      monolith POST /orders           |   ####################       | 25.2 ms
        monolith INSERT orders        |     ######                   | 6.1 ms  ERROR db timeout

On a TTY the bars are blocks, errors red; otherwise plain ASCII, no escape codes.
"""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from sandbox.telemetry.model import Trace, TraceSpan, format_duration

_RED, _RESET = "\x1b[31m", "\x1b[0m"


def span_rows(trace: Trace) -> list[tuple[int, TraceSpan]]:
    """(depth, span), depth-first by start time: parents before their children; a span
    whose parent has not arrived is a root. The order of every waterfall (terminal, page)."""
    rows: list[tuple[int, TraceSpan]] = []
    seen: set[str] = set()

    def visit(span: TraceSpan, depth: int) -> None:
        if span.span_id in seen:  # a malformed trace may loop
            return
        seen.add(span.span_id)
        rows.append((depth, span))
        for child in trace.children(span):
            visit(child, depth + 1)

    for root in trace.roots():
        visit(root, 0)
    for span in sorted(trace.spans, key=lambda s: s.start_us):  # cycles without a root
        visit(span, 0)
    return rows


def render_waterfall(trace: Trace, width: int = 100, color: bool = False) -> str:
    """The waterfall as text, ``width`` columns wide (a bar area of at least 20)."""
    start, total = trace.start_us, max(trace.duration_us, 1)
    header = (f"trace {trace.trace_id}  {len(trace.spans)} spans  "
              f"{', '.join(trace.services)}  {format_duration(trace.duration_us)}")
    rows = span_rows(trace)
    if not rows:
        return header + "\n  (no spans)"
    labels = [("  " * depth) + f"{span.service} {span.name}" for depth, span in rows]
    label_width = min(max(len(label) for label in labels), max(20, width // 2))
    bar_width = max(20, width - label_width - 16)
    full, empty = ("\u2588", " ") if color else ("#", " ")
    lines = [header]
    for (_, span), label in zip(rows, labels, strict=True):
        begin = int((span.start_us - start) / total * bar_width)
        length = max(1, round(span.duration_us / total * bar_width))
        begin = min(begin, bar_width - 1)
        length = min(length, bar_width - begin)
        bar = empty * begin + full * length + empty * (bar_width - begin - length)
        if len(label) > label_width:
            label = label[: label_width - 1] + "~"
        mark = ""
        if span.error:
            mark = "  ERROR" + (f" {span.status_message}" if span.status_message else "")
        if color and span.error:
            bar = f"{_RED}{bar}{_RESET}"
            mark = f"{_RED}{mark}{_RESET}"
        lines.append(f"{label.ljust(label_width)} |{bar}| "
                     f"{format_duration(span.duration_us)}{mark}".rstrip())
    return "\n".join(lines)


def print_waterfall(trace: Trace, out: TextIO | None = None) -> None:
    """Print to ``out`` (stdout): coloured and terminal-wide on a TTY, plain otherwise."""
    out = out or sys.stdout
    tty = out.isatty()
    width = shutil.get_terminal_size((100, 24)).columns if tty else 100
    out.write(render_waterfall(trace, width=width, color=tty) + "\n")
