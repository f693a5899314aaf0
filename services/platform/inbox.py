"""Idempotent consumer: the message id is recorded with the effect, in one transaction.

A duplicate delivery finds its id in `processed_messages` and is skipped (and then acked
by the broker layer). Concurrent duplicates block on the primary key until the first
commits, then see the conflict.

>>> async def effect(conn, envelope): ...                       # doctest: +SKIP
>>> await process_once(pool, envelope, effect)                  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .broker import Envelope
from .logging import get_logger

CLAIM_SQL = (
    "INSERT INTO processed_messages (message_id, type) VALUES (%s, %s) "
    "ON CONFLICT (message_id) DO NOTHING RETURNING message_id"
)
Effect = Callable[[Any, Envelope], Awaitable[None]]
log = get_logger()


async def claim(conn: Any, envelope: Envelope) -> bool:
    """Record the message id on `conn`'s transaction; False if it was already processed."""
    cur = await conn.execute(CLAIM_SQL, (envelope["id"], envelope["type"]))
    return await cur.fetchone() is not None


async def process_once(pool: Any, envelope: Envelope, effect: Effect) -> bool:
    """Run `effect(conn, envelope)` once per message id; returns False for a duplicate."""
    async with pool.connection() as conn, conn.transaction():
        if not await claim(conn, envelope):
            log.info("inbox.duplicate", message_id=envelope["id"], type=envelope["type"])
            return False
        await effect(conn, envelope)
        return True
