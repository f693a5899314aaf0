"""payments worker: stock.reserved → a charge at the provider → payment.succeeded / payment.failed;
the provider's signed confirmations (provider.charge.*, from the webhook gateway) → recorded.

The charge is made over HTTP (``provider.py``: through egress, with a timeout, retried
under the order's idempotency key) before the inbox transaction, so no database
transaction waits on the provider; a redelivered message asks the provider again and
gets the same charge back. The provider's answer is the outcome: there is no fallback.
"""

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
from .provider import ChargeResult, ProviderClient

log = get_logger()
CONFIRMATIONS = ("provider.charge.succeeded", "provider.charge.declined")
"""The webhook gateway's events of the provider's verified callbacks."""


async def charge_effect(conn: Any, envelope: Envelope, result: ChargeResult) -> None:
    """Record the provider's answer inside the inbox transaction, its event in the outbox."""
    data = envelope["data"]
    order_id = str(data["order_id"])
    amount = int(data.get("total_cents") or 0)
    customer_id = str(data.get("customer_id") or "")
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
    log.info(f"payment.{status}", order_id=order_id, payment_id=payment_id, amount_cents=amount,
             provider_ref=result.reference)


async def confirm_effect(conn: Any, envelope: Envelope) -> None:
    """Record the provider's signed confirmation of a charge (and say when it disagrees)."""
    data = envelope["data"]
    order_id, charge_id = str(data["order_id"]), str(data["charge_id"])
    status = str(data["status"])
    await store.record_confirmation(conn, str(data["provider_event_id"]), charge_id, order_id,
                                    status)
    recorded = await store.payment_by_ref(conn, charge_id)
    expected = "succeeded" if status == "succeeded" else "failed"
    if recorded is not None and recorded["status"] != expected:
        log.error("payment.provider_mismatch", order_id=order_id, charge_id=charge_id,
                  recorded=recorded["status"], provider=status)
    log.info("payment.confirmed", order_id=order_id, charge_id=charge_id, status=status,
             recorded=recorded is not None)


async def charge(res: Resources, envelope: Envelope) -> None:
    data = envelope["data"]
    provider: ProviderClient = res.extra["provider"]
    trace = {"trace_id": envelope["trace_id"]} if envelope.get("trace_id") else {}
    result = await provider.charge(str(data["order_id"]), int(data.get("total_cents") or 0),
                                   metadata=trace)

    async def effect(conn: Any, env: Envelope) -> None:
        await charge_effect(conn, env, result)

    await process_once(res.pool, envelope, effect)


async def handle(res: Resources, envelope: Envelope) -> None:
    if envelope["type"] == "stock.reserved":
        await charge(res, envelope)
    elif envelope["type"] in CONFIRMATIONS:
        await process_once(res.pool, envelope, confirm_effect)
    else:
        log.warning("event.ignored", type=envelope["type"])


async def setup(res: Resources) -> None:
    provider = ProviderClient.from_env()
    res.extra["provider"] = provider
    log.info("payments.provider", url=provider.base_url)


def main() -> None:
    run_worker(queue="payments", handle=handle, setup=setup)


if __name__ == "__main__":
    main()
