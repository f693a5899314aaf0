"""The shop's order flow as a chaos workload, and the audit that proves nothing was lost.

An order accepted with 201 must end ``paid`` (its stock reserved, charged exactly once);
an order that never leaves ``pending`` was lost; an order with two payments was charged
twice. The audit reads this back through the gateway, as the client would.

The client is any object with httpx-like ``get``/``post`` on the gateway (paths relative
to it), holding an enrolled API key and JWT.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sandbox.chaos.traffic import Outcome, Sender

TERMINAL = ("paid", "payment_failed", "rejected")


class GatewayHttp(Protocol):
    def get(self, url: str, **kwargs: Any) -> Any: ...

    def post(self, url: str, **kwargs: Any) -> Any: ...


def _parsed(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def order_sender(client: GatewayHttp, sku: str, deadline: float) -> Sender:
    """One customer's order per call: view the product, then order one unit of it.

    Both requests share ``deadline`` s. The outcome is the first answer that is not 2xx,
    or the order's 201 with its body.
    """

    def send() -> tuple[int, str, Any]:
        started = time.monotonic()
        viewed = client.get(f"/v1/products/{sku}", timeout=deadline)
        if not 200 <= viewed.status_code < 300:
            return viewed.status_code, viewed.headers.get("content-type", ""), _parsed(viewed)
        left = deadline - (time.monotonic() - started)
        if left <= 0:
            raise TimeoutError(f"the product page took the whole deadline of {deadline} s")
        response = client.post(
            "/v1/orders", json={"items": [{"sku": sku, "quantity": 1}]}, timeout=left
        )
        return response.status_code, response.headers.get("content-type", ""), _parsed(response)

    return send


def accepted_orders(outcomes: list[Outcome]) -> list[str]:
    """Ids of the orders the system accepted (201 with an id)."""
    return [o.body["id"] for o in outcomes
            if o.status == 201 and isinstance(o.body, dict) and "id" in o.body]


@dataclass
class Audit:
    """What became of the accepted orders."""

    accepted: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)          # never left pending (or unreadable)
    charged_twice: list[str] = field(default_factory=list)  # more than one payment
    unpaid: list[str] = field(default_factory=list)         # ended, but not paid
    unaccounted: list[str] = field(default_factory=list)    # paid without one payment on record
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (self.lost or self.charged_twice or self.unpaid or self.unaccounted)

    def describe(self) -> str:
        parts = [f"{self.accepted} accepted", f"statuses {self.statuses}"]
        if self.lost:
            parts.append(f"{len(self.lost)} lost (e.g. {self.lost[:3]})")
        if self.charged_twice:
            parts.append(f"{len(self.charged_twice)} charged twice (e.g. {self.charged_twice[:3]})")
        if self.unpaid:
            parts.append(f"{len(self.unpaid)} ended unpaid (e.g. {self.unpaid[:3]})")
        if self.unaccounted:
            parts.append(f"{len(self.unaccounted)} paid without a payment (e.g. {self.unaccounted[:3]})")
        return ", ".join(parts) + f", settled in {self.seconds:.1f} s"


def _status_of(client: GatewayHttp, order_id: str) -> str | None:
    try:
        response = client.get(f"/v1/orders/{order_id}", timeout=5)
    except Exception:  # noqa: BLE001 - unreadable now: asked again until the deadline
        return None
    body = _parsed(response) if response.status_code == 200 else None
    return body.get("status") if isinstance(body, dict) else None


def _payments_of(client: GatewayHttp, order_id: str) -> list[dict[str, Any]] | None:
    try:
        response = client.get("/v1/payments", params={"order_id": order_id}, timeout=5)
    except Exception:  # noqa: BLE001
        return None
    body = _parsed(response) if response.status_code == 200 else None
    items = body.get("items") if isinstance(body, dict) else None
    return items if isinstance(items, list) else None


def audit_orders(
    client: GatewayHttp,
    order_ids: list[str],
    timeout: float,
    interval: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
) -> Audit:
    """Wait up to ``timeout`` s for every order to end, then count each one's payments."""
    started = clock()
    deadline = started + timeout
    pending = list(dict.fromkeys(order_ids))
    final: dict[str, str] = {}
    pause = threading.Event()
    while pending:
        still = []
        for order_id in pending:
            status = _status_of(client, order_id)
            if status in TERMINAL:
                final[order_id] = status
            else:
                still.append(order_id)
        pending = still
        if not pending or clock() >= deadline:
            break
        pause.wait(interval)
    audit = Audit(accepted=len(final) + len(pending), lost=pending)
    for order_id, status in final.items():
        audit.statuses[status] = audit.statuses.get(status, 0) + 1
        if status != "paid":
            audit.unpaid.append(order_id)
        payments = _payments_of(client, order_id)
        while payments is None and clock() < deadline:
            pause.wait(interval)
            payments = _payments_of(client, order_id)
        if payments is not None and len(payments) > 1:
            audit.charged_twice.append(order_id)
        elif status == "paid" and (payments is None or len(payments) != 1):
            audit.unaccounted.append(order_id)
    audit.seconds = clock() - started
    return audit
