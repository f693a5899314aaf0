"""Delivering events to subscribers: signed POSTs, retried with bounded backoff.

Deliveries live in the database (`pending` → `delivered` | `failed`). The dispatcher
leases due rows (SKIP LOCKED), POSTs each body with a 5 s timeout and records the result;
a failed attempt is retried after `backoff(attempt)` until MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx

from services.platform.logging import get_logger
from services.platform.tracing import trace_context

from . import store
from .egress import DestinationRefused, EgressGuard
from .signing import canonical_body, sign

MAX_ATTEMPTS = 5
TIMEOUT_S = 5.0
LEASE_S = 30.0
log = get_logger()


def backoff(attempt: int, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds before retry after failed attempt number `attempt` (1-based).

    >>> [backoff(n) for n in range(1, 6)]
    [1.0, 2.0, 4.0, 8.0, 16.0]
    """
    return min(cap, base * 2 ** (attempt - 1))


def build_request(delivery_id: str, event: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery."""
    body = canonical_body(event)
    trace_id = event.get("trace_id") or ""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "sandbox-webhooks/1",
        "X-Sandbox-Event": str(event.get("type", "")),
        "X-Sandbox-Delivery": delivery_id,
        "X-Sandbox-Signature": sign(body, secret),
    }
    if trace_id:
        headers["X-Trace-Id"] = trace_id
    return body, headers


async def attempt(client: httpx.AsyncClient, url: str, body: bytes,
                  headers: dict[str, str],
                  guard: EgressGuard | None = None) -> tuple[bool, int | None, str | None]:
    """POST once; (delivered, status code, error). Any 2xx is delivered. A destination
    the guard refuses is not contacted at all."""
    try:
        if guard is not None:
            await guard.check(url)
    except DestinationRefused as exc:
        return False, None, f"destination refused: {exc}"[:500]
    try:
        resp = await client.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return False, None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= resp.status_code < 300:
        return True, resp.status_code, None
    return False, resp.status_code, f"HTTP {resp.status_code}"


class Dispatcher:
    """Background task delivering due deliveries; `wake()` after new rows are committed."""

    def __init__(self, pool: Any, secret: str, client: httpx.AsyncClient | None = None, *,
                 poll_interval: float = 0.5, batch: int = 10,
                 guard: EgressGuard | None = None) -> None:
        self._pool = pool
        self._guard = guard if guard is not None else EgressGuard.from_env()
        self._secret = secret
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self._poll = poll_interval
        self._batch = batch
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def deliver_due(self) -> int:
        """Deliver one batch of due deliveries; returns how many were attempted."""
        async with self._pool.connection() as conn:
            rows = await store.claim_due(conn, self._batch, LEASE_S)
        if rows:
            await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: dict[str, Any]) -> None:
        delivery_id = str(row["id"])
        event = row["body"]
        with trace_context(event.get("trace_id")):
            body, headers = build_request(delivery_id, event, self._secret)
            ok, code, error = await attempt(self._client, row["url"], body, headers, self._guard)
            number = int(row["attempts"]) + 1
            give_up = not ok and number >= MAX_ATTEMPTS
            async with self._pool.connection() as conn:
                await store.record_attempt(conn, delivery_id, ok=ok, status_code=code, error=error,
                                           give_up=give_up, retry_in_s=backoff(number))
            log.info("webhook.delivered" if ok else ("webhook.failed" if give_up else "webhook.retry"),
                     delivery_id=delivery_id, event_type=row["event_type"], attempt=number,
                     status_code=code, error=error)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = await self.deliver_due() >= self._batch
            except Exception as exc:  # noqa: BLE001 - database hiccup: retry next tick
                log.warning("webhook.dispatch_failed", error=str(exc))
                busy = False
            if not busy:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                self._wake.clear()

    async def aclose(self) -> None:
        """Stop the loop (the current batch finishes) and close the HTTP client."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, LEASE_S)
        await self._client.aclose()
