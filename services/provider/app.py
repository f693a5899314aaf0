"""The provider's HTTP API: charges with an idempotency key; the events it sent.

    POST /v1/charges            Idempotency-Key header; 201 a new charge, 200 its retry,
                                422 the key reused with another request
    GET  /v1/charges/{id}       a charge (404 unknown)
    GET  /v1/events?order_id=   the signed callbacks sent (the provider's dashboard)

Each new charge is decided at once (``decisions.py``) and answered; its signed event is
then POSTed to ``PROVIDER_CALLBACK_URL`` (``callbacks.py``). The signing secret is the
merchant's endpoint secret (``secret.py``).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Header, Path, Query, Response
from pydantic import BaseModel, Field

from services.platform.app import answers, create_app
from services.platform.integers import WholeNumber
from services.platform.logging import get_logger
from services.platform.problem import ProblemError
from services.platform.resources import Resources

from .callbacks import Notifier
from .charges import ChargeBook, ChargeRequest, IdempotencyConflict
from .secret import webhook_secret

log = get_logger()
DEFAULT_CALLBACK_URL = "http://webhooks:8000/v1/inbound/payments"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


class ChargeIn(BaseModel):
    """Body of POST /v1/charges."""

    order_id: str = Field(min_length=1, max_length=64, description="the merchant's reference")
    amount_cents: WholeNumber = Field(ge=-(10**12), le=10**12)
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    metadata: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=500)]] = (
        Field(default_factory=dict, max_length=20,
              description="echoed in the charge and its callback (e.g. trace_id)"))


class ChargeOut(BaseModel):
    """A decided charge: the provider's word on it."""

    id: str
    idempotency_key: str
    order_id: str
    amount_cents: int
    currency: str
    status: Literal["succeeded", "declined"]
    decline_reason: str | None
    metadata: dict[str, str]
    created_at: datetime


class SentEventOut(BaseModel):
    """One callback and its attempts."""

    webhook_id: str
    type: str
    order_id: str
    charge_id: str
    url: str
    body: str = Field(description="the exact bytes sent and signed")
    state: Literal["pending", "delivered", "refused", "failed"]
    attempts: list[dict[str, Any]]


class SentEventList(BaseModel):
    items: list[SentEventOut]


async def setup(res: Resources) -> None:
    url = os.environ.get("PROVIDER_CALLBACK_URL") or DEFAULT_CALLBACK_URL
    notifier = Notifier(url, webhook_secret())
    notifier.start()
    res.extra["notifier"] = notifier
    res.extra["charges"] = ChargeBook()
    log.info("provider.ready", callback_url=url)


app = create_app("provider", setup=setup, database=False, broker=False, identity=False)


def _state() -> tuple[ChargeBook, Notifier]:
    res: Resources = app.state.resources
    return res.extra["charges"], res.extra["notifier"]


@app.post("/v1/charges", status_code=201, response_model=None,
          responses={**answers(ChargeOut, 422, status=201),
                     200: {"model": ChargeOut, "description": "the charge of a retried request"}})
async def charge_create(body: ChargeIn, response: Response,
                        idempotency_key: Annotated[str, Header(
                            alias="Idempotency-Key", pattern=KEY_PATTERN,
                            description="the merchant's key: a retry charges nothing more")],
                        ) -> dict[str, Any]:
    book, notifier = _state()
    request = ChargeRequest(body.order_id, body.amount_cents, body.currency,
                            tuple(sorted(body.metadata.items())))
    try:
        charge, created = book.charge(idempotency_key, request)
    except IdempotencyConflict as exc:
        raise ProblemError(422, "Unprocessable Content", str(exc)) from None
    if created:
        notifier.notify(charge)
        log.info(f"charge.{charge.status}", charge_id=charge.id, order_id=charge.order_id,
                 amount_cents=charge.amount_cents)
    else:
        response.status_code = 200
    return charge.as_json()


@app.get("/v1/charges/{charge_id}", response_model=None, responses=answers(ChargeOut, 404))
async def charge_get(charge_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    book, _ = _state()
    charge = book.get(charge_id)
    if charge is None:
        raise ProblemError(404, "Not Found", "no such charge")
    return charge.as_json()


@app.get("/v1/events", response_model=None, responses=answers(SentEventList, 422))
async def events_list(order_id: Annotated[str | None, Query(max_length=64)] = None,
                      ) -> dict[str, Any]:
    _, notifier = _state()
    return {"items": [e.as_json() for e in notifier.sent
                      if order_id is None or e.order_id == order_id]}
