"""Traces and spans as the assertions see them, whatever API they were read from.

A ``Trace`` is a tuple of ``TraceSpan``; times are microseconds since the epoch (Jaeger's
unit), durations microseconds. ``kind`` is OpenTelemetry's (``server``, ``client``,
``producer``, ``consumer``, ``internal``, ``unspecified``); ``status`` is ``ok``,
``error`` or ``unset``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "error", "unset"]
KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")


def normal_trace_id(trace_id: str) -> str:
    """Lower-case, 32 hex digits (Jaeger drops leading zeros, OTLP keeps them).

    >>> normal_trace_id("ABC")
    '00000000000000000000000000000abc'
    """
    return trace_id.strip().lower().zfill(32)


@dataclass(frozen=True)
class SpanRef:
    """A reference to another span: its parent (``child_of``), or a link."""

    kind: Literal["child_of", "follows_from", "link"]
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class SpanEvent:
    """A timed event of a span (Jaeger: a span log)."""

    name: str
    time_us: int
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceSpan:
    """One span of a trace."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    service: str
    name: str
    start_us: int
    duration_us: int
    kind: str = "unspecified"
    status: Status = "unset"
    status_message: str = ""
    attrs: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[SpanEvent, ...] = ()
    refs: tuple[SpanRef, ...] = ()

    @property
    def end_us(self) -> int:
        return self.start_us + self.duration_us

    @property
    def duration_s(self) -> float:
        return self.duration_us / 1e6

    @property
    def error(self) -> bool:
        return self.status == "error"

    def label(self) -> str:
        """``service name (12.3 ms)``, with ``ERROR`` when it failed."""
        mark = " ERROR" if self.error else ""
        return f"{self.service} {self.name} ({format_duration(self.duration_us)}){mark}"


@dataclass(frozen=True)
class Trace:
    """The spans of one trace, with the tree by parent span id."""

    trace_id: str
    spans: tuple[TraceSpan, ...]

    def span(self, span_id: str) -> TraceSpan | None:
        return next((s for s in self.spans if s.span_id == span_id), None)

    def parent(self, span: TraceSpan) -> TraceSpan | None:
        return self.span(span.parent_span_id) if span.parent_span_id else None

    def children(self, span: TraceSpan) -> list[TraceSpan]:
        return sorted((s for s in self.spans if s.parent_span_id == span.span_id),
                      key=lambda s: s.start_us)

    def roots(self) -> list[TraceSpan]:
        """Spans without a parent in this trace (its parent may not have arrived yet)."""
        ids = {s.span_id for s in self.spans}
        return sorted((s for s in self.spans if s.parent_span_id not in ids),
                      key=lambda s: s.start_us)

    @property
    def start_us(self) -> int:
        return min((s.start_us for s in self.spans), default=0)

    @property
    def end_us(self) -> int:
        return max((s.end_us for s in self.spans), default=0)

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans})


def format_duration(us: float) -> str:
    """``850 us``, ``12.3 ms``, ``2.41 s``."""
    if us < 1000:
        return f"{us:.0f} us"
    if us < 1_000_000:
        return f"{us / 1000:.1f} ms"
    return f"{us / 1e6:.2f} s"
