"""Events the monolith publishes (through its outbox): `order.created`, `order.paid`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from services.platform.events import EventPayload


class OrderLine(BaseModel):
    """One line of an order as placed: what and how many, at the catalog's unit price."""

    model_config = ConfigDict(extra="forbid")

    sku: str
    quantity: int = Field(ge=1)
    price_cents: int = Field(ge=0, description="the unit price when the order was placed")


class OrderCreated(EventPayload):
    """An order was stored (status pending): catalog reserves its stock next."""

    event_type: ClassVar[str] = "order.created"

    order_id: str
    customer_id: str
    items: list[OrderLine] = Field(min_length=1)
    total_cents: int = Field(ge=0)


class OrderPaid(EventPayload):
    """An order's payment succeeded and the order is now paid."""

    event_type: ClassVar[str] = "order.paid"

    order_id: str
    customer_id: str
    total_cents: int = Field(ge=0)
    payment_id: str
