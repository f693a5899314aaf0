"""payments worker: stock.reserved → charge once per order → payment.succeeded / payment.failed."""

from __future__ import annotations

import uuid
from typing import Any

from services.platform.broker import Envelope
from services.platform.inbox import process_once
from services.platform.logging import get_logger
from services.platform.outbox import add_payload
from services.platform.resources import Resources
from services.platform.worker import run_worker

from . import store
from .events import PaymentFailed, PaymentSucceeded
from .provider import SimulatedProvider

log = get_logger()
provider = SimulatedProvider()


async def charge_effect(conn: Any, envelope: Envelope, prov: SimulatedProvider = provider) -> None:
    """Charge the order inside the inbox transaction and write the outcome to the outbox."""
    data = envelope["data"]
    order_id = str(data["order_id"])
    amount = int(data.get("total_cents") or 0)
    customer_id = str(data.get("customer_id") or "")
    result = prov.charge(order_id, amount)
    payment_id = str(uuid.uuid4())
    status = "succeeded" if result.approved else "failed"
    if not await store.insert_payment(conn, payment_id, order_id, customer_id, amount, status,
                                      result.reason, result.reference):
        log.warning("payment.duplicate_order", order_id=order_id)
        return
    payload = (PaymentSucceeded(order_id=order_id, payment_id=payment_id, amount_cents=amount)
               if result.approved else
               PaymentFailed(order_id=order_id, payment_id=payment_id, amount_cents=amount,
                             reason=result.reason or "declined"))
    await add_payload(conn, payload, trace_id=envelope.get("trace_id"))
    log.info(f"payment.{status}", order_id=order_id, payment_id=payment_id, amount_cents=amount)


async def handle(res: Resources, envelope: Envelope) -> None:
    if envelope["type"] != "stock.reserved":
        log.warning("event.ignored", type=envelope["type"])
        return
    await process_once(res.pool, envelope, charge_effect)


def main() -> None:
    run_worker(queue="payments", handle=handle)


if __name__ == "__main__":
    main()
