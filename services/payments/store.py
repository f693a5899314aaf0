"""SQL of payments."""

from __future__ import annotations

from typing import Any

COLUMNS = ("id, order_id, customer_id, amount_cents, status, decline_reason, provider_ref, "
           "created_at")


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
