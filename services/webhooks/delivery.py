"""Delivering events to subscribers: signed POSTs, retried with bounded backoff.

Deliveries live in the database (`pending` → `delivered` | `failed`). The dispatcher
leases due rows (SKIP LOCKED), POSTs each body with a 5 s timeout and records the result;
a failed attempt is retried after `backoff(attempt)` until MAX_ATTEMPTS.

Every POST goes through the egress proxy when ``EGRESS_PROXY_URL`` is set (in the
topology: the worker's link ``webhooks-worker->egress``): the proxy resolves the
subscriber's host, refuses private destinations (403, ``Proxy-Status:
egress; error=destination_ip_prohibited``) and connects to the address it checked.
Without a proxy the worker checks each destination itself before the POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.egress.answers import proxy_error
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


def egress_proxy_url(environ: Mapping[str, str] | None = None) -> str | None:
    """``EGRESS_PROXY_URL`` (``http://host:port``), or None when deliveries go direct.

    >>> egress_proxy_url({"EGRESS_PROXY_URL": "http://toxiproxy:20011"})
    'http://toxiproxy:20011'
    >>> egress_proxy_url({}) is None
    True
    """
    e = os.environ if environ is None else environ
    url = (e.get("EGRESS_PROXY_URL") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"EGRESS_PROXY_URL={url!r} is not a proxy address: "
                         "write it as http://HOST:PORT (the worker's link to egress)")
    return url


def delivery_client(proxy_url: str | None) -> httpx.AsyncClient:
    """The HTTP client of deliveries: through ``proxy_url`` when given, no redirects, and
    no proxy taken from the environment (``HTTP_PROXY`` would also catch other clients)."""
    return httpx.AsyncClient(follow_redirects=False, proxy=proxy_url, trust_env=False)


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
    the guard refuses is not contacted at all; one the egress proxy refuses or cannot
    reach has no status code (the subscriber never answered) and the proxy's reason."""
    try:
        if guard is not None:
            await guard.check(url)
    except DestinationRefused as exc:
        return False, None, f"destination refused: {exc}"[:500]
    try:
        resp = await client.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return False, None, f"{type(exc).__name__}: {exc}"[:500]
    error = proxy_error(resp.headers)
    if error is not None:
        try:
            detail = str(resp.json().get("detail") or "")
        except ValueError:
            detail = ""
        prefix = "destination refused" if error == "destination_ip_prohibited" else f"egress {error}"
        return False, None, f"{prefix}: {detail or resp.status_code}"[:500]
    if 200 <= resp.status_code < 300:
        return True, resp.status_code, None
    return False, resp.status_code, f"HTTP {resp.status_code}"


class Dispatcher:
    """Background task delivering due deliveries; `wake()` after new rows are committed.

    With ``proxy_url`` (the egress proxy) the proxy checks each destination; without, the
    dispatcher does (``guard``, by default from ``PRIVATE_SUBNET``).
    """

    def __init__(self, pool: Any, secret: str, client: httpx.AsyncClient | None = None, *,
                 poll_interval: float = 0.5, batch: int = 10,
                 guard: EgressGuard | None = None, proxy_url: str | None = None) -> None:
        self._pool = pool
        if guard is None and proxy_url is None:
            guard = EgressGuard.from_env()
        self._guard = guard
        self._secret = secret
        self._client = client or delivery_client(proxy_url)
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
