"""Deliveries leave the webhook gateway only through the egress proxy, over the link
``webhooks-worker->egress``: the link carries each one, a fault on it shows in the
deliveries, and goes away with the fault. Subscriptions here are to ``order.created``,
delivered as soon as an order is placed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from fixtures.gateway_client import GatewayClient
from fixtures.waiting import eventually
from fixtures.webhook_subscriber import ReceivedRequest, WebhookSubscriber

pytestmark = [pytest.mark.docker, pytest.mark.chaos]

LINK = "webhooks-worker->egress"
LATENCY_S = 1.0
DELIVERY_TIMEOUT_S = 30.0


def subscribe(client: GatewayClient, subscriber: WebhookSubscriber) -> None:
    response = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": f"{subscriber.url}/hooks/created", "events": ["order.created"]},
    )
    assert response.status_code == 201, response.text
    subscriber.trust(response.json()["secret"])


def place_order(client: GatewayClient, product_factory: Any) -> str:
    product = product_factory(stock=5, price_cents=700)
    response = client.post("/v1/orders", json={"items": [{"sku": product["sku"], "quantity": 1}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def delivery_of(client: GatewayClient, order_id: str) -> dict[str, Any] | None:
    response = client.get("/v1/webhooks/deliveries", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) <= 1, items
    return items[0] if items else None


def delivered(client: GatewayClient, order_id: str) -> dict[str, Any]:
    return eventually(
        lambda: delivery_of(client, order_id), timeout=DELIVERY_TIMEOUT_S,
        until=lambda d: d is not None and d["status"] == "delivered",
    )


def seconds_to_deliver(delivery: dict[str, Any]) -> float:
    """From the delivery's creation (the event consumed) to its recorded success."""
    created = datetime.fromisoformat(delivery["created_at"])
    return (datetime.fromisoformat(delivery["delivered_at"]) - created).total_seconds()


def received_for(order_id: str, requests: list[ReceivedRequest]) -> list[ReceivedRequest]:
    return [r for r in requests if r.method == "POST"
            and r.json().get("data", {}).get("order_id") == order_id]


def egress_log(sandbox: Any) -> list[dict[str, Any]]:
    lines = sandbox.container("egress").logs().decode(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_each_delivery_goes_through_the_link_and_egress(
    sandbox, enrolled_client, product_factory, webhook_subscriber
):
    [link] = [x for x in sandbox.links() if x["name"] == LINK]
    assert link["upstream"] == "egress:3128" and link["enabled"]
    subscribe(enrolled_client, webhook_subscriber)

    order_id = place_order(enrolled_client, product_factory)
    delivery = delivered(enrolled_client, order_id)
    [event] = webhook_subscriber.wait_for(lambda reqs: received_for(order_id, reqs), timeout=10)
    assert event.path == "/hooks/created"
    assert event.headers["webhook-id"] == str(delivery["id"]) and event.accepted
    forwarded = [
        e for e in egress_log(sandbox)
        if e["event"] == "egress.forwarded" and e.get("port") == webhook_subscriber.port
    ]
    assert forwarded and forwarded[-1]["host"] == webhook_subscriber.host
    assert forwarded[-1]["status"] == 200 and forwarded[-1]["trace_id"]

    # the worker sits on the private network only: egress is its way out
    worker = sandbox.container("webhooks-worker")
    worker.reload()
    assert set(worker.attrs["NetworkSettings"]["Networks"]) == {f"sandbox-{sandbox.run_id}-private"}


def test_latency_on_the_egress_link_delays_deliveries_by_that_much_then_goes_away(
    enrolled_client, product_factory, webhook_subscriber, link_faults
):
    client = enrolled_client
    subscribe(client, webhook_subscriber)
    before = seconds_to_deliver(delivered(client, place_order(client, product_factory)))

    link = link_faults.proxy(LINK)
    link.add_toxic(name="slow", type="latency", stream="upstream",
                   attributes={"latency": int(LATENCY_S * 1000), "jitter": 0})
    order_id = place_order(client, product_factory)
    slow = seconds_to_deliver(delivered(client, order_id))
    # a delivery over the slowed link cannot take less than the latency it was given
    # (one noisy sample of `before` on a busy runner makes a difference test flaky)
    assert slow >= LATENCY_S, (before, slow)
    assert received_for(order_id, webhook_subscriber.requests)

    link.destroy_toxic("slow")
    after = seconds_to_deliver(delivered(client, place_order(client, product_factory)))
    assert after < before + LATENCY_S / 2 and after < slow - LATENCY_S / 2, (before, slow, after)


def test_a_down_egress_link_fails_deliveries_which_arrive_once_it_is_back(
    enrolled_client, product_factory, webhook_subscriber, link_faults
):
    client = enrolled_client
    subscribe(client, webhook_subscriber)
    link = link_faults.proxy(LINK)

    link.disable()
    order_id = place_order(client, product_factory)
    failing = eventually(
        lambda: delivery_of(client, order_id), timeout=DELIVERY_TIMEOUT_S,
        until=lambda d: d is not None and d["attempts"] >= 1,
    )
    assert failing["status"] == "pending", failing
    assert failing["last_status_code"] is None and "ConnectError" in failing["last_error"], failing
    assert received_for(order_id, webhook_subscriber.requests) == []

    link.enable()
    delivery = delivered(client, order_id)
    assert delivery["attempts"] >= 2 and delivery["last_error"] is None, delivery
    webhook_subscriber.wait_for(lambda reqs: received_for(order_id, reqs), timeout=10)
