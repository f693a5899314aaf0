"""``python3 -m services.egress``: the egress proxy on EGRESS_PORT (3128), health and
metrics on WORKER_PORT (8001), until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Mapping

from services.platform.health_server import HealthServer
from services.platform.logging import configure_logging, get_logger
from services.platform.tracing import setup_tracing

from .guard import EgressGuard, own_addresses
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
             sandbox_subnets=settings.sandbox_subnets, max_connections=settings.max_connections)
    await stop.wait()
    await health.close()
    await proxy.close()
    log.info("egress.stopped")


def configured(environ: Mapping[str, str] | None = None,
               own: list[str] | None = None) -> tuple[EgressSettings, EgressGuard]:
    """The settings and the guard (refusing the sandbox's subnets and egress's own
    addresses, ``own`` or this host's); ValueError (one line: cause and fix) when unusable."""
    settings = EgressSettings.from_env(environ)
    if not settings.sandbox_subnets.strip():
        raise ValueError("SANDBOX_SUBNETS is not set, so deliveries could reach the sandbox's "
                         "networks: set it to their subnets "
                         "(compose: ${NETWORK_PRIVATE_SUBNET} ${NETWORK_PUBLIC_SUBNET})")
    own = own_addresses() if own is None else own
    try:
        guard = EgressGuard(settings.sandbox_subnets, own=[f"{a}/32" for a in own])
    except ValueError as exc:
        raise ValueError(f"SANDBOX_SUBNETS={settings.sandbox_subnets!r}: {exc}; set it to "
                         "subnets in CIDR form, e.g. 172.30.0.0/16 172.31.0.0/16") from None
    return settings, guard


def main() -> None:
    try:
        settings, guard = configured()
    except ValueError as exc:
        sys.exit(f"egress: {exc}")
    configure_logging("egress", settings.log_level)
    setup_tracing("egress")
    asyncio.run(serve(settings, guard))


if __name__ == "__main__":
    main()
