"""A service worker: consumer + outbox relay + health/metrics app on 8001, one asyncio loop.

    async def handle(res: Resources, envelope: Envelope) -> None: ...
    run_worker(queue="catalog", handle=handle)

Ready (`/health/ready` on WORKER_PORT) means: database answers, broker channel open and the
consumer attached. SIGTERM/SIGINT stop the consumer, finish the relay tick and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

from .broker import Envelope
from .config import Settings
from .gauges import OutboxBacklog
from .health import AsyncCheck
from .health_server import HealthServer
from .logging import configure_logging, get_logger
from .outbox import OutboxRelay
from .resources import Resources
from .tracing import setup_tracing, shutdown_tracing

Handle = Callable[[Resources, Envelope], Awaitable[None]]
Setup = Callable[[Resources], Awaitable[None]]
log = get_logger()


def worker_checks(res_holder: dict[str, Resources]) -> Callable[[], dict[str, AsyncCheck]]:
    """The worker's readiness: its resources' checks plus "the consumer is attached"."""

    def checks() -> dict[str, AsyncCheck]:
        res = res_holder["resources"]  # KeyError while starting: reported as 503
        current = dict(res.checks)

        async def consumer() -> None:
            if res.broker is None or not res.broker.consuming:
                raise ConnectionError("consumer not attached")

        current["consumer"] = consumer
        return current

    return checks


async def _main(queue: str | None, handle: Handle | None, setup: Setup | None,
                relay: bool, max_attempts: int) -> None:
    settings = Settings.from_env()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    holder: dict[str, Resources] = {}
    server = HealthServer(worker_checks(holder))
    await server.start("0.0.0.0", settings.worker_port)
    res = await Resources.open(settings, pool_max=3)
    holder["resources"] = res
    tasks: list[asyncio.Task] = []
    try:
        if setup is not None:
            await setup(res)
        assert res.broker is not None and res.pool is not None
        if relay:
            tasks.append(asyncio.create_task(OutboxRelay(res.pool, res.broker.publish).run(stop)))
        # outbox_unsent_rows / outbox_oldest_unsent_age_seconds of this service's database,
        # whoever relays it (platform/gauges.py)
        tasks.append(asyncio.create_task(OutboxBacklog(res.pool, settings.service).run(stop)))
        if queue and handle:
            broker = res.broker

            async def on_event(envelope: Envelope) -> None:
                await handle(res, envelope)

            await broker.consume(queue, on_event, max_attempts=max_attempts)
        log.info("worker.started", queue=queue, relay=relay, port=settings.worker_port)
        await stop.wait()
        log.info("worker.stopping")
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        await res.close()
        await server.close()
        log.info("worker.stopped")


def run_worker(*, queue: str | None, handle: Handle | None, setup: Setup | None = None,
               relay: bool = True, max_attempts: int = 5) -> None:
    """Entry point of `python3 -m services.<name>.worker`."""
    settings = Settings.from_env()
    configure_logging(settings.service, settings.log_level)
    setup_tracing(settings.service)
    try:
        asyncio.run(_main(queue, handle, setup, relay, max_attempts))
    finally:
        shutdown_tracing()
