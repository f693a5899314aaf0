"""Events the catalog worker publishes (through its outbox): `stock.reserved`, `stock.rejected`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from services.platform.events import EventPayload


class StockReserved(EventPayload):
    """Every line of an order is reserved: payments charges it next."""

    event_type: ClassVar[str] = "stock.reserved"

    order_id: str
    total_cents: int = Field(ge=0)
    customer_id: str


class StockRejected(EventPayload):
    """An order could not be reserved (not enough stock, or bad items): it is rejected."""

    event_type: ClassVar[str] = "stock.rejected"

    order_id: str
    reason: str
