"""Start-up wiring shared by HTTP apps and workers: settings, secrets, pool, broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool

from .broker import Broker
from .config import Settings
from .db import open_async_pool
from .health import AsyncCheck, broker_check, db_check
from .logging import get_logger
from .secrets import SecretsClient

log = get_logger()


@dataclass
class Resources:
    """What a running async service holds; `extra` carries service-specific clients."""

    settings: Settings
    secrets: SecretsClient
    pool: AsyncConnectionPool | None = None
    broker: Broker | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, AsyncCheck] = field(default_factory=dict)

    @classmethod
    async def open(cls, settings: Settings, *, database: bool = True, broker: bool = True,
                   pool_max: int = 4) -> Resources:
        """Read the secrets, open the pool and connect the broker; registers ready checks."""
        secrets = SecretsClient(settings)
        res = cls(settings=settings, secrets=secrets)
        try:
            if database:
                password = secrets.get(f"{settings.service}/db_password")
                res.pool = await open_async_pool(settings, password, max_size=pool_max)
                res.checks["database"] = db_check(res.pool)
            if broker:
                res.broker = Broker(settings, secrets.get("broker/password"))
                await res.broker.connect()
                res.checks["broker"] = broker_check(res.broker)
        except BaseException:
            await res.close()  # a half-open pool's threads would keep the process alive
            raise
        return res

    async def close(self) -> None:
        """Close the broker, the pool and every `extra` client with an async close."""
        for name, client in self.extra.items():
            closer = getattr(client, "aclose", None) or getattr(client, "close", None)
            if closer is not None:
                try:
                    result = closer()
                    if hasattr(result, "__await__"):
                        await result
                except Exception as exc:  # noqa: BLE001 - closing on shutdown is best effort
                    log.warning("resource.close_failed", resource=name, error=str(exc))
        if self.broker is not None:
            await self.broker.close()
        if self.pool is not None:
            await self.pool.close()
