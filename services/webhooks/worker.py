"""webhooks worker: order.# events → deliveries for matching subscriptions → POSTs signed
with each subscription's own secret (Standard Webhooks), through the egress proxy
(``EGRESS_PROXY_URL``, the link ``webhooks-worker->egress``)."""

from __future__ import annotations

from typing import Any

from services.platform.broker import Envelope
from services.platform.inbox import process_once
from services.platform.logging import get_logger
from services.platform.resources import Resources
from services.platform.worker import run_worker

from . import store
from .delivery import Dispatcher, egress_proxy_url

log = get_logger()
QUEUE = "webhooks"
"""The worker's queue (bound to `order.#` in compose/rabbitmq/definitions.json)."""


async def setup(res: Resources) -> None:
    proxy_url = egress_proxy_url()
    dispatcher = Dispatcher(res.pool, proxy_url=proxy_url)
    dispatcher.start()
    log.info("webhook.dispatcher_started", egress_proxy=proxy_url or "none (direct)")
    res.extra["dispatcher"] = dispatcher


async def handle(res: Resources, envelope: Envelope) -> None:
    created = 0

    async def effect(conn: Any, env: Envelope) -> None:
        nonlocal created
        created = await store.create_deliveries(conn, env)

    await process_once(res.pool, envelope, effect)
    if created:
        log.info("webhook.scheduled", event_type=envelope["type"], deliveries=created)
        res.extra["dispatcher"].wake()


def main() -> None:
    run_worker(queue=QUEUE, handle=handle, setup=setup, relay=False)


if __name__ == "__main__":
    main()
