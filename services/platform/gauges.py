"""Sampled gauges: the database pools and the outbox backlog (docs/metrics-and-alerts.md).

Both are cheap and bounded. A pool's figures come from psycopg_pool's ``get_stats()``
(a dict read under no lock, no I/O) when ``/metrics`` is scraped, for every pool
``track_pool`` was given (held weakly: a dropped pool disappears). The outbox backlog is
one query on the partial index ``outbox_unpublished`` every ``interval`` seconds, run by
``OutboxBacklog.run`` in every worker (each service's worker samples its own database,
whoever relays it); the count stops at ``COUNT_CAP``.

    db_pool_size{service,pool}                  connections open (idle and in use)
    db_pool_available{service,pool}             idle connections
    db_pool_waiting{service,pool}               requests waiting for a connection
    db_pool_max{service,pool}                   the pool's max_size
    outbox_unsent_rows{service}                 rows not yet published (up to COUNT_CAP)
    outbox_oldest_unsent_age_seconds{service}   age of the oldest of them, 0 when none

>>> track_pool(pool, "catalog")                            # doctest: +SKIP
>>> await OutboxBacklog(pool, "catalog").run(stop_event)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .logging import get_logger

COUNT_CAP = 10_000
SAMPLE_INTERVAL_S = 5.0  # Prometheus scrapes every 5 s (compose/prometheus/prometheus.yml)
BACKLOG_SQL = (
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE published_at IS NULL "
    f"LIMIT {COUNT_CAP}) AS unsent) AS unsent, "
    "COALESCE(EXTRACT(EPOCH FROM now() - (SELECT created_at FROM outbox "
    "WHERE published_at IS NULL ORDER BY id LIMIT 1)), 0)::float8 AS oldest_age_s"
)
OUTBOX_UNSENT = Gauge("outbox_unsent_rows", "Outbox rows not yet published (counted up to 10000)",
                      ["service"])
OUTBOX_OLDEST_AGE = Gauge("outbox_oldest_unsent_age_seconds",
                          "Age of the oldest unpublished outbox row (0 when none)", ["service"])
# (metric name, help, get_stats key)
POOL_GAUGES = (
    ("db_pool_size", "Connections the pool holds, idle and in use", "pool_size"),
    ("db_pool_available", "Idle connections of the pool", "pool_available"),
    ("db_pool_waiting", "Requests waiting for a connection of the pool", "requests_waiting"),
    ("db_pool_max", "The pool's max_size", "pool_max"),
)
log = get_logger()


class PoolCollector(Collector):
    """Yields the ``db_pool_*`` gauges of the tracked pools at every collection."""

    def __init__(self) -> None:
        self._pools: dict[int, tuple[weakref.ref, str]] = {}
        self._lock = threading.Lock()

    def track(self, pool: Any, service: str) -> None:
        key = id(pool)

        def forget(_: weakref.ref, key: int = key) -> None:
            with self._lock:
                self._pools.pop(key, None)

        with self._lock:
            self._pools[key] = (weakref.ref(pool, forget), service)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for name, doc, _ in POOL_GAUGES:
            yield GaugeMetricFamily(name, doc, labels=["service", "pool"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = [(GaugeMetricFamily(name, doc, labels=["service", "pool"]), key)
                    for name, doc, key in POOL_GAUGES]
        with self._lock:
            pools = [(ref(), service) for ref, service in self._pools.values()]
        for pool, service in pools:
            if pool is None:
                continue
            stats = pool.get_stats()
            labels = [service, str(getattr(pool, "name", "") or "")]
            for family, key in families:
                family.add_metric(labels, float(stats.get(key, 0)))
        for family, _ in families:
            yield family


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def track_pool(pool: Any, service: str) -> None:
    """Report ``pool`` (anything with psycopg_pool's ``get_stats()``) as ``db_pool_*``."""
    POOLS.track(pool, service)


class OutboxBacklog:
    """Samples the unsent outbox rows of one database into the ``outbox_*`` gauges."""

    def __init__(self, pool: Any, service: str, *, interval: float = SAMPLE_INTERVAL_S) -> None:
        self._pool = pool
        self._service = service
        self._interval = interval

    async def sample(self) -> tuple[int, float]:
        """Query once and set the gauges; returns (unsent rows, oldest age in seconds)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(BACKLOG_SQL)
            row = await cur.fetchone()
        unsent = int(row["unsent"]) if row else 0
        age = float(row["oldest_age_s"]) if row else 0.0
        OUTBOX_UNSENT.labels(self._service).set(unsent)
        OUTBOX_OLDEST_AGE.labels(self._service).set(age)
        return unsent, age

    async def run(self, stop: asyncio.Event) -> None:
        """Sample every ``interval`` seconds until ``stop`` is set; a failed sample keeps
        the last values (the database is slow or down: other alerts say so)."""
        while not stop.is_set():
            try:
                await self.sample()
            except Exception as exc:  # noqa: BLE001 - try again at the next tick
                log.warning("outbox.backlog_sample_failed", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), self._interval)
            except TimeoutError:
                pass
