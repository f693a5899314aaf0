"""SQL of payments."""

from __future__ import annotations

from typing import Any

COLUMNS = ("id, order_id, customer_id, amount_cents, status, decline_reason, provider_ref, "
           "created_at, (SELECT min(c.received_at) FROM provider_confirmations c "
           "WHERE c.charge_id = payments.provider_ref) AS confirmed_at")


async def insert_payment(conn: Any, payment_id: str, order_id: str, customer_id: str,
                         amount_cents: int, status: str, reason: str | None,
                         ref: str) -> bool:
    """Insert the order's payment; False when the order already has one (never charged twice)."""
    cur = await conn.execute(
        "INSERT INTO payments (id, order_id, customer_id, amount_cents, status, decline_reason, "
        "provider_ref) VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (order_id) DO NOTHING RETURNING id",
        (payment_id, order_id, customer_id, amount_cents, status, reason, ref),
    )
    return await cur.fetchone() is not None


async def payments_for_order(conn: Any, order_id: str) -> list[dict[str, Any]]:
    cur = await conn.execute(f"SELECT {COLUMNS} FROM payments WHERE order_id = %s", (order_id,))
    return await cur.fetchall()


async def record_confirmation(conn: Any, event_id: str, charge_id: str, order_id: str,
                              status: str) -> bool:
    """Store the provider's confirmation of a charge once; False when it was stored before."""
    cur = await conn.execute(
        "INSERT INTO provider_confirmations (provider_event_id, charge_id, order_id, status) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (provider_event_id) DO NOTHING "
        "RETURNING provider_event_id",
        (event_id, charge_id, order_id, status),
    )
    return await cur.fetchone() is not None


async def payment_by_ref(conn: Any, charge_id: str) -> dict[str, Any] | None:
    """The payment the provider's charge ``charge_id`` settled, if recorded yet."""
    cur = await conn.execute("SELECT id, order_id, status FROM payments WHERE provider_ref = %s",
                             (charge_id,))
    return await cur.fetchone()
