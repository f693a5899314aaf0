"""SQL of the catalog: products and stock reservation."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

COLUMNS = "sku, name, price_cents, stock"


class InsufficientStock(Exception):
    """A reservation could not take every item; carries the first sku that failed."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"insufficient stock for {sku}")
        self.sku = sku


async def get_product(conn: Any, sku: str) -> dict[str, Any] | None:
    cur = await conn.execute(f"SELECT {COLUMNS} FROM products WHERE sku = %s", (sku,))
    return await cur.fetchone()


async def list_products(conn: Any, limit: int, offset: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM products ORDER BY sku LIMIT %s OFFSET %s", (limit, offset)
    )
    return await cur.fetchall()


async def insert_product(conn: Any, sku: str, name: str, price_cents: int, stock: int) -> dict[str, Any] | None:
    """Insert a product; None when the sku exists already."""
    cur = await conn.execute(
        "INSERT INTO products (sku, name, price_cents, stock) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (sku) DO NOTHING RETURNING {COLUMNS}",
        (sku, name, price_cents, stock),
    )
    return await cur.fetchone()


def quantities_by_sku(items: list[dict[str, Any]]) -> dict[str, int]:
    """Sum quantities per sku, sorted by sku (a fixed lock order avoids deadlocks).

    >>> quantities_by_sku([{"sku": "b", "quantity": 1}, {"sku": "a", "quantity": 2},
    ...                    {"sku": "b", "quantity": 3}])
    {'a': 2, 'b': 4}
    """
    totals: dict[str, int] = defaultdict(int)
    for item in items:
        quantity = int(item["quantity"])
        if quantity <= 0:
            raise ValueError(f"quantity of {item['sku']} must be positive")
        totals[str(item["sku"])] += quantity
    return dict(sorted(totals.items()))


async def reserve(conn: Any, order_id: str, items: list[dict[str, Any]]) -> dict[str, int]:
    """Take every item's stock or none (savepoint); raises InsufficientStock."""
    wanted = quantities_by_sku(items)
    async with conn.transaction():  # a savepoint inside the caller's transaction
        for sku, quantity in wanted.items():
            cur = await conn.execute(
                "UPDATE products SET stock = stock - %s, updated_at = now() "
                "WHERE sku = %s AND stock >= %s RETURNING sku",
                (quantity, sku, quantity),
            )
            if await cur.fetchone() is None:
                raise InsufficientStock(sku)
        from psycopg.types.json import Jsonb

        await conn.execute(
            "INSERT INTO reservations (order_id, items) VALUES (%s, %s)",
            (order_id, Jsonb(wanted)),
        )
    return wanted
