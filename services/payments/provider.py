"""The payments side of the external payment provider: charges over HTTP, through egress.

The provider (``services/provider``, a container on the public network) is the source
of truth of a charge's outcome; there is no local fallback. Payments is on the private
network only, so every call goes through the egress proxy (``EGRESS_PROXY_URL``, the
link ``payments-worker->egress``) to ``PROVIDER_URL``. Each call has a timeout; a charge
is retried (a transport error, a timeout, 5xx or 429) because it carries an idempotency
key derived from the order: a retry charges nothing more. When the provider stays
unreachable the charge raises ``ProviderUnavailable`` (a ConnectionError: the broker
layer retries the message for as long as the outage lasts); an answer it cannot use
raises ``ProviderRefused`` (the message's fault: bounded retries, then the DLQ).

>>> idempotency_key("0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00")
'payments-order-0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00'
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.platform.logging import get_logger

TIMEOUT_S = 5.0
ATTEMPTS = 3
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_URL = "http://provider:8000"
log = get_logger()


class ProviderUnavailable(ConnectionError):
    """The provider gave no usable answer after every attempt (an outage: retried later)."""


class ProviderRefused(ValueError):
    """The provider refused the charge request itself (a 4xx), or answered nonsense."""


@dataclass(frozen=True)
class ChargeResult:
    """The provider's answer to one charge."""

    approved: bool
    reference: str
    reason: str | None = None


def idempotency_key(order_id: str) -> str:
    """The key of an order's charge: one charge per order, whoever retries."""
    return f"payments-order-{order_id}"


def result_of(doc: Any) -> ChargeResult:
    """The ChargeResult of the provider's charge document; ProviderRefused if malformed."""
    if not isinstance(doc, dict) or doc.get("status") not in ("succeeded", "declined") \
            or not isinstance(doc.get("id"), str):
        raise ProviderRefused("the provider's answer is not a charge")
    approved = doc["status"] == "succeeded"
    reason = None if approved else str(doc.get("decline_reason") or "declined")
    return ChargeResult(approved, doc["id"], reason)


def provider_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """(``PROVIDER_URL``, ``EGRESS_PROXY_URL`` or None for a direct connection).

    >>> provider_settings({"EGRESS_PROXY_URL": "http://toxiproxy:20011"})
    ('http://provider:8000', 'http://toxiproxy:20011')
    """
    e = os.environ if environ is None else environ
    url = (e.get("PROVIDER_URL") or DEFAULT_URL).rstrip("/")
    proxy = (e.get("EGRESS_PROXY_URL") or "").strip() or None
    for name, value in (("PROVIDER_URL", url), ("EGRESS_PROXY_URL", proxy)):
        if value is not None and (urlsplit(value).scheme != "http" or not urlsplit(value).hostname):
            raise ValueError(f"{name}={value!r} is not an address: write it as http://HOST:PORT")
    return url, proxy


class ProviderClient:
    """Charges orders at the provider; one HTTP client, kept alive, through the proxy."""

    def __init__(self, base_url: str = DEFAULT_URL, *, proxy_url: str | None = None,
                 client: httpx.AsyncClient | None = None, attempts: int = ATTEMPTS,
                 backoff: float = 0.2) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(
            timeout=TIMEOUT_S, proxy=proxy_url, trust_env=False, follow_redirects=False)
        self._attempts = attempts
        self._backoff = backoff

    @classmethod
    def from_env(cls) -> ProviderClient:
        url, proxy = provider_settings()
        return cls(url, proxy_url=proxy)

    async def charge(self, order_id: str, amount_cents: int,
                     metadata: Mapping[str, str] | None = None) -> ChargeResult:
        """Charge the order once (retried under its idempotency key); the provider's answer."""
        body = {"order_id": order_id, "amount_cents": amount_cents, "currency": "EUR",
                "metadata": dict(metadata or {})}
        headers = {"Idempotency-Key": idempotency_key(order_id),
                   "User-Agent": "sandbox-payments/1"}
        last = "no attempt"
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._client.post(f"{self.base_url}/v1/charges", json=body,
                                                   headers=headers)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in (200, 201):
                    try:
                        return result_of(response.json())
                    except ValueError:
                        raise ProviderRefused("the provider's answer is not JSON") from None
                if response.status_code not in RETRIED_STATUSES:
                    raise ProviderRefused(f"the provider answered {response.status_code}: "
                                          f"{response.text[:200]}")
                last = f"HTTP {response.status_code}"
            log.warning("provider.charge_retry", order_id=order_id, attempt=attempt, error=last)
            if attempt < self._attempts:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        raise ProviderUnavailable(f"the payment provider gave no answer: {last}")

    async def aclose(self) -> None:
        await self._client.aclose()
