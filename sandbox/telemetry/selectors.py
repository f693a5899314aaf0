"""Span selectors: which span a test expects, said as data, and why a span is not it.

A string matches exactly, a compiled pattern (``re.compile``) by ``search``. ``attrs``
values compare equal (or as text: ``500`` matches ``"500"``), or by pattern.
``child_of`` / ``parent_of`` take another selector: the span's parent must match it, or
one of its children. ``max_duration`` is in seconds.

>>> import re
>>> Span(service="gateway", name=re.compile(r"^POST /v1/orders"), status="ok")
Span(service='gateway', name=re.compile('^POST /v1/orders'), status='ok')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.telemetry.model import Status, Trace, TraceSpan, format_duration

Text = str | re.Pattern[str]


def _text_matches(want: Text, value: str) -> bool:
    return bool(want.search(value)) if isinstance(want, re.Pattern) else want == value


def _value_matches(want: Any, value: Any) -> bool:
    if isinstance(want, re.Pattern):
        return value is not None and bool(want.search(str(value)))
    return want == value or (value is not None and str(want) == str(value))


def _show(want: Any) -> str:
    return f"re.compile({want.pattern!r})" if isinstance(want, re.Pattern) else repr(want)


@dataclass(frozen=True)
class Span:
    """A selector of spans; every given criterion must hold."""

    service: Text | None = None
    name: Text | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    status: Status | None = None
    kind: str | None = None
    child_of: Span | None = None
    parent_of: Span | None = None
    max_duration: float | None = None

    def __repr__(self) -> str:
        parts = []
        for key in ("service", "name", "attrs", "status", "kind", "child_of", "parent_of",
                    "max_duration"):
            value = getattr(self, key)
            if value is None or (key == "attrs" and not value):
                continue
            if key == "attrs":
                shown = "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
            else:
                shown = repr(value) if isinstance(value, Span) else _show(value)
            parts.append(f"{key}={shown}")
        return f"Span({', '.join(parts)})"

    def mismatches(self, span: TraceSpan, trace: Trace) -> list[str]:
        """Why ``span`` is not selected (empty when it is)."""
        why = []
        if self.service is not None and not _text_matches(self.service, span.service):
            why.append(f"service is {span.service!r}, not {_show(self.service)}")
        if self.name is not None and not _text_matches(self.name, span.name):
            why.append(f"name is {span.name!r}, not {_show(self.name)}")
        for key, want in self.attrs.items():
            if key not in span.attrs:
                why.append(f"has no attribute {key!r}")
            elif not _value_matches(want, span.attrs[key]):
                why.append(f"{key} is {span.attrs[key]!r}, not {_show(want)}")
        if self.status is not None and span.status != self.status:
            why.append(f"status is {span.status}, not {self.status}")
        if self.kind is not None and span.kind != self.kind:
            why.append(f"kind is {span.kind}, not {self.kind}")
        if self.max_duration is not None and span.duration_us > self.max_duration * 1e6:
            why.append(f"took {format_duration(span.duration_us)}, more than "
                       f"{format_duration(self.max_duration * 1e6)}")
        if self.child_of is not None:
            parent = trace.parent(span)
            if parent is None:
                why.append("has no parent in the trace")
            elif not self.child_of.matches(parent, trace):
                why.append(f"its parent {parent.service} {parent.name!r} is not {self.child_of!r}")
        if self.parent_of is not None and not any(
            self.parent_of.matches(c, trace) for c in trace.children(span)
        ):
            why.append(f"no child of it is {self.parent_of!r}")
        return why

    def matches(self, span: TraceSpan, trace: Trace) -> bool:
        return not self.mismatches(span, trace)

    def select(self, trace: Trace) -> list[TraceSpan]:
        """Every span of ``trace`` this selector matches, by start time."""
        return sorted((s for s in trace.spans if self.matches(s, trace)), key=lambda s: s.start_us)

    def closest(self, trace: Trace, count: int = 3) -> list[tuple[TraceSpan, list[str]]]:
        """The spans that miss the fewest criteria (service and name first), with what each
        misses."""
        def identity_misses(span: TraceSpan) -> int:  # another service or name: farther
            return sum(want is not None and not _text_matches(want, value)
                       for want, value in ((self.service, span.service), (self.name, span.name)))

        scored = [(s, self.mismatches(s, trace)) for s in trace.spans]
        scored.sort(key=lambda pair: (identity_misses(pair[0]), len(pair[1]), pair[0].start_us))
        return scored[:count]


SpanSelector = Span
