"""The provider's ledger of charges, in memory, keyed by the merchant's idempotency key.

The same key with the same request gives back the first charge (a retry charges
nothing more); the same key with another request is refused. The provider is the
source of truth of a charge's outcome: it decides once, when the charge is made.

>>> book = ChargeBook(limit_cents=1000)
>>> first, created = book.charge("k1", ChargeRequest("o1", 999))
>>> created, first.status, first.id.startswith("ch_")
(True, 'succeeded', True)
>>> again, created = book.charge("k1", ChargeRequest("o1", 999))
>>> created, again is first
(False, True)
>>> book.charge("k1", ChargeRequest("o1", 5))
Traceback (most recent call last):
services.provider.charges.IdempotencyConflict: idempotency key reused with another request
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .decisions import DEFAULT_LIMIT_CENTS, decide

MAX_CHARGES = 100_000  # the oldest are forgotten past this: a long run stays bounded


class IdempotencyConflict(ValueError):
    """The idempotency key was used before with another request."""


@dataclass(frozen=True)
class ChargeRequest:
    """What the merchant asks to charge."""

    order_id: str
    amount_cents: int
    currency: str = "EUR"
    metadata: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Charge:
    """One decided charge."""

    id: str
    idempotency_key: str
    order_id: str
    amount_cents: int
    currency: str
    status: str  # succeeded | declined
    decline_reason: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        """The charge as the API answers it and the callbacks carry it."""
        return {"id": self.id, "idempotency_key": self.idempotency_key,
                "order_id": self.order_id, "amount_cents": self.amount_cents,
                "currency": self.currency, "status": self.status,
                "decline_reason": self.decline_reason, "metadata": dict(self.metadata),
                "created_at": self.created_at.isoformat()}


def charge_id(idempotency_key: str) -> str:
    """The charge's id, derived from its key: a restarted provider names a retried charge alike."""
    return "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


class ChargeBook:
    """Charges by idempotency key and by id; safe to share between threads."""

    def __init__(self, limit_cents: int = DEFAULT_LIMIT_CENTS) -> None:
        self.limit_cents = limit_cents
        self._by_key: dict[str, tuple[ChargeRequest, Charge]] = {}
        self._by_id: dict[str, Charge] = {}
        self._lock = threading.Lock()

    def charge(self, key: str, request: ChargeRequest) -> tuple[Charge, bool]:
        """The charge of ``key``: (charge, True) when made now, (the first, False) on a retry.

        Raises IdempotencyConflict when ``key`` was used for another request.
        """
        with self._lock:
            known = self._by_key.get(key)
            if known is not None:
                if known[0] != request:
                    raise IdempotencyConflict("idempotency key reused with another request")
                return known[1], False
            decision = decide(request.amount_cents, self.limit_cents)
            made = Charge(
                id=charge_id(key), idempotency_key=key, order_id=request.order_id,
                amount_cents=request.amount_cents, currency=request.currency,
                status="succeeded" if decision.approved else "declined",
                decline_reason=decision.reason, metadata=dict(request.metadata))
            if len(self._by_key) >= MAX_CHARGES:
                oldest = next(iter(self._by_key))
                self._by_id.pop(self._by_key.pop(oldest)[1].id, None)
            self._by_key[key] = (request, made)
            self._by_id[made.id] = made
            return made, True

    def get(self, charge_id_: str) -> Charge | None:
        """The charge with this id, if the provider knows it."""
        with self._lock:
            return self._by_id.get(charge_id_)
