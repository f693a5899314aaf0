"""`python3 -m services.auth.worker`: relays auth's outbox and records `auth.*` audit events.

Each message lands once in `audit_events`: its id is claimed in `processed_messages` in the
same transaction (platform inbox), so a redelivery is a no-op.
"""

from __future__ import annotations

from typing import Any

from services.platform.broker import Envelope
from services.platform.inbox import process_once
from services.platform.logging import get_logger
from services.platform.resources import Resources
from services.platform.worker import run_worker

from .store import AuthStore

QUEUE = "auth"
log = get_logger()


async def record_event(res: Resources, envelope: Envelope) -> None:
    """Store one `auth.*` event in the audit trail, idempotently."""
    store = AuthStore(res.pool)

    async def effect(conn: Any, env: Envelope) -> None:
        await store.record_audit(conn, env)

    if await process_once(res.pool, envelope, effect):
        log.info("auth.audit_recorded", type=envelope["type"], message_id=envelope["id"])


def main() -> None:
    """Run the worker (consumer of queue `auth` + outbox relay + health on WORKER_PORT)."""
    run_worker(queue=QUEUE, handle=record_event)


if __name__ == "__main__":
    main()
