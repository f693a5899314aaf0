"""Events the payments worker publishes (through its outbox): `payment.succeeded`, `payment.failed`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from services.platform.events import EventPayload


class PaymentSucceeded(EventPayload):
    """The provider approved the order's charge: the order becomes paid."""

    event_type: ClassVar[str] = "payment.succeeded"

    order_id: str
    payment_id: str
    amount_cents: int = Field(ge=0)


class PaymentFailed(EventPayload):
    """The provider declined the order's charge."""

    event_type: ClassVar[str] = "payment.failed"

    order_id: str
    payment_id: str
    amount_cents: int = Field(ge=0)
    reason: str = Field(description="the provider's decline reason")
