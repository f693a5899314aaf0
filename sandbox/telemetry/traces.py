"""``sandbox.traces``: read a trace, and wait until it holds the spans a test expects.

>>> trace = sandbox.traces.wait_for(                             # doctest: +SKIP
...     trace_id,
...     Span(service="gateway", name="POST /v1/orders", kind="server"),
...     Span(service="payments", status="error", child_of=Span(service="payments")),
...     within=10.0,
... )
>>> print(sandbox.traces.waterfall(trace_id))                    # doctest: +SKIP

On timeout ``wait_for`` raises ``AssertionError`` naming each selector that matched no
span, the closest spans and what each misses, and the trace's waterfall.
"""

from __future__ import annotations

from sandbox.telemetry.errors import TelemetryUnavailable, TraceNotFound
from sandbox.telemetry.jaeger_query import STORE_FIX, JaegerQuery, checked_trace_id
from sandbox.telemetry.model import Trace
from sandbox.telemetry.polling import Poller
from sandbox.telemetry.selectors import Span
from sandbox.telemetry.waterfall import render_waterfall


def unmatched(trace: Trace, selectors: tuple[Span, ...]) -> list[Span]:
    return [sel for sel in selectors if not sel.select(trace)]


def explain(trace: Trace | None, trace_id: str, selectors: tuple[Span, ...], within: float,
            attempts: int, unavailable: str | None = None) -> str:
    """The timeout message of ``wait_for``."""
    waited = f"after {within:g} s ({attempts} polls)"
    if trace is None:
        lines = [f"trace {trace_id} never reached the trace store {waited}"]
        if unavailable:
            lines.append(f"  the store did not answer: {unavailable}")
        lines += [f"  expected: {sel!r}" for sel in selectors]
        return "\n".join(lines)
    missing = unmatched(trace, selectors)
    lines = [(f"trace {trace_id}: {len(missing)} of {len(selectors)} span selectors matched "
              f"no span {waited}; {len(trace.spans)} spans seen")]
    for sel in selectors:
        found = sel.select(trace)
        if found:
            lines.append(f"  matched:   {sel!r} -> {found[0].label()} [{found[0].span_id}]")
            continue
        lines.append(f"  UNMATCHED: {sel!r}")
        for span, why in sel.closest(trace):
            lines.append(f"      closest: {span.label()} [{span.span_id}]: {'; '.join(why)}")
    lines.append("")
    lines.append(render_waterfall(trace))
    return "\n".join(lines)


class Traces:
    """The run's traces through the store's Jaeger query API."""

    def __init__(self, store: JaegerQuery, poller: Poller | None = None) -> None:
        self.store = store
        self.poller = poller or Poller()

    def get(self, trace_id: str) -> Trace:
        """The trace as stored now; ``TraceNotFound`` if it has no span there."""
        trace = self.store.trace(trace_id)
        if trace is None:
            raise TraceNotFound(
                f"trace {checked_trace_id(trace_id)} is not in the trace store",
                "check the id (the X-Trace-Id header, a log line's trace_id); spans reach "
                f"the store a few seconds after the request, and {STORE_FIX}",
            )
        return trace

    def waterfall(self, trace_id: str, width: int = 100, color: bool = False) -> str:
        return render_waterfall(self.get(trace_id), width=width, color=color)

    def wait_for(self, trace_id: str, *selectors: Span, within: float = 10.0) -> Trace:
        """Poll until every selector matches a span of the trace; return the trace.
        Without selectors, until the trace has any span."""
        tid = checked_trace_id(trace_id)
        state: dict[str, str | None] = {"unavailable": None}
        last: list[Trace] = []  # the latest trace seen, kept if a later read fails

        def check() -> tuple[bool, Trace | None]:
            try:
                trace = self.store.trace(tid)
            except TelemetryUnavailable as exc:  # the store may still be starting
                state["unavailable"] = exc.cause
                return False, last[-1] if last else None
            state["unavailable"] = None
            if trace is None:
                return False, last[-1] if last else None
            last.append(trace)
            return not unmatched(trace, selectors), trace

        done, trace, attempts = self.poller.until(check, within)
        if done and trace is not None:
            return trace
        raise AssertionError(explain(trace, tid, selectors, within, attempts,
                                     state["unavailable"]))
