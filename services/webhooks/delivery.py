"""Delivering events to subscribers: signed POSTs, retried with jittered backoff, then dead.

Deliveries live in the database (`pending` → `delivered` | `dead`). The dispatcher
leases due rows (SKIP LOCKED), signs each body by the Standard Webhooks specification
with its subscription's secret(s) (``signing``), POSTs it with a 5 s timeout and records
the result:

- any 2xx: delivered;
- 410 Gone: the subscriber wants no more: the subscription is disabled (its pending
  deliveries die with it) and the delivery is dead at once;
- anything else (another status, no answer, a redirect, which is never followed, a
  destination egress refuses): retried after ``backoff(attempt)``, exponential with full
  jitter (a random wait between 0 and ``min(cap, base * 2**(attempt-1))``), until
  MAX_ATTEMPTS; then the delivery is ``dead``: the dead-letter state, listed by
  ``GET /v1/webhooks/deliveries?status=dead``, never attempted again.

Each attempt is signed afresh (``webhook-timestamp`` is the attempt's time), under the
same ``webhook-id`` (the delivery's id), so a subscriber dedupes retries on it.

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
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.egress.answers import proxy_error
from services.platform.logging import get_logger
from services.platform.tracing import mark_error, span_from

from . import store
from .egress import DestinationRefused, EgressGuard
from .signing import canonical_body, signature_headers

MAX_ATTEMPTS = 5
TIMEOUT_S = 5.0
LEASE_S = 30.0
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
GONE = 410
"""The answer that disables a subscription (Standard Webhooks: the endpoint is gone)."""
EVENT_HEADER = "X-Sandbox-Event"
log = get_logger()


def backoff_ceiling(attempt: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """The longest wait after failed attempt number `attempt` (1-based): exponential, capped.

    >>> [backoff_ceiling(n) for n in range(1, 8)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    """
    return min(cap, base * 2 ** (attempt - 1))


def backoff(attempt: int, rng: random.Random | None = None, base: float = BACKOFF_BASE_S,
            cap: float = BACKOFF_CAP_S) -> float:
    """Seconds before the retry after failed attempt `attempt`: full jitter, a uniform draw
    in [0, backoff_ceiling(attempt)], so retries of many deliveries spread out instead of
    arriving together.

    >>> rng = random.Random(7)
    >>> [round(backoff(n, rng), 3) for n in range(1, 5)]
    [0.324, 0.302, 2.604, 0.579]
    """
    return (rng or random).uniform(0.0, backoff_ceiling(attempt, base, cap))


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


def build_request(delivery_id: str, event: dict[str, Any], secrets: str | Sequence[str],
                  timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt of a delivery: ``webhook-id`` (the delivery's id),
    ``webhook-timestamp`` (``timestamp``, now by default) and ``webhook-signature``, one
    ``v1,`` signature per secret (the current one first)."""
    body = canonical_body(event)
    trace_id = event.get("trace_id") or ""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "sandbox-webhooks/1",
        EVENT_HEADER: str(event.get("type", "")),
        **signature_headers(delivery_id, stamp, body, keys),
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


def row_secrets(row: Mapping[str, Any]) -> list[str]:
    """The secrets a claimed delivery is signed with: its subscription's current one, and
    the previous one while the rotation's overlap lasts."""
    return [s for s in (row.get("secret"), row.get("previous_secret")) if s]


class Dispatcher:
    """Background task delivering due deliveries; `wake()` after new rows are committed.

    With ``proxy_url`` (the egress proxy) the proxy checks each destination; without, the
    dispatcher does (``guard``, by default from ``SANDBOX_SUBNETS``). ``rng`` draws the
    backoff's jitter (seed it in tests).
    """

    def __init__(self, pool: Any, client: httpx.AsyncClient | None = None, *,
                 poll_interval: float = 0.5, batch: int = 10,
                 guard: EgressGuard | None = None, proxy_url: str | None = None,
                 rng: random.Random | None = None, max_attempts: int = MAX_ATTEMPTS,
                 clock: Callable[[], float] = time.time) -> None:
        self._pool = pool
        if guard is None and proxy_url is None:
            guard = EgressGuard.from_env()
        self._guard = guard
        self._rng = rng or random.Random()
        self._max_attempts = max_attempts
        self._clock = clock
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
        with span_from({"traceparent": row.get("traceparent")}, "webhook deliver", attributes={
                "sandbox.delivery.id": delivery_id, "sandbox.event.type": row["event_type"],
                "sandbox.attempt": int(row["attempts"]) + 1}) as span:
            if row.get("subscription_status", "active") != "active":
                async with self._pool.connection() as conn:
                    await store.record_attempt(conn, delivery_id, ok=False, status_code=None,
                                               error="subscription disabled: not sent",
                                               give_up=True, retry_in_s=0)
                log.info("webhook.dead", delivery_id=delivery_id, reason="subscription disabled")
                return
            body, headers = build_request(delivery_id, event, row_secrets(row),
                                          int(self._clock()))
            ok, code, error = await attempt(self._client, row["url"], body, headers, self._guard)
            if not ok:
                mark_error(span, error or f"the subscriber answered {code}")
            number = int(row["attempts"]) + 1
            gone = code == GONE
            give_up = not ok and (gone or number >= self._max_attempts)
            wait = 0.0 if ok or give_up else backoff(number, self._rng)
            async with self._pool.connection() as conn:
                if gone:
                    await store.disable_subscription(conn, str(row["subscription_id"]),
                                                     "the subscriber answered 410 Gone")
                await store.record_attempt(conn, delivery_id, ok=ok, status_code=code, error=error,
                                           give_up=give_up, retry_in_s=wait)
            log.info("webhook.delivered" if ok else ("webhook.dead" if give_up else "webhook.retry"),
                     delivery_id=delivery_id, event_type=row["event_type"], attempt=number,
                     status_code=code, error=error, retry_in_s=round(wait, 3) if wait else None,
                     subscription_disabled=gone or None)

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
