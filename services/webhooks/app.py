"""webhooks HTTP API: subscriptions and deliveries (per customer), the Alertmanager sink."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Query, Request
from pydantic import BaseModel, Field, field_validator

from services.platform.app import ResourcesDep, answers, create_app
from services.platform.identity import IdentityDep
from services.platform.logging import get_logger
from services.platform.problem import ProblemError

from . import store
from .egress import DestinationRefused, EgressGuard

log = get_logger()
EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$"


class SubscriptionIn(BaseModel):
    """Body of POST /v1/webhooks/subscriptions."""

    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1, max_length=20)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http(s) URL")
        return value

    @field_validator("events")
    @classmethod
    def _event_types(cls, value: list[str]) -> list[str]:
        import re

        for event in value:
            if not re.match(EVENT_PATTERN, event):
                raise ValueError(f"bad event type {event!r}")
        return sorted(set(value))


class Subscription(BaseModel):
    """A customer's subscription: events matching `events` are POSTed to `url`."""

    id: uuid.UUID
    customer_id: str
    url: str
    events: list[str]
    created_at: datetime


class SubscriptionList(BaseModel):
    items: list[Subscription]


class Delivery(BaseModel):
    """One event's delivery to one subscription, with its attempts so far."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    order_id: str | None
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(ge=0)
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    """Answer of GET /v1/webhooks/deliveries (at most 200, oldest first)."""

    items: list[Delivery]


class AlertsStored(BaseModel):
    stored: int = Field(ge=0, description="how many alerts of the payload were stored")


class Alert(BaseModel):
    """An alert as received from Alertmanager."""

    id: int
    received_at: datetime
    alertname: str | None
    status: str | None
    labels: dict[str, Any]
    annotations: dict[str, Any]
    starts_at: str | None
    receiver: str | None


class AlertList(BaseModel):
    items: list[Alert]


app = create_app("webhooks", broker=True)
egress = EgressGuard.from_env()


@app.post("/v1/webhooks/subscriptions", status_code=201, response_model=None,
          responses=answers(Subscription, 422, status=201))
async def subscription_create(body: SubscriptionIn, identity: IdentityDep,
                              res: ResourcesDep) -> dict[str, Any]:
    try:
        await egress.check(body.url)
    except DestinationRefused as exc:
        raise ProblemError(422, "Unprocessable Entity", f"url refused: {exc}") from None
    async with res.pool.connection() as conn:
        sub = await store.create_subscription(conn, identity.user_id, body.url, body.events)
    log.info("subscription.created", subscription_id=str(sub["id"]), customer_id=identity.user_id)
    return sub


@app.get("/v1/webhooks/subscriptions", response_model=None,
         responses=answers(SubscriptionList))
async def subscription_list(identity: IdentityDep,
                            res: ResourcesDep) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_subscriptions(conn, identity.user_id)}


@app.get("/v1/webhooks/deliveries", response_model=None,
         responses=answers(DeliveryList, 422))
async def delivery_list(identity: IdentityDep, res: ResourcesDep,
                        order_id: Annotated[str | None, Query(max_length=64)] = None,
                        ) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_deliveries(conn, identity.user_id, order_id)}


@app.post("/internal/alerts", response_model=None, responses=answers(AlertsStored, 400, 422),
          openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
              "schema": {"type": "object", "description": "an Alertmanager webhook payload",
                         "properties": {"alerts": {"type": "array",
                                                   "items": {"type": "object"}}}}}}}})
async def alerts_receive(request: Request, res: ResourcesDep) -> dict[str, Any]:
    try:
        payload = await request.json()
    except ValueError as exc:
        raise ProblemError(400, "Bad Request", "body must be JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts", []), list):
        raise ProblemError(422, "Unprocessable Content", "expected an Alertmanager webhook payload")
    async with res.pool.connection() as conn:
        stored = await store.store_alerts(conn, payload)
    log.info("alerts.received", count=stored, status=payload.get("status"))
    return {"stored": stored}


@app.get("/internal/alerts", response_model=None, responses=answers(AlertList, 422))
async def alerts_list(res: ResourcesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      alertname: str | None = None) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_alerts(conn, limit, alertname)}
