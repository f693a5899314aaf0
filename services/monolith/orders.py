"""Order placement logic: validate the request, price it from catalog, store it with its event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
from pydantic import (
    BaseModel,
    Field,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from services.platform.integers import WholeNumber
from services.platform.outbox import add_payload_sync
from services.platform.problem import ProblemError, validation_problem
from services.platform.tracing import outbound_headers

from .events import OrderCreated, OrderLine

MAX_ITEMS = 50
MAX_QUANTITY = 1000
CATALOG_TIMEOUT_S = 2.0
ORDER_COLUMNS = "id, customer_id, status, total_cents, payment_id, status_reason, created_at"


# the shape of a catalog SKU (services/catalog/app.py): anything else cannot name a product
Sku = Annotated[StrictStr, StringConstraints(min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9._-]+$")]


class OrderItemIn(BaseModel):
    """One line of POST /v1/orders."""

    sku: Sku
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)


class OrderRequest(BaseModel):
    """Body of POST /v1/orders."""

    items: list[OrderItemIn] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _one_cap_per_sku(self) -> OrderRequest:
        """Lines naming the same SKU count together against the per-line cap."""
        totals: dict[str, int] = {}
        for item in self.items:
            totals[item.sku] = totals.get(item.sku, 0) + item.quantity
            if totals[item.sku] > MAX_QUANTITY:
                raise ValueError(f"the lines of sku {item.sku!r} add up to more than "
                                 f"{MAX_QUANTITY}: at most {MAX_QUANTITY} of one product per order")
        return self


class OrderPlaced(BaseModel):
    """Answer of POST /v1/orders: the stored order, pending until its payment."""

    id: str
    status: Literal["pending"]
    total_cents: int = Field(ge=0)
    items: list[OrderLine]
    customer_id: str


class OrderItem(BaseModel):
    """A line of a stored order, with the product's name at the time."""

    sku: str
    name: str
    quantity: int = Field(ge=1)
    price_cents: int = Field(ge=0)


class Order(BaseModel):
    """Answer of GET /v1/orders/{order_id}."""

    id: str
    customer_id: str
    status: Literal["pending", "paid", "rejected", "payment_failed"]
    total_cents: int = Field(ge=0)
    payment_id: str | None
    status_reason: str | None
    created_at: datetime
    items: list[OrderItem]


class Customer(BaseModel):
    """Answer of GET /v1/customers/me: the caller as a customer (created on first use)."""

    id: str
    client_id: str
    created_at: datetime


def validate_items(body: Any) -> list[dict[str, Any]]:
    """The request's items (checked by `OrderRequest`), or a 422 problem naming the field.

    >>> validate_items({"items": [{"sku": "A", "quantity": 2}]})
    [{'sku': 'A', 'quantity': 2}]
    """
    try:
        order = OrderRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_problem(exc.errors()) from None
    return [item.model_dump() for item in order.items]


class CatalogClient:
    """Reads products from catalog's internal API (2 s timeout)."""

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=CATALOG_TIMEOUT_S)

    def product(self, sku: str) -> dict[str, Any]:
        """The product; 422 problem if unknown, 503 if catalog fails, 504 on timeout."""
        try:
            resp = self._client.get(f"{self._base}/internal/products/{_quote(sku)}",
                                    headers=outbound_headers())
        except httpx.TimeoutException as exc:
            raise ProblemError(503, "Service Unavailable", "catalog did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ProblemError(503, "Service Unavailable", "catalog is unavailable") from exc
        if resp.status_code == 404:
            raise ProblemError(422, "Unprocessable Content", f"unknown sku {sku!r}")
        if resp.status_code != 200:
            raise ProblemError(503, "Service Unavailable", f"catalog answered {resp.status_code}")
        try:
            product = resp.json()
            return {"sku": product["sku"], "name": product["name"],
                    "price_cents": int(product["price_cents"])}
        except (ValueError, KeyError, TypeError) as exc:
            raise ProblemError(503, "Service Unavailable", "catalog sent a bad product") from exc


def _quote(sku: str) -> str:
    from urllib.parse import quote

    return quote(sku, safe="")


def price_items(items: list[dict[str, Any]], catalog: CatalogClient) -> list[dict[str, Any]]:
    """Each item with the catalog's name and unit price (one read per distinct sku)."""
    products: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["sku"] not in products:
            products[item["sku"]] = catalog.product(item["sku"])
    return [{**item, "name": products[item["sku"]]["name"],
             "price_cents": products[item["sku"]]["price_cents"]} for item in items]


def ensure_customer(conn: Any, user_id: str, client_id: str) -> dict[str, Any]:
    """The customer of this user, created on first use."""
    conn.execute("INSERT INTO customers (id, client_id) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
                 (user_id, client_id))
    row = conn.execute("SELECT id, client_id, created_at FROM customers WHERE id = %s",
                       (user_id,)).fetchone()
    return {**row, "created_at": _iso(row.get("created_at"))}


def create_order(conn: Any, customer_id: str, priced: list[dict[str, Any]]) -> dict[str, Any]:
    """Insert the order, its items and the `order.created` outbox event (caller's transaction)."""
    order_id = str(uuid.uuid4())
    total = sum(i["price_cents"] * i["quantity"] for i in priced)
    conn.execute("INSERT INTO orders (id, customer_id, total_cents) VALUES (%s, %s, %s)",
                 (order_id, customer_id, total))
    for line, item in enumerate(priced, start=1):
        conn.execute(
            "INSERT INTO order_items (order_id, line, sku, name, quantity, price_cents) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (order_id, line, item["sku"], item["name"], item["quantity"], item["price_cents"]),
        )
    event = OrderCreated(
        order_id=order_id, customer_id=customer_id, total_cents=total,
        items=[OrderLine(sku=i["sku"], quantity=i["quantity"], price_cents=i["price_cents"])
               for i in priced])
    add_payload_sync(conn, event)
    items = event.data()["items"]
    return {"id": order_id, "status": "pending", "total_cents": total, "items": items,
            "customer_id": customer_id}


def load_order(conn: Any, order_id: str, customer_id: str) -> dict[str, Any] | None:
    """The customer's order with items, or None (other customers' orders are invisible)."""
    order = conn.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = %s AND customer_id = %s",
                         (order_id, customer_id)).fetchone()
    if order is None:
        return None
    items = conn.execute("SELECT sku, name, quantity, price_cents FROM order_items "
                         "WHERE order_id = %s ORDER BY line", (order_id,)).fetchall()
    return {**order, "id": str(order["id"]), "created_at": _iso(order.get("created_at")),
            "payment_id": str(order["payment_id"]) if order["payment_id"] else None,
            "items": items}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
