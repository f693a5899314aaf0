"""Inbound webhooks: the payment provider's signed callbacks, verified, then published.

    POST /v1/inbound/payments   (from the provider, on the public network)

The path is outside the API gateway's routes (``/v1/webhooks/...`` there is subscription
management, behind API key and JWT): the provider calls the webhook gateway's own public
face, and its signature is its only credential.

A callback carries Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``: v1, HMAC-SHA256 over ``id.timestamp.body`` with the secret
``provider/webhook_secret``, read from the secrets emulator). It is refused with 401
problem+json when a header is missing, the signature does not match, the timestamp is
more than 5 minutes old or ahead, or its ``webhook-id`` was received before (a replay:
ids are kept in ``inbound_webhooks``). An accepted callback is recorded with its event
(``provider.charge.succeeded`` / ``provider.charge.declined``) in the webhooks outbox,
in one transaction, then relayed to the broker at once; a relay task publishes whatever
a failed publish left behind. Consumer: the payments worker records the provider's
confirmation of the charge (``services/payments/worker.py``).

>>> provider_event_type("charge.succeeded")
'provider.charge.succeeded'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Literal

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.platform.app import ResourcesDep, answers
from services.platform.events import EventPayload
from services.platform.integers import WholeNumber
from services.platform.logging import get_logger
from services.platform.outbox import OutboxRelay, add_payload
from services.platform.problem import ProblemError, validation_problem
from services.platform.resources import Resources
from services.platform.secrets import SecretsUnavailable

log = get_logger()
SECRET_NAME = "provider/webhook_secret"
SOURCE = "payments-provider"
MAX_BODY_BYTES = 64 * 1024
MAX_ID_LENGTH = 255
RELAY_INTERVAL_S = 2.0
KEEP_IDS = "7 days"  # far beyond the 5 minute tolerance: an older replay fails on its timestamp
CLAIM_SQL = ("INSERT INTO inbound_webhooks (webhook_id, source, event_type) VALUES (%s, %s, %s) "
             "ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id")
PRUNE_SQL = f"DELETE FROM inbound_webhooks WHERE received_at < now() - interval '{KEEP_IDS}'"
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


class ChargeConfirmation(BaseModel):
    """The provider's signed word on a charge, as the webhook gateway received it."""

    provider_event_id: str = Field(description="the callback's webhook-id")
    charge_id: str
    order_id: str
    amount_cents: int
    currency: str
    idempotency_key: str


class ProviderChargeSucceeded(EventPayload, ChargeConfirmation):
    """The provider confirms that it charged the order."""

    event_type: ClassVar[str] = "provider.charge.succeeded"

    status: Literal["succeeded"]


class ProviderChargeDeclined(EventPayload, ChargeConfirmation):
    """The provider confirms that it declined the order's charge."""

    event_type: ClassVar[str] = "provider.charge.declined"

    status: Literal["declined"]
    decline_reason: str = Field(description="the provider's decline reason")


CALLBACK_EVENTS = {"charge.succeeded": ProviderChargeSucceeded, "charge.declined": ProviderChargeDeclined}


def provider_event_type(callback_type: str) -> str:
    """The broker's event type of a callback type."""
    return CALLBACK_EVENTS[callback_type].event_type


class ChargeData(BaseModel):
    """The charge a callback is about (the provider's ``POST /v1/charges`` answer)."""

    id: str = Field(min_length=1, max_length=64)
    idempotency_key: str = Field(min_length=1, max_length=255)
    order_id: str = Field(min_length=1, max_length=64)
    amount_cents: WholeNumber = Field(ge=-(10**12), le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    status: Literal["succeeded", "declined"]
    decline_reason: str | None = Field(None, max_length=500)
    metadata: dict[str, str] = Field(default_factory=dict)


class ProviderCallback(BaseModel):
    """Body of a provider callback (Standard Webhooks: type, timestamp, data)."""

    type: Literal["charge.succeeded", "charge.declined"]
    timestamp: str = Field(max_length=64)
    data: ChargeData


class Received(BaseModel):
    received: str = Field(description="the webhook-id of the accepted callback")


def callback_schema() -> dict[str, Any]:
    """The JSON Schema of a callback's body, self-contained (the route reads the raw bytes:
    the signature covers them, so FastAPI does not parse the body itself)."""
    schema = ProviderCallback.model_json_schema()
    defs = schema.pop("$defs", {})
    schema["properties"]["data"] = defs["ChargeData"]
    return schema


def refused(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail)


def verify(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Raise a 401 problem unless ``headers`` sign ``body`` with ``secret`` within 5 minutes."""
    message_id = headers.get("webhook-id", "")
    if len(message_id) > MAX_ID_LENGTH:
        raise refused("webhook-id is too long")
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError as exc:
        raise refused(f"webhook signature refused: {exc}") from None
    except (ValueError, TypeError):  # a malformed signature list, base64 or a non-UTF-8 body
        raise refused("webhook signature refused: malformed signature headers or body") from None


def parse(body: bytes) -> ProviderCallback:
    """The callback's body, or a 422 problem (it was signed: the provider's mistake)."""
    try:
        return ProviderCallback.model_validate(json.loads(body))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise validation_problem(exc.errors()) from None
        raise ProblemError(422, "Unprocessable Content", "body must be JSON") from None


def payload_of(webhook_id: str, callback: ProviderCallback) -> EventPayload:
    data = callback.data
    fields: dict[str, Any] = {
        "provider_event_id": webhook_id, "charge_id": data.id, "order_id": data.order_id,
        "amount_cents": data.amount_cents, "currency": data.currency,
        "status": callback.type.removeprefix("charge."), "idempotency_key": data.idempotency_key}
    if callback.type == "charge.declined":
        fields["decline_reason"] = data.decline_reason or "declined"
    return CALLBACK_EVENTS[callback.type](**fields)


async def record(conn: Any, webhook_id: str, callback: ProviderCallback) -> bool:
    """Claim ``webhook_id`` and write its event to the outbox; False when it was seen before."""
    cur = await conn.execute(CLAIM_SQL, (webhook_id, SOURCE, callback.type))
    if await cur.fetchone() is None:
        return False
    trace_id = callback.data.metadata.get("trace_id", "")
    await add_payload(conn, payload_of(webhook_id, callback),
                      trace_id=trace_id if _TRACE_ID.match(trace_id) else None)
    return True


class Inbound:
    """The verifier's secret and the relay of the webhooks outbox."""

    def __init__(self, res: Resources) -> None:
        self.res = res
        self.secret: str | None = None
        self.relay = OutboxRelay(res.pool, res.broker.publish) if res.pool and res.broker else None

    async def load_secret(self) -> str:
        if self.secret is None:
            try:
                self.secret = await asyncio.to_thread(self.res.secrets.get, SECRET_NAME)
            except SecretsUnavailable as exc:
                log.error("inbound.secret_unavailable", error=str(exc))
                raise ProblemError(503, "Service Unavailable",
                                   "the provider's webhook secret is not available") from None
        return self.secret

    async def relay_now(self) -> None:
        """Publish what the outbox holds (best effort: the relay task retries)."""
        if self.relay is None:
            return
        try:
            await self.relay.relay_once()
        except Exception as exc:  # noqa: BLE001 - the row stays; the task publishes it later
            log.warning("inbound.relay_failed", error=str(exc))

    async def run(self, stop: asyncio.Event) -> None:
        """Relay left-overs every RELAY_INTERVAL_S and forget ids older than KEEP_IDS."""
        ticks = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RELAY_INTERVAL_S)
            await self.relay_now()
            ticks += 1
            if ticks % 1800 == 0 and self.res.pool is not None:
                try:
                    async with self.res.pool.connection() as conn:
                        await conn.execute(PRUNE_SQL)
                except Exception as exc:  # noqa: BLE001 - try again next hour
                    log.warning("inbound.prune_failed", error=str(exc))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """After the app's own lifespan opened the resources: load the secret, start the relay."""
    inbound = Inbound(app.state.resources)
    app.state.inbound = inbound
    with contextlib.suppress(ProblemError):  # logged; each callback tries again
        await inbound.load_secret()
    stop = asyncio.Event()
    task = asyncio.create_task(inbound.run(stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


router = APIRouter(lifespan=lifespan)


@router.post("/v1/inbound/payments", response_model=None,
             responses=answers(Received, 401, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": callback_schema()}}}})
async def inbound_payments(request: Request, res: ResourcesDep,
                           ) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProblemError(413, "Content Too Large", f"at most {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ProblemError(413, "Content Too Large", f"at most {MAX_BODY_BYTES} bytes")
    inbound: Inbound = request.app.state.inbound
    headers = {k.lower(): v for k, v in request.headers.items()}
    verify(await inbound.load_secret(), body, headers)
    callback = parse(body)
    webhook_id = headers["webhook-id"]
    async with res.pool.connection() as conn, conn.transaction():
        fresh = await record(conn, webhook_id, callback)
    if not fresh:
        log.warning("inbound.replayed", webhook_id=webhook_id, source=SOURCE)
        raise refused("webhook-id already received (a replay)")
    log.info("inbound.accepted", webhook_id=webhook_id, type=callback.type,
             order_id=callback.data.order_id)
    await inbound.relay_now()
    return {"received": webhook_id}


