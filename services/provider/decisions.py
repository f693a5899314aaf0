"""The provider's deterministic decision on a charge: the same amount always gets the same answer.

>>> decide(999, limit_cents=1000)
Decision(approved=True, reason=None)
>>> decide(1001, limit_cents=1000).reason
'amount exceeds limit of 1000 cents'
>>> decide(0).reason
'amount must be positive'
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LIMIT_CENTS = 1_000_000


@dataclass(frozen=True)
class Decision:
    """Approved, or declined with a reason."""

    approved: bool
    reason: str | None = None


def decide(amount_cents: int, limit_cents: int = DEFAULT_LIMIT_CENTS) -> Decision:
    """Approve every positive amount up to ``limit_cents``; decline above it, or non-positive."""
    if amount_cents <= 0:
        return Decision(False, "amount must be positive")
    if amount_cents > limit_cents:
        return Decision(False, f"amount exceeds limit of {limit_cents} cents")
    return Decision(True)
