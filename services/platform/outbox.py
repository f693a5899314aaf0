"""Transactional outbox: events written in the caller's transaction, relayed to the broker.

Schema: `services/platform/schema.sql`, in every service's database. The relay locks a batch
of unpublished rows with `FOR UPDATE SKIP LOCKED` (so several relays never publish the
same row), publishes them in id order with confirms, then marks them published in the
same transaction. A failed publish stops the batch: later rows wait, order is kept.
Each row keeps the `traceparent` of the transaction that wrote it, and is published under
it: the trace goes on from the request through the relay to the consumers.

>>> add_event_sync(conn, "order.created", {"order_id": "o1"})   # doctest: +SKIP
>>> await add_payload(conn, OrderPaid(order_id="o1", ...))       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg.types.json import Jsonb

from .broker import Envelope, make_envelope
from .events import EventPayload
from .logging import get_logger
from .tracing import attached, current_traceparent

INSERT_SQL = ("INSERT INTO outbox (message_id, type, envelope, traceparent) "
              "VALUES (%s, %s, %s, %s)")
SELECT_BATCH_SQL = (
    "SELECT id, envelope, traceparent FROM outbox WHERE published_at IS NULL "
    "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
)
MARK_SQL = "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)"
Publish = Callable[[Envelope], Awaitable[None]]
log = get_logger()


def _insert_params(type_: str, data: dict[str, Any], trace_id: str | None) -> tuple[Envelope, tuple]:
    envelope = make_envelope(type_, data, trace_id=trace_id)
    return envelope, (envelope["id"], type_, Jsonb(envelope), current_traceparent())


def add_event_sync(conn: Any, type_: str, data: dict[str, Any], *, trace_id: str | None = None) -> Envelope:
    """Write an event into `outbox` on a sync connection, inside the caller's transaction."""
    envelope, params = _insert_params(type_, data, trace_id)
    conn.execute(INSERT_SQL, params)
    return envelope


async def add_event(conn: Any, type_: str, data: dict[str, Any], *, trace_id: str | None = None) -> Envelope:
    """Write an event into `outbox` on an async connection, inside the caller's transaction."""
    envelope, params = _insert_params(type_, data, trace_id)
    await conn.execute(INSERT_SQL, params)
    return envelope


def add_payload_sync(conn: Any, payload: EventPayload, *, trace_id: str | None = None) -> Envelope:
    """`add_event_sync` of a payload model: its `event_type`, its validated data."""
    return add_event_sync(conn, payload.event_type, payload.data(), trace_id=trace_id)


async def add_payload(conn: Any, payload: EventPayload, *, trace_id: str | None = None) -> Envelope:
    """`add_event` of a payload model (how the services publish: `services/*/events.py`)."""
    return await add_event(conn, payload.event_type, payload.data(), trace_id=trace_id)


class OutboxRelay:
    """Publishes unpublished outbox rows in order; run `run(stop)` as a task."""

    def __init__(self, pool: Any, publish: Publish, *, batch_size: int = 50,
                 poll_interval: float = 0.2) -> None:
        self._pool = pool
        self._publish = publish
        self._batch_size = batch_size
        self._poll_interval = poll_interval

    async def relay_once(self) -> int:
        """Relay one batch; returns how many rows were published and marked."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(SELECT_BATCH_SQL, (self._batch_size,))
            rows = await cur.fetchall()
            done: list[int] = []
            for row in rows:
                try:
                    with attached({"traceparent": row.get("traceparent")}):
                        await self._publish(row["envelope"])
                except Exception as exc:  # noqa: BLE001 - keep order: stop at the first failure
                    log.warning("outbox.publish_failed", outbox_id=row["id"], error=str(exc))
                    break
                done.append(row["id"])
            if done:
                await conn.execute(MARK_SQL, (done,))
            return len(done)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; polls when idle, drains at once when busy."""
        while not stop.is_set():
            try:
                published = await self.relay_once()
            except Exception as exc:  # noqa: BLE001 - database hiccup: try again next tick
                log.warning("outbox.relay_failed", error=str(exc))
                published = 0
            if published < self._batch_size:
                try:
                    await asyncio.wait_for(stop.wait(), self._poll_interval)
                except TimeoutError:
                    pass
