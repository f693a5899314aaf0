"""A broker double: takes what services publish, feeds events to consumers under test.

Every event is checked against the AsyncAPI schema of its routing key (its ``type``);
a publish or a given event that breaks it raises ContractViolation naming the field::

    events order.created: data.total_cents: 'x' is not of type 'integer'

    broker = BrokerDouble(seed=3)
    env = broker.event("order.created", data={"items": [{"sku": "A", "quantity": 1,
                                                         "price_cents": 5}]})
    await broker.deliver(env, "catalog", services.catalog.worker.handle, res)
    broker.relay(res.pool)     # → [stock.reserved envelope], checked against the contract
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from . import recording
from .asyncapi import EventsContract, EventType
from .errors import ContractViolation, MocksError
from .fakedata import FakeData
from .state import merge

Envelope = dict[str, Any]
Handler = Callable[[Any, Envelope], Awaitable[Any]]
OUTBOX_INSERT = "INSERT INTO outbox"


class BrokerDouble:
    """The exchange ``events`` in memory: ``publish`` (Broker's signature), ``relay`` (an
    outbox of a fake pool), ``event`` (a contract-valid envelope), ``deliver`` (to a
    consumer's handler)."""

    def __init__(self, *, seed: int = 0, contracts_dir: Path | str | None = None,
                 contract: EventsContract | None = None) -> None:
        self.contract = contract or EventsContract.load(contracts_dir)
        self.fake = FakeData(self.contract.checker, seed)
        self.published: list[Envelope] = []
        self.delivered: list[tuple[str, Envelope]] = []
        self._relayed: set[int] = set()
        self._made = 0

    def problems(self, envelope: Envelope) -> list[str]:
        """How ``envelope`` breaks the schema of its type (empty: it keeps it)."""
        kind = self.contract.event(str(envelope.get("type")))
        return self.contract.checker.problems(kind.schema, envelope)

    def check(self, envelope: Envelope) -> EventType:
        if not isinstance(envelope, dict) or "type" not in envelope:
            raise ContractViolation("events", ["(document): an envelope needs a 'type'"])
        kind = self.contract.event(str(envelope["type"]))
        problems = self.problems(envelope)
        if problems:
            raise ContractViolation(kind.where(), problems)
        return kind

    async def publish(self, envelope: Envelope, *, timeout: float = 5.0) -> None:
        """What ``services.platform.broker.Broker.publish`` does, checked, kept in memory."""
        self.check(envelope)
        self.published.append(envelope)

    def relay(self, pool: Any) -> list[Envelope]:
        """Publish the outbox rows a fake pool (``services/platform/fakes.py``) received
        since the last relay, as the OutboxRelay would; returns them."""
        conn = pool.conn
        out = []
        for index, (sql, params) in enumerate(conn.executed):
            if OUTBOX_INSERT not in sql or (id(conn), index) in self._relayed:
                continue
            self._relayed.add((id(conn), index))
            envelope = getattr(params[2], "obj", params[2])
            self.check(envelope)
            self.published.append(envelope)
            out.append(envelope)
        return out

    def of_type(self, type_: str) -> list[Envelope]:
        return [e for e in self.published if e.get("type") == type_]

    def event(self, type_: str, *, data: dict[str, Any] | None = None,
              **fields: Any) -> Envelope:
        """A contract-valid envelope of ``type_`` (faker, seeded), ``data`` and envelope
        ``fields`` (``id``, ``trace_id``...) laid over it."""
        kind = self.contract.event(type_)
        self._made += 1
        envelope = self.fake.value(kind.schema, key=f"event|{type_}|{self._made}")
        envelope["type"] = type_
        if data:
            envelope["data"] = merge(envelope.get("data") or {}, data)
            envelope["data"].update({k: v for k, v in data.items()
                                     if k not in envelope["data"]})
        envelope.update(fields)
        self.check(envelope)
        return envelope

    async def deliver(self, envelope: Envelope | str, queue: str, handler: Handler,
                      res: Any, *, data: dict[str, Any] | None = None) -> Envelope:
        """Feed an event (or a new one of that type) to ``handler(res, envelope)`` as the
        consumer of ``queue``; the queue must consume that type in the contract."""
        if isinstance(envelope, str):
            envelope = self.event(envelope, data=data)
        kind = self.check(envelope)
        if queue not in kind.consumers:
            raise MocksError(f"queue {queue!r} does not consume {kind.name} in "
                             f"events.asyncapi.json (its consumers: "
                             f"{', '.join(kind.consumers) or 'none'})")
        self.delivered.append((queue, envelope))
        for publisher in kind.publishers or ("unknown",):
            recording.record_message(queue, publisher, kind.name, envelope, [])
        await handler(res, envelope)
        return envelope
