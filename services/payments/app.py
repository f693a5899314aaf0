"""payments HTTP API: GET /v1/payments?order_id= (the caller's own payments; admin sees all)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from services.platform.app import ResourcesDep, answers, create_app
from services.platform.identity import IdentityDep

from . import store

app = create_app("payments")


class Payment(BaseModel):
    """One charge of an order (at most one per order)."""

    id: uuid.UUID
    order_id: uuid.UUID
    customer_id: str
    amount_cents: int = Field(ge=0)
    status: Literal["succeeded", "failed"]
    decline_reason: str | None
    provider_ref: str = Field(description="the provider's charge id")
    created_at: datetime
    confirmed_at: datetime | None = Field(
        description="when the provider's signed callback confirmed the charge (null: not yet)")


class PaymentList(BaseModel):
    """Answer of GET /v1/payments: the order's payments the caller may see."""

    items: list[Payment]


@app.get("/v1/payments", response_model=None, responses=answers(PaymentList, 422))
async def payments_list(order_id: Annotated[uuid.UUID, Query()],
                        identity: IdentityDep,
                        res: ResourcesDep) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        rows = await store.payments_for_order(conn, str(order_id))
    if not identity.has_role("admin"):
        rows = [r for r in rows if r["customer_id"] == identity.user_id]
    return {"items": rows}
