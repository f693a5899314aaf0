"""Traces as the page draws them: the newest ones as summaries, one as waterfall rows.

Rows are the span tree depth first by start time (a span whose parent has not arrived is
a root), each with its offset from the trace's start and its duration in microseconds.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.telemetry.jaeger_query import JaegerQuery
from sandbox.telemetry.model import Trace
from sandbox.telemetry.waterfall import span_rows

ATTRS_SHOWN = 12  # attributes per span sent to the page


def summary(trace: Trace) -> dict[str, Any]:
    roots = trace.roots()
    root = roots[0] if roots else min(trace.spans, key=lambda s: s.start_us)
    return {"trace_id": trace.trace_id, "service": root.service, "name": root.name,
            "start_us": trace.start_us, "duration_us": trace.duration_us,
            "spans": len(trace.spans), "services": trace.services,
            "errors": sum(1 for s in trace.spans if s.error)}


def recent_traces(store: JaegerQuery, service: str | None = None, limit: int = 20,
                  lookback_s: float = 900.0) -> dict[str, Any]:
    """The newest ``limit`` traces of ``service`` (else of every service), newest first."""
    services = store.services()
    end = time.time()
    wanted = [service] if service else services
    found: dict[str, Trace] = {}
    for name in wanted:
        for trace in store.find(name, start=end - lookback_s, end=end, limit=limit):
            if trace.spans:
                found.setdefault(trace.trace_id, trace)
    newest = sorted(found.values(), key=lambda t: t.start_us, reverse=True)[:limit]
    return {"services": services, "service": service,
            "traces": [summary(t) for t in newest]}


def trace_rows(trace: Trace) -> dict[str, Any]:
    """The trace's waterfall: its summary and one row per span."""
    start = trace.start_us
    rows = [{"depth": depth, "span_id": s.span_id, "parent_span_id": s.parent_span_id,
             "service": s.service, "name": s.name, "kind": s.kind, "status": s.status,
             "status_message": s.status_message, "error": s.error,
             "offset_us": s.start_us - start, "duration_us": s.duration_us,
             "attrs": {k: str(v) for k, v in list(s.attrs.items())[:ATTRS_SHOWN]}}
            for depth, s in span_rows(trace)]
    return {**summary(trace), "rows": rows}
