"""The product cache is an optimisation: a hung or refused cache is a quick miss, never a
slow read (no retries, short timeouts)."""

import asyncio
import socket
import time

from services.catalog.cache import CACHE_TIMEOUT_S, ProductCache, connect
from services.platform.config import Settings


def settings_for(port: int) -> Settings:
    return Settings.from_env({"SERVICE_NAME": "catalog", "SANDBOX_ENV": "test",
                              "CACHE_HOST": "127.0.0.1", "CACHE_PORT": str(port)})


async def timed_get(port: int) -> tuple[object, float]:
    client = connect(settings_for(port), "pw")
    cache = ProductCache(client)
    started = time.monotonic()
    try:
        return await cache.get("SKU-1"), time.monotonic() - started
    finally:
        await client.aclose()


def test_a_hung_cache_is_a_miss_within_its_timeouts():
    with socket.socket() as server:  # accepts connections, never answers
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        got, took = asyncio.run(timed_get(server.getsockname()[1]))
    assert got is None
    # one connect (accepted at once) and one AUTH that times out: no retries
    assert took < 3 * CACHE_TIMEOUT_S, took


def test_a_refused_cache_is_a_miss_at_once():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: connections are refused
    got, took = asyncio.run(timed_get(port))
    assert got is None and took < 3 * CACHE_TIMEOUT_S, took
