"""What consumers relied on, collected while their tests run (then written as pacts).

The mocks and the broker double report every answer here; nothing is kept unless a
recorder is active and the consumer is known (the ``consumer`` marker, or the mock's
``consumer=``). A consumer relies on what it sent that the contract names (declared
parameters and headers, the body) and on the whole answer.

>>> rec = Recorder()
>>> with rec.context(consumer="monolith", test="test_price"):
...     record_message(None, "monolith", "order.created", {"id": "e1"}, [], recorder=rec)
...     rec.interactions[0].consumer, rec.interactions[0].description
('monolith', 'test_price: order.created')
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .openapi import Operation
from .validation import NO_BODY, Exchange

ACTIVE: Recorder | None = None
"""The recorder of this process (set by the pytest plugin), or None: nothing is kept."""


@dataclass
class Interaction:
    """One consumer→provider interaction, in plain values (see ``mocks.pacts``)."""

    consumer: str
    provider: str
    description: str
    kind: str                                  # "http" | "message"
    provider_states: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)


class Recorder:
    """Interactions per test; ``context()`` names the consumer and the test."""

    def __init__(self) -> None:
        self.interactions: list[Interaction] = []
        self._consumer: str | None = None
        self._test = ""
        self._counts: dict[str, int] = {}

    @contextlib.contextmanager
    def context(self, *, consumer: str | None, test: str) -> Iterator[Recorder]:
        self._consumer, self._test, self._counts = consumer, test, {}
        try:
            yield self
        finally:
            self._consumer, self._test = None, ""

    def describe(self, what: str) -> str:
        base = f"{self._test}: {what}" if self._test else what
        self._counts[base] = self._counts.get(base, 0) + 1
        n = self._counts[base]
        return base if n == 1 else f"{base} #{n}"

    def add(self, consumer: str | None, interaction: dict[str, Any]) -> None:
        consumer = consumer or self._consumer
        if not consumer:
            return
        self.interactions.append(Interaction(consumer=consumer, **interaction))


def record_http(consumer: str | None, provider: str, op: Operation | None, ex: Exchange,
                status: int, headers: dict[str, str], body: Any, states: list[str],
                recorder: Recorder | None = None) -> None:
    """Keep one HTTP interaction a mock served."""
    rec = recorder or ACTIVE
    if rec is None:
        return
    declared = {p.name.lower(): p.name for p in (op.parameters if op else ())
                if p.location == "header"}
    sent = {declared[k]: v for k, v in ex.headers.items() if k in declared}
    request: dict[str, Any] = {"method": ex.method, "path": ex.path}
    if ex.query:
        request["query"] = {k: list(v) for k, v in sorted(ex.query.items())}
    if ex.body is not NO_BODY:
        sent["Content-Type"] = (ex.content_type or "application/json").split(";")[0]
        request["body"] = ex.body
    if sent:
        request["headers"] = dict(sorted(sent.items()))
    kept = {_title(k): v for k, v in headers.items() if k.lower() != "content-length"}
    response: dict[str, Any] = {"status": status}
    if kept:
        response["headers"] = dict(sorted(kept.items()))
    if body is not NO_BODY:
        response["body"] = body
    what = f"{op.key if op else ex.method + ' ' + ex.path} → {status}"
    rec.add(consumer, {"provider": provider, "description": rec.describe(what), "kind": "http",
                       "provider_states": sorted(set(states)), "request": request,
                       "response": response})


def record_message(consumer: str | None, provider: str, routing_key: str,
                   envelope: dict[str, Any], states: list[str],
                   recorder: Recorder | None = None) -> None:
    """Keep one event a consumer was fed."""
    rec = recorder or ACTIVE
    if rec is None:
        return
    rec.add(consumer, {"provider": provider, "description": rec.describe(routing_key),
                       "kind": "message", "provider_states": sorted(set(states)),
                       "message": {"routing_key": routing_key, "content": envelope}})


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))
