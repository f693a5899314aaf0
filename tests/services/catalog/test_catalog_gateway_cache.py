"""The worker's purge of the gateway's product-read cache (no Docker)."""

from __future__ import annotations

import asyncio

import httpx

from services.catalog.gateway_cache import GatewayCache


def _client(handler):
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def test_each_changed_product_is_purged_at_the_gateway():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url)))
        return httpx.Response(200 if request.url.path.endswith("a-1") else 204)

    asyncio.run(GatewayCache("http://gateway:8080/", _client(handler)).purge("a-1", "b.2"))
    assert seen == [("PURGE", "http://gateway:8080/internal/cache/products/a-1"),
                    ("PURGE", "http://gateway:8080/internal/cache/products/b.2")]


def test_a_gateway_that_does_not_answer_never_fails_the_reservation():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectTimeout("timed out", request=request)

    asyncio.run(GatewayCache("http://gateway:8080", _client(handler)).purge("a-1", "b-2"))
    assert len(calls) == 2  # the second product is purged though the first failed


def test_without_a_gateway_nothing_is_sent():
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    asyncio.run(GatewayCache("", _client(handler)).purge("a-1"))
