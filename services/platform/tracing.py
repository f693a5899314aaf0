"""Trace ids: taken from `traceparent`/`X-Trace-Id` or made new, kept in a contextvar.

A trace id follows the saga across HTTP (`traceparent` and `X-Trace-Id` headers) and the
broker (the envelope's `trace_id`).

>>> trace_id_from_headers({"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}) == "a" * 32
True
"""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

TRACE_HEADER = "X-Trace-Id"
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_TRACE_ID = re.compile(r"^[0-9a-f]{16,32}$")

_trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)
_span_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("span_id", default=None)


def new_trace_id() -> str:
    """A fresh 32-hex-digit trace id."""
    return secrets.token_hex(16)


def new_span_id() -> str:
    """A fresh 16-hex-digit span id."""
    return secrets.token_hex(8)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def trace_id_from_headers(headers: Mapping[str, str]) -> str:
    """The trace id of an incoming request (traceparent first, then X-Trace-Id), or a new one."""
    parent = (_get(headers, "traceparent") or "").strip().lower()
    match = _TRACEPARENT.match(parent)
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    given = (_get(headers, TRACE_HEADER) or "").strip().lower()
    if _TRACE_ID.match(given):
        return given
    return new_trace_id()


def current_trace_id() -> str | None:
    """The trace id of the current request or message, if any."""
    return _trace_id.get()


def current_span_id() -> str | None:
    """The span id of the current request or message, if any."""
    return _span_id.get()


def ensure_trace_id() -> str:
    """The current trace id; starts a new trace if none is active."""
    value = _trace_id.get()
    if value is None:
        value = new_trace_id()
        _trace_id.set(value)
        _span_id.set(new_span_id())
    return value


@contextmanager
def trace_context(trace_id: str | None = None) -> Iterator[str]:
    """Run a block under `trace_id` (or a new one) with a new span id; restores after."""
    tid = trace_id if trace_id and _TRACE_ID.match(trace_id) else new_trace_id()
    t1 = _trace_id.set(tid)
    t2 = _span_id.set(new_span_id())
    try:
        yield tid
    finally:
        _span_id.reset(t2)
        _trace_id.reset(t1)


def outbound_headers() -> dict[str, str]:
    """Headers that carry the current trace to another service."""
    tid = ensure_trace_id()
    span = current_span_id() or new_span_id()
    return {"traceparent": f"00-{tid}-{span}-01", TRACE_HEADER: tid}
