"""monolith worker: relays the outbox; payment/stock outcomes → order status (+ order.paid)."""

from __future__ import annotations

from typing import Any

from services.platform.broker import Envelope
from services.platform.inbox import process_once
from services.platform.logging import get_logger
from services.platform.outbox import add_payload
from services.platform.resources import Resources
from services.platform.worker import run_worker

from .events import OrderPaid

log = get_logger()
STATUS_BY_EVENT = {"payment.succeeded": "paid", "payment.failed": "payment_failed",
                   "stock.rejected": "rejected"}


async def status_effect(conn: Any, envelope: Envelope) -> None:
    """Move a pending order to the event's status; `paid` also emits order.paid."""
    data = envelope["data"]
    status = STATUS_BY_EVENT[envelope["type"]]
    payment_id = data.get("payment_id") if status == "paid" else None
    cur = await conn.execute(
        "UPDATE orders SET status = %s, payment_id = COALESCE(%s, payment_id), "
        "status_reason = %s, updated_at = now() WHERE id = %s AND status = 'pending' "
        "RETURNING id, customer_id, total_cents",
        (status, payment_id, data.get("reason"), data["order_id"]),
    )
    row = await cur.fetchone()
    if row is None:
        log.warning("order.transition_skipped", order_id=data["order_id"], to=status)
        return
    log.info("order.status_changed", order_id=data["order_id"], status=status)
    if status == "paid":
        await add_payload(conn, OrderPaid(
            order_id=str(row["id"]), customer_id=row["customer_id"],
            total_cents=int(row["total_cents"]), payment_id=str(payment_id),
        ), trace_id=envelope.get("trace_id"))


async def handle(res: Resources, envelope: Envelope) -> None:
    if envelope["type"] not in STATUS_BY_EVENT:
        log.warning("event.ignored", type=envelope["type"])
        return
    await process_once(res.pool, envelope, status_effect)


def main() -> None:
    run_worker(queue="monolith", handle=handle)


if __name__ == "__main__":
    main()
