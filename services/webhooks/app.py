"""webhooks HTTP API: subscriptions and deliveries (per customer), the Alertmanager sink."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Query, Request
from pydantic import BaseModel, Field, field_validator

from services.platform.app import ResourcesDep, create_app
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


app = create_app("webhooks", broker=True)
egress = EgressGuard.from_env()


@app.post("/v1/webhooks/subscriptions", status_code=201)
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


@app.get("/v1/webhooks/subscriptions")
async def subscription_list(identity: IdentityDep,
                            res: ResourcesDep) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_subscriptions(conn, identity.user_id)}


@app.get("/v1/webhooks/deliveries")
async def delivery_list(identity: IdentityDep, res: ResourcesDep,
                        order_id: Annotated[str | None, Query(max_length=64)] = None,
                        ) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_deliveries(conn, identity.user_id, order_id)}


@app.post("/internal/alerts")
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


@app.get("/internal/alerts")
async def alerts_list(res: ResourcesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      alertname: str | None = None) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_alerts(conn, limit, alertname)}
