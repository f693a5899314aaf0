"""webhooks HTTP API: subscriptions and deliveries (per customer), the Alertmanager sink.

A subscription's signing secret (``whsec_...``, Standard Webhooks) is answered once, by
its creation, and again only by a rotation (``POST .../{id}/secret``, which returns the
new one); no list or read shows it. A subscriber answering 410 disables its
subscription (``status: disabled``). Deliveries out of attempts are ``dead`` (the
dead-letter state): ``GET /v1/webhooks/deliveries?status=dead``, and
``POST /v1/webhooks/deliveries/{id}/retry`` puts one back (a redrive).
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Body, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator

from services.platform.app import ResourcesDep, answers, create_app
from services.platform.identity import IdentityDep
from services.platform.integers import WholeNumber
from services.platform.logging import get_logger
from services.platform.problem import ProblemError

from . import store
from .egress import DestinationRefused, EgressGuard, url_problem
from .inbound import router as inbound_router
from .signing import new_secret

log = get_logger()
EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$"
OVERLAP_DEFAULT_S = 86400
OVERLAP_MAX_S = 7 * 86400
SECRET_DESCRIPTION = ("the subscription's signing secret (Standard Webhooks, `whsec_` and "
                      "base64): shown only in this answer, keep it")


class SubscriptionIn(BaseModel):
    """Body of POST /v1/webhooks/subscriptions."""

    url: str = Field(min_length=1, max_length=2000, json_schema_extra={"format": "uri"})
    events: list[Annotated[str, Field(max_length=200, pattern=EVENT_PATTERN)]] = Field(
        min_length=1, max_length=20)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("url must be an absolute http(s) URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http(s) URL")
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("events")
    @classmethod
    def _event_types(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class Subscription(BaseModel):
    """A customer's subscription: events matching `events` are POSTed to `url`."""

    id: uuid.UUID
    customer_id: str
    url: str
    events: list[str]
    created_at: datetime
    status: Literal["active", "disabled"] = Field(
        description="`disabled` once the subscriber answered 410 Gone: nothing more is sent")
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    secret_rotated_at: datetime | None = None
    previous_secret_expires_at: datetime | None = Field(
        None, description="until then deliveries carry a signature of the previous secret too")


class SubscriptionWithSecret(Subscription):
    """A subscription as its creation (or a secret rotation) answers: with its secret."""

    secret: str = Field(pattern=r"^whsec_[A-Za-z0-9+/]+={0,2}$", description=SECRET_DESCRIPTION)


class SubscriptionList(BaseModel):
    items: list[Subscription]


class SecretRotation(BaseModel):
    """Body of POST /v1/webhooks/subscriptions/{id}/secret (optional)."""

    overlap_seconds: WholeNumber = Field(
        OVERLAP_DEFAULT_S, ge=0, le=OVERLAP_MAX_S,
        description="how long the previous secret keeps signing beside the new one "
                    "(space-separated signatures); 0 ends it at once")


DEFAULT_ROTATION = SecretRotation()


class Delivery(BaseModel):
    """One event's delivery to one subscription, with its attempts so far."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    order_id: str | None
    url: str
    status: Literal["pending", "delivered", "dead"] = Field(
        description="`dead`: the dead-letter state, never attempted again (out of attempts, "
                    "410 Gone, or its subscription disabled)")
    attempts: int = Field(ge=0)
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None = Field(
        None, description="when a pending delivery is attempted next")


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
app.include_router(inbound_router)  # the payment provider's signed callbacks
egress = EgressGuard.from_env()


@app.post("/v1/webhooks/subscriptions", status_code=201, response_model=None,
          responses=answers(SubscriptionWithSecret, 422, status=201))
async def subscription_create(body: SubscriptionIn, identity: IdentityDep,
                              res: ResourcesDep) -> dict[str, Any]:
    try:
        await egress.check(body.url)
    except DestinationRefused as exc:
        raise ProblemError(422, "Unprocessable Entity", f"url refused: {exc}") from None
    secret = new_secret()
    async with res.pool.connection() as conn:
        sub = await store.create_subscription(conn, identity.user_id, body.url, body.events,
                                              secret)
    log.info("subscription.created", subscription_id=str(sub["id"]), customer_id=identity.user_id)
    return {**sub, "secret": secret}


@app.get("/v1/webhooks/subscriptions", response_model=None,
         responses=answers(SubscriptionList))
async def subscription_list(identity: IdentityDep,
                            res: ResourcesDep) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_subscriptions(conn, identity.user_id)}


@app.get("/v1/webhooks/subscriptions/{subscription_id}", response_model=None,
         responses=answers(Subscription, 404, 422))
async def subscription_read(subscription_id: uuid.UUID, identity: IdentityDep,
                            res: ResourcesDep) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        sub = await store.get_subscription(conn, identity.user_id, str(subscription_id))
    if sub is None:
        raise ProblemError(404, "Not Found", "no such subscription")
    return sub


@app.post("/v1/webhooks/subscriptions/{subscription_id}/secret", response_model=None,
          responses=answers(SubscriptionWithSecret, 404, 422))
async def subscription_rotate_secret(
        subscription_id: uuid.UUID, identity: IdentityDep, res: ResourcesDep,
        body: Annotated[SecretRotation, Body()] = DEFAULT_ROTATION) -> dict[str, Any]:
    overlap = body.overlap_seconds
    secret = new_secret()
    async with res.pool.connection() as conn:
        sub = await store.rotate_secret(conn, identity.user_id, str(subscription_id), secret,
                                        overlap)
    if sub is None:
        raise ProblemError(404, "Not Found", "no such subscription")
    log.info("subscription.secret_rotated", subscription_id=str(subscription_id),
             customer_id=identity.user_id, overlap_s=overlap)
    return {**sub, "secret": secret}


@app.get("/v1/webhooks/deliveries", response_model=None,
         responses=answers(DeliveryList, 422))
async def delivery_list(identity: IdentityDep, res: ResourcesDep,
                        order_id: Annotated[str | None, Query(max_length=64)] = None,
                        status: Annotated[Literal["pending", "delivered", "dead"] | None,
                                          Query(description="`dead`: the dead-letter queue")
                                          ] = None,
                        subscription_id: uuid.UUID | None = None,
                        ) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_deliveries(
            conn, identity.user_id, order_id, status,
            str(subscription_id) if subscription_id else None)}


@app.post("/v1/webhooks/deliveries/{delivery_id}/retry", status_code=202, response_model=None,
          responses=answers(Delivery, 404, 409, 422, status=202,
                            description="back to pending: attempted again from the first "
                                        "attempt, within a second"))
async def delivery_redrive(delivery_id: uuid.UUID, identity: IdentityDep,
                           res: ResourcesDep) -> dict[str, Any]:
    """Take a delivery out of the dead-letter state (a redrive of the DLQ)."""
    async with res.pool.connection() as conn:
        found = await store.get_delivery(conn, identity.user_id, str(delivery_id))
        if found is None:
            raise ProblemError(404, "Not Found", "no such delivery")
        if found["status"] != "dead":
            raise ProblemError(409, "Conflict", f"the delivery is {found['status']}, not dead")
        if found["subscription_status"] != "active":
            raise ProblemError(409, "Conflict", "its subscription is disabled")
        row = await store.redrive(conn, identity.user_id, str(delivery_id))
    if row is None:
        raise ProblemError(409, "Conflict", "the delivery is no longer dead")
    log.info("webhook.redriven", delivery_id=str(delivery_id), customer_id=identity.user_id)
    return row


SINK_TOKEN_SECRET = "alerts/sink_token"
SINK_TOKEN_MAX_AGE_S = 5.0  # a rotated token is in force within this


def sink_caller(request: Request, res: ResourcesDep) -> None:
    """The alert sink answers only Alertmanager: `Authorization: Bearer <alerts/sink_token>`
    (a run secret Alertmanager reads from its file); 401 problem otherwise."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    expected = res.secrets.get(SINK_TOKEN_SECRET, max_age_s=SINK_TOKEN_MAX_AGE_S)
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                             expected.encode()):
        raise ProblemError(401, "Unauthorized", "the alert sink needs its bearer token")


SinkDep = Annotated[None, Depends(sink_caller)]


@app.post("/internal/alerts", response_model=None,
          responses=answers(AlertsStored, 400, 401, 422),
          openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
              "schema": {"type": "object", "description": "an Alertmanager webhook payload",
                         "properties": {"alerts": {"type": "array",
                                                   "items": {"type": "object"}}}}}}}})
async def alerts_receive(request: Request, res: ResourcesDep, _: SinkDep) -> dict[str, Any]:
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


@app.get("/internal/alerts", response_model=None, responses=answers(AlertList, 401, 422))
async def alerts_list(res: ResourcesDep, _: SinkDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      alertname: str | None = None) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        return {"items": await store.list_alerts(conn, limit, alertname)}
