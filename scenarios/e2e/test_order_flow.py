"""The order saga end to end, through the gateway, as an enrolled client sees it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from fixtures.gateway_client import GatewayClient
from fixtures.waiting import eventually
from fixtures.webhook_subscriber import ReceivedRequest

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

SAGA_TIMEOUT_S = 60.0


def order_of(client: GatewayClient, order_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


def stock_of(client: GatewayClient, sku: str) -> int:
    response = client.get(f"/v1/products/{sku}")
    assert response.status_code == 200, response.text
    return response.json()["stock"]


def payments_of(client: GatewayClient, order_id: str) -> list[dict[str, Any]]:
    response = client.get("/v1/payments", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def place_order(client: GatewayClient, sku: str, quantity: int) -> dict[str, Any]:
    response = client.post("/v1/orders", json={"items": [{"sku": sku, "quantity": quantity}]})
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending"
    return order


def paid_events_for(order_id: str, requests: list[ReceivedRequest]) -> list[ReceivedRequest]:
    return [
        r
        for r in requests
        if r.headers.get("x-sandbox-event") == "order.paid"
        and r.json().get("data", {}).get("order_id") == order_id
    ]


def test_a_paid_order_reserves_stock_charges_once_and_notifies_the_subscriber(
    sandbox, enrolled_client, product_factory, webhook_subscriber
):
    client = enrolled_client
    subscription = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": f"{webhook_subscriber.url}/hooks/orders", "events": ["order.paid"]},
    )
    assert subscription.status_code == 201, subscription.text
    secret = subscription.json()["secret"]  # the subscription's own, answered once
    webhook_subscriber.trust(secret)
    product = product_factory(stock=5, price_cents=1250)

    order = place_order(client, product["sku"], quantity=2)
    assert order["total_cents"] == 2500
    assert order["customer_id"] == client.credentials.user_id

    eventually(
        lambda: order_of(client, order["id"]),
        timeout=SAGA_TIMEOUT_S,
        until=lambda o: o["status"] == "paid",
    )
    eventually(lambda: stock_of(client, product["sku"]), timeout=10, until=lambda s: s == 3)
    [payment] = payments_of(client, order["id"])
    assert payment["order_id"] == order["id"]
    assert (payment["amount_cents"], payment["status"]) == (2500, "succeeded")

    [delivery] = eventually(
        lambda: client.get("/v1/webhooks/deliveries", params={"order_id": order["id"]}).json()[
            "items"
        ],
        timeout=SAGA_TIMEOUT_S,
        until=lambda items: any(d["status"] == "delivered" for d in items),
    )
    assert delivery["event_type"] == "order.paid"
    received = webhook_subscriber.wait_for(
        lambda reqs: len(paid_events_for(order["id"], reqs)) >= 1, timeout=10
    )
    [event] = paid_events_for(order["id"], received)
    assert event.path == "/hooks/orders"
    # Standard Webhooks: verified by the subscriber (standardwebhooks), and by hand
    assert event.accepted and event.headers["webhook-id"] == str(delivery["id"])
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{delivery['id']}.{event.headers['webhook-timestamp']}.".encode() + event.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(event.headers["webhook-signature"], expected)
    body = event.json()
    assert body["type"] == "order.paid"
    assert body["data"]["total_cents"] == 2500
    assert body["data"]["payment_id"] == str(payment["id"])


def test_an_order_beyond_the_stock_is_rejected_and_not_charged(enrolled_client, product_factory):
    client = enrolled_client
    product = product_factory(stock=1, price_cents=900)

    order = place_order(client, product["sku"], quantity=3)

    eventually(
        lambda: order_of(client, order["id"]),
        timeout=SAGA_TIMEOUT_S,
        until=lambda o: o["status"] == "rejected",
    )
    assert payments_of(client, order["id"]) == []
    assert stock_of(client, product["sku"]) == 1
