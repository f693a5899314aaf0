"""A deterministic simulated payment provider living inside the service.

>>> SimulatedProvider(limit_cents=1000).charge("o1", 999).approved
True
>>> SimulatedProvider(limit_cents=1000).charge("o1", 1001).reason
'amount exceeds limit of 1000 cents'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFAULT_LIMIT_CENTS = 1_000_000


@dataclass(frozen=True)
class ChargeResult:
    """The provider's answer to one charge."""

    approved: bool
    reference: str
    reason: str | None = None


class SimulatedProvider:
    """Approves every positive amount up to `limit_cents`; declines above it, or non-positive."""

    def __init__(self, limit_cents: int = DEFAULT_LIMIT_CENTS) -> None:
        self.limit_cents = limit_cents

    def charge(self, order_id: str, amount_cents: int) -> ChargeResult:
        ref = "sim_" + hashlib.sha256(f"{order_id}:{amount_cents}".encode()).hexdigest()[:20]
        if amount_cents <= 0:
            return ChargeResult(False, ref, "amount must be positive")
        if amount_cents > self.limit_cents:
            return ChargeResult(False, ref, f"amount exceeds limit of {self.limit_cents} cents")
        return ChargeResult(True, ref)
