"""psycopg 3 pools: async (FastAPI, workers) and sync (Flask) to `<service>_<env>`.

Every connection has a connect timeout and a server-side statement timeout; rows are dicts.

>>> pool = await open_async_pool(settings, password)      # doctest: +SKIP
>>> async with pool.connection() as conn:                  # doctest: +SKIP
...     await conn.execute("select 1")
"""

from __future__ import annotations

from typing import Any

from psycopg import conninfo as _conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from .config import Settings
from .gauges import track_pool

CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 5000
POOL_TIMEOUT_S = 5.0
# How long the pool keeps retrying one failed connection attempt before giving it up.
# psycopg_pool backs off exponentially and without a cap (1, 2, 4, 8, 16 s...) for up to
# this long, and grows no further meanwhile: after a 12 s outage of the database its
# next attempt could be 16 s away. Giving up early lets the next request start a fresh
# attempt at once, so the pool recovers within seconds of the database.
RECONNECT_TIMEOUT_S = 4.0


def conninfo(settings: Settings, password: str, *, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS) -> str:
    """The libpq connection string: role = service, database = `<service>_<env>`."""
    return _conninfo.make_conninfo(
        host=settings.database_host,
        port=settings.database_port,
        dbname=settings.database_name,
        user=settings.service,
        password=password,
        connect_timeout=CONNECT_TIMEOUT_S,
        application_name=settings.service,
        options=f"-c statement_timeout={statement_timeout_ms}",
    )


def _pool_args(
    settings: Settings, password: str, min_size: int, max_size: int, kind: str
) -> dict[str, Any]:
    """What both pools are made with: dict rows, bounded waits, opened by the caller."""
    return {
        "conninfo": conninfo(settings, password),
        "min_size": min_size,
        "max_size": max_size,
        "timeout": POOL_TIMEOUT_S,
        "reconnect_timeout": RECONNECT_TIMEOUT_S,
        "kwargs": {"row_factory": dict_row},
        "open": False,
        "name": f"{settings.service}-{kind}",
    }


async def open_async_pool(
    settings: Settings, password: str, *, min_size: int = 1, max_size: int = 4, wait: bool = False
) -> AsyncConnectionPool:
    """Open an async pool; `wait=True` blocks until `min_size` connections exist (30 s max)."""
    pool = AsyncConnectionPool(**_pool_args(settings, password, min_size, max_size, "async"))
    track_pool(pool, settings.service)  # db_pool_* on /metrics (platform/gauges.py)
    await pool.open(wait=wait, timeout=30.0)
    return pool


def open_sync_pool(
    settings: Settings, password: str, *, min_size: int = 1, max_size: int = 4, wait: bool = False
) -> ConnectionPool:
    """Open a sync pool (for Flask threads); `wait=True` blocks until it is filled (30 s max)."""
    pool = ConnectionPool(**_pool_args(settings, password, min_size, max_size, "sync"))
    track_pool(pool, settings.service)
    pool.open(wait=wait, timeout=30.0)
    return pool
