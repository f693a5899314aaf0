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
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI

from .broker import Envelope
from .config import Settings
from .health import add_fastapi_health
from .logging import configure_logging, get_logger
from .metrics import instrument_fastapi
from .outbox import OutboxRelay
from .problem import install_fastapi_handlers
from .resources import Resources

Handle = Callable[[Resources, Envelope], Awaitable[None]]
Setup = Callable[[Resources], Awaitable[None]]
log = get_logger()


class _QuietServer(uvicorn.Server):
    """uvicorn server that leaves signal handling to the worker."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_app(service: str, res_holder: dict[str, Resources]) -> FastAPI:
    """The worker's FastAPI app: /health/live, /health/ready, /metrics."""
    app = FastAPI(title=f"{service}-worker", docs_url=None, redoc_url=None)
    install_fastapi_handlers(app)
    instrument_fastapi(app, service)

    def checks() -> dict:
        res = res_holder["resources"]
        current = dict(res.checks)

        async def consumer() -> None:
            if res.broker is None or not res.broker.consuming:
                raise ConnectionError("consumer not attached")

        current["consumer"] = consumer
        return current

    add_fastapi_health(app, checks)
    return app


async def _main(queue: str | None, handle: Handle | None, setup: Setup | None,
                relay: bool, max_attempts: int) -> None:
    settings = Settings.from_env()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    holder: dict[str, Resources] = {}
    server = _QuietServer(uvicorn.Config(health_app(settings.service, holder), host="0.0.0.0",
                                         port=settings.worker_port, log_config=None,
                                         access_log=False, lifespan="off"))
    server_task = asyncio.create_task(server.serve())
    res = await Resources.open(settings, pool_max=3)
    holder["resources"] = res
    tasks: list[asyncio.Task] = []
    try:
        if setup is not None:
            await setup(res)
        assert res.broker is not None and res.pool is not None
        if relay:
            tasks.append(asyncio.create_task(OutboxRelay(res.pool, res.broker.publish).run(stop)))
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
        server.should_exit = True
        await server_task
        log.info("worker.stopped")


def run_worker(*, queue: str | None, handle: Handle | None, setup: Setup | None = None,
               relay: bool = True, max_attempts: int = 5) -> None:
    """Entry point of `python3 -m services.<name>.worker`."""
    settings = Settings.from_env()
    configure_logging(settings.service, settings.log_level)
    asyncio.run(_main(queue, handle, setup, relay, max_attempts))
