"""The provider's callbacks: each decided charge becomes one signed event POSTed to the merchant.

An event is sent after the charge is answered (asynchronously, from a queue), signed
with Standard Webhooks headers (``signing.py``). Every attempt keeps the event's
``webhook-id`` and is signed afresh with its own timestamp. A transport error, a 5xx,
408 or 429 is retried with exponential backoff and jitter, at most ``MAX_ATTEMPTS``
times; any other answer ends the event (2xx: delivered; 4xx: refused by the merchant).
What was sent is kept (``sent``): the provider's dashboard, ``GET /v1/events``.

>>> event_body(Charge("ch_1", "k", "o1", 5, "EUR", "succeeded", None), "2026-01-01T00:00:00Z")
b'{"data":{"amount_cents":5,...,"status":"succeeded"},"timestamp":"2026-01-01T00:00:00Z","type":"charge.succeeded"}'
>>> [retry_delay(n, jitter=lambda: 1.0) for n in (1, 2, 3, 9)]
[0.5, 1.0, 2.0, 30.0]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from services.platform.logging import get_logger

from .charges import Charge
from .signing import signed_headers

MAX_ATTEMPTS = 6
TIMEOUT_S = 5.0
RETRIED_STATUSES = frozenset({408, 429})
KEPT_EVENTS = 10_000
log = get_logger()


def event_body(charge: Charge, timestamp: str) -> bytes:
    """The exact bytes of the event (compact JSON, sorted keys), as signed and sent."""
    doc = {"type": f"charge.{charge.status}", "timestamp": timestamp, "data": charge.as_json()}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def retry_delay(attempt: int, base: float = 0.5, cap: float = 30.0,
                jitter: Callable[[], float] = random.random) -> float:
    """Seconds before the retry after failed attempt ``attempt`` (1-based): exponential,
    capped, with full jitter (``jitter()`` in [0, 1); 1.0 gives the bound itself)."""
    return min(cap, base * 2 ** (attempt - 1)) * jitter()


def retried(status: int | None) -> bool:
    """True when an attempt that ended so should be made again (None: no answer)."""
    return status is None or status >= 500 or status in RETRIED_STATUSES


@dataclass
class SentEvent:
    """One event and its attempts, as the provider's dashboard shows them."""

    webhook_id: str
    type: str
    order_id: str
    charge_id: str
    url: str
    body: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"  # pending | delivered | refused | failed

    def as_json(self) -> dict[str, Any]:
        return {"webhook_id": self.webhook_id, "type": self.type, "order_id": self.order_id,
                "charge_id": self.charge_id, "url": self.url, "body": self.body,
                "state": self.state, "attempts": list(self.attempts)}


class Notifier:
    """Queues one event per decided charge and sends it, retried, to ``url``."""

    def __init__(self, url: str, secret: str, *, client: httpx.AsyncClient | None = None,
                 max_attempts: int = MAX_ATTEMPTS,
                 delay: Callable[[int], float] = retry_delay) -> None:
        self.url = url
        self._secret = secret
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False,
                                                   trust_env=False)
        self._max_attempts = max_attempts
        self._delay = delay
        self._queue: asyncio.Queue[SentEvent] = asyncio.Queue()
        self._tasks: set[asyncio.Task] = set()
        self._runner: asyncio.Task | None = None
        self.sent: deque[SentEvent] = deque(maxlen=KEPT_EVENTS)

    def notify(self, charge: Charge) -> SentEvent:
        """Queue the event of a charge just decided; returns its record."""
        timestamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        body = event_body(charge, timestamp)
        event = SentEvent(webhook_id=f"msg_{uuid.uuid4().hex}", type=f"charge.{charge.status}",
                          order_id=charge.order_id, charge_id=charge.id, url=self.url,
                          body=body.decode())
        self.sent.append(event)
        self._queue.put_nowait(event)
        return event

    def start(self) -> None:
        """Start sending queued events (on the running loop)."""
        self._runner = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            task = asyncio.create_task(self.deliver(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def deliver(self, event: SentEvent) -> None:
        """Send ``event`` until delivered, refused or out of attempts."""
        body = event.body.encode()
        for attempt in range(1, self._max_attempts + 1):
            headers = {**signed_headers(self._secret, event.webhook_id, body),
                       "content-type": "application/json", "user-agent": "sandbox-provider/1"}
            status: int | None = None
            error: str | None = None
            try:
                response = await self._client.post(self.url, content=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            event.attempts.append({"at": datetime.now(UTC).isoformat(), "status": status,
                                   "error": error, "webhook-timestamp":
                                   headers["webhook-timestamp"]})
            if not retried(status):
                event.state = "delivered" if status is not None and status < 300 else "refused"
                log.info("callback.done", webhook_id=event.webhook_id, state=event.state,
                         status=status, attempt=attempt, order_id=event.order_id)
                return
            log.warning("callback.retry", webhook_id=event.webhook_id, status=status,
                        error=error, attempt=attempt)
            if attempt < self._max_attempts:
                await asyncio.sleep(self._delay(attempt))
        event.state = "failed"
        log.error("callback.failed", webhook_id=event.webhook_id, order_id=event.order_id)

    async def aclose(self) -> None:
        """Stop sending and close the client."""
        for task in [self._runner, *self._tasks]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._client.aclose()
