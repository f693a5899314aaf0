"""``python3 -m services.egress``: the egress proxy on EGRESS_PORT (3128), health and
metrics on WORKER_PORT (8001), until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Mapping

from services.platform.health_server import HealthServer
from services.platform.logging import configure_logging, get_logger

from .guard import EgressGuard
from .proxy import EgressProxy
from .settings import EgressSettings

log = get_logger()


async def serve(settings: EgressSettings, guard: EgressGuard) -> None:
    """Run the proxy and its health server until a stop signal."""
    proxy = EgressProxy(
        guard,
        connect_timeout=settings.connect_timeout_s, idle_timeout=settings.idle_timeout_s,
        head_timeout=settings.head_timeout_s, max_connections=settings.max_connections,
    )
    await proxy.start(settings.host, settings.port)
    health = HealthServer(lambda: {"proxy": proxy.check})
    await health.start(settings.host, settings.health_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("egress.started", port=proxy.port, health_port=settings.health_port,
             private_subnets=settings.private_subnets, max_connections=settings.max_connections)
    await stop.wait()
    await health.close()
    await proxy.close()
    log.info("egress.stopped")


def configured(environ: Mapping[str, str] | None = None) -> tuple[EgressSettings, EgressGuard]:
    """The settings and the guard; ValueError (one line: cause and fix) when unusable."""
    settings = EgressSettings.from_env(environ)
    if not settings.private_subnets.strip():
        raise ValueError("PRIVATE_SUBNET is not set, so deliveries could reach the private "
                         "network: set it to that network's subnet "
                         "(compose: ${NETWORK_PRIVATE_SUBNET})")
    try:
        guard = EgressGuard(settings.private_subnets)
    except ValueError as exc:
        raise ValueError(f"PRIVATE_SUBNET={settings.private_subnets!r}: {exc}; set it to "
                         "subnets in CIDR form, e.g. 172.30.0.0/16") from None
    return settings, guard


def main() -> None:
    try:
        settings, guard = configured()
    except ValueError as exc:
        sys.exit(f"egress: {exc}")
    configure_logging("egress", settings.log_level)
    asyncio.run(serve(settings, guard))


if __name__ == "__main__":
    main()
