"""catalog worker: order.created → reserve stock atomically → stock.reserved / stock.rejected."""

from __future__ import annotations

from typing import Any

from services.platform.broker import Envelope
from services.platform.inbox import process_once
from services.platform.logging import get_logger
from services.platform.outbox import add_payload
from services.platform.resources import Resources
from services.platform.worker import run_worker

from . import cache as cache_mod
from . import store
from .events import StockRejected, StockReserved
from .gateway_cache import GatewayCache

log = get_logger()
NO_GATEWAY = GatewayCache("")


async def setup(res: Resources) -> None:
    client = cache_mod.connect(res.settings, res.secrets.get("cache/password"))
    res.extra["redis"] = client
    res.extra["cache"] = cache_mod.ProductCache(client)
    res.extra["gateway_cache"] = GatewayCache(res.settings.gateway_cache_url)


async def reserve_effect(conn: Any, envelope: Envelope) -> list[str]:
    """The effect of one order.created inside the inbox transaction; returns touched skus."""
    data = envelope["data"]
    order_id = data["order_id"]
    try:
        taken = await store.reserve(conn, order_id, data.get("items") or [])
    except (store.InsufficientStock, ValueError, KeyError) as exc:
        reason = f"insufficient stock for {exc.sku}" if isinstance(exc, store.InsufficientStock) \
            else f"invalid items: {exc}"
        await add_payload(conn, StockRejected(order_id=order_id, reason=reason),
                          trace_id=envelope.get("trace_id"))
        log.info("stock.rejected", order_id=order_id, reason=reason)
        return []
    await add_payload(conn, StockReserved(
        order_id=order_id, total_cents=data["total_cents"], customer_id=data["customer_id"],
    ), trace_id=envelope.get("trace_id"))
    log.info("stock.reserved", order_id=order_id, skus=list(taken))
    return list(taken)


async def handle(res: Resources, envelope: Envelope) -> None:
    if envelope["type"] != "order.created":
        log.warning("event.ignored", type=envelope["type"])
        return
    touched: list[str] = []

    async def effect(conn: Any, env: Envelope) -> None:
        touched.extend(await reserve_effect(conn, env))

    await process_once(res.pool, envelope, effect)
    await res.extra["cache"].invalidate(*touched)
    # set up by setup(); a worker set up without it (the contract tests') has no gateway
    await res.extra.get("gateway_cache", NO_GATEWAY).purge(*touched)


def main() -> None:
    run_worker(queue="catalog", handle=handle, setup=setup)


if __name__ == "__main__":
    main()
