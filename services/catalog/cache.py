"""Redis cache of product reads; a cache failure never fails a read (falls back to the DB)."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from services.platform.config import Settings
from services.platform.logging import get_logger

TTL_S = 60
# a cache slower than this is treated as a miss: the database answers instead, well within
# the 2 s the monolith gives catalog for a product read. No retries either (redis-py retries
# a timed-out command 10 times by default: 10 x the timeout on a hung cache).
CACHE_TIMEOUT_S = 0.25
log = get_logger()


def product_key(sku: str) -> str:
    """The cache key of one product."""
    return f"catalog:product:{sku}"


def connect(settings: Settings, password: str) -> redis.Redis:
    """An async Redis client with short timeouts (``CACHE_TIMEOUT_S``) and no retries."""
    return redis.Redis(host=settings.cache_host, port=settings.cache_port, password=password,
                       socket_timeout=CACHE_TIMEOUT_S, socket_connect_timeout=CACHE_TIMEOUT_S,
                       retry=Retry(NoBackoff(), 0), decode_responses=True)


class ProductCache:
    """get/put/invalidate products by sku; errors are logged and treated as misses."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def get(self, sku: str) -> dict[str, Any] | None:
        try:
            raw = await self.client.get(product_key(sku))
        except RedisError as exc:
            log.warning("cache.get_failed", sku=sku, error=str(exc))
            return None
        return json.loads(raw) if raw else None

    async def put(self, product: dict[str, Any]) -> None:
        try:
            await self.client.set(product_key(product["sku"]), json.dumps(product, default=str),
                                  ex=TTL_S)
        except RedisError as exc:
            log.warning("cache.put_failed", sku=product["sku"], error=str(exc))

    async def invalidate(self, *skus: str) -> None:
        if not skus:
            return
        try:
            await self.client.delete(*(product_key(s) for s in skus))
        except RedisError as exc:
            log.warning("cache.invalidate_failed", skus=list(skus), error=str(exc))
