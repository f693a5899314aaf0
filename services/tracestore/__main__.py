"""``python -m services.tracestore``: OTLP/HTTP on TRACESTORE_OTLP_PORT (4318), gateway
spans over syslog on TRACESTORE_SYSLOG_PORT (UDP 5514), Jaeger's query API, health and
metrics on TRACESTORE_QUERY_PORT (16686), until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from services.platform.logging import configure_logging, get_logger

from .server import TracestoreServer
from .settings import TracestoreSettings

log = get_logger()


async def serve(settings: TracestoreSettings) -> None:
    """Run the store until a stop signal."""
    server = TracestoreServer(settings)
    try:
        await server.start()
    except OSError as exc:
        sys.exit(f"tracestore: cannot listen on {settings.host} (ports otlp "
                 f"{settings.otlp_port}, syslog {settings.syslog_port}, query "
                 f"{settings.query_port}): {exc.strerror or exc}; free the port or set "
                 "TRACESTORE_*_PORT")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("tracestore.started", otlp_port=server.ports["otlp"],
             syslog_port=server.ports["syslog"], query_port=server.ports["query"],
             max_spans=settings.max_spans)
    await stop.wait()
    await server.stop()
    log.info("tracestore.stopped", spans=server.store.span_count,
             evicted_spans=server.store.evicted_spans)


def main() -> None:
    try:
        settings = TracestoreSettings.from_env()
    except ValueError as exc:
        sys.exit(f"tracestore: {exc}")
    configure_logging("tracestore", settings.log_level)
    logging.getLogger("uvicorn.error").setLevel("WARNING")  # two servers' banners: noise
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
