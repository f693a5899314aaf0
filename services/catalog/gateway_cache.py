"""The gateway's cache of product reads (1 s, compose/nginx/gateway.conf.template): the
worker purges a product there when it changes its stock, so that a read after the change
never gets the answer from before it. A purge that fails is logged and costs at most the
1 s the entry lives; it never fails the reservation."""

from __future__ import annotations

from typing import Any

import httpx

from services.platform.logging import get_logger

PURGE_TIMEOUT_S = 0.5
log = get_logger()


class GatewayCache:
    """``purge(*skus)`` at ``{base_url}/internal/cache/products/{sku}``; a no-op without a
    base URL (a topology without the gateway)."""

    def __init__(self, base_url: str, client: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client

    def _http(self) -> Any:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=PURGE_TIMEOUT_S)
        return self._client

    async def purge(self, *skus: str) -> None:
        if not self.base_url:
            return
        for sku in skus:
            url = f"{self.base_url}/internal/cache/products/{sku}"
            try:
                answer = await self._http().request("PURGE", url)
            except httpx.HTTPError as exc:
                log.warning("gateway_cache.purge_failed", sku=sku, error=str(exc) or type(exc).__name__)
                continue
            if answer.status_code not in (200, 204):  # 204: the gateway held no entry
                log.warning("gateway_cache.purge_failed", sku=sku, status=answer.status_code)
