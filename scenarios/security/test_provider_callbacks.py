"""The payment provider's signed callbacks: a real order is charged at the provider (a
container on the public network, reached through egress) and its callback, verified by
the webhook gateway, is acted on by payments; a forged or replayed callback gets 401.

Every forged request is sent from inside the provider's own container to the webhook
gateway's public face (``http://webhooks:8000``): nothing leaves the sandbox.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from fixtures.gateway_client import GatewayClient
from fixtures.waiting import eventually
from services.provider.signing import new_secret, signed_headers

pytestmark = [pytest.mark.docker, pytest.mark.security]

INBOUND = "http://webhooks:8000/v1/inbound/payments"
SAGA_TIMEOUT_S = 60.0
SECRET = "provider/webhook_secret"


def place_order(client: GatewayClient, sku: str) -> dict[str, Any]:
    response = client.post("/v1/orders", json={"items": [{"sku": sku, "quantity": 1}]})
    assert response.status_code == 201, response.text
    return response.json()


def payments_of(client: GatewayClient, order_id: str) -> list[dict[str, Any]]:
    response = client.get("/v1/payments", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def provider_events(sandbox: Any, order_id: str) -> list[dict[str, Any]]:
    """The provider's dashboard: the callbacks it sent for the order, as sent."""
    code, out = sandbox.exec("provider", ["curl", "-fsS", "-m", "5",
                                          f"http://127.0.0.1:8000/v1/events?order_id={order_id}"])
    assert code == 0, out
    return json.loads(out)["items"]


def post_callback(sandbox: Any, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """From the provider's container to the webhook gateway: (status, problem or answer)."""
    command = ["curl", "-sS", "-m", "5", "-w", "\n%{http_code}", "-X", "POST",
               "-H", "content-type: application/json"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["--data-binary", body.decode(), INBOUND]
    code, out = sandbox.exec("provider", command)
    assert code == 0, out
    text, _, status = out.rpartition("\n")
    return int(status), json.loads(text) if text.strip() else {}


def confirmed_payment(client: GatewayClient, order_id: str) -> dict[str, Any]:
    [payment] = eventually(lambda: payments_of(client, order_id), timeout=SAGA_TIMEOUT_S,
                           until=lambda items: len(items) == 1 and items[0]["confirmed_at"])
    return payment


@pytest.fixture()
def paid(sandbox, enrolled_client, product_factory) -> dict[str, Any]:
    """One order paid through the provider: the order, its payment, the provider's event."""
    product = product_factory(stock=2, price_cents=700)
    order = place_order(enrolled_client, product["sku"])
    eventually(lambda: enrolled_client.get(f"/v1/orders/{order['id']}").json(),
               timeout=SAGA_TIMEOUT_S, until=lambda o: o["status"] == "paid")
    payment = confirmed_payment(enrolled_client, order["id"])
    [event] = eventually(lambda: provider_events(sandbox, order["id"]), timeout=10,
                         until=lambda items: items and items[0]["state"] == "delivered")
    return {"order": order, "payment": payment, "event": event}


def test_a_paid_order_is_charged_at_the_provider_and_confirmed_by_its_signed_callback(paid):
    payment, event = paid["payment"], paid["event"]
    assert (payment["status"], payment["amount_cents"]) == ("succeeded", 700)
    # the provider is the source of truth: the payment names the provider's charge, and
    # the callback the gateway accepted (200) is what payments recorded as confirmation
    assert payment["provider_ref"] == event["charge_id"]
    assert event["type"] == "charge.succeeded"
    assert [a["status"] for a in event["attempts"]][-1] == 200


def test_a_declined_charge_is_confirmed_by_the_provider_too(enrolled_client, product_factory,
                                                            sandbox):
    product = product_factory(stock=1, price_cents=2_000_000)  # above the provider's limit
    order = place_order(enrolled_client, product["sku"])
    eventually(lambda: enrolled_client.get(f"/v1/orders/{order['id']}").json(),
               timeout=SAGA_TIMEOUT_S, until=lambda o: o["status"] == "payment_failed")
    payment = confirmed_payment(enrolled_client, order["id"])
    assert payment["status"] == "failed" and "limit" in payment["decline_reason"]
    [event] = provider_events(sandbox, order["id"])
    assert event["type"] == "charge.declined"


def assert_refused(status: int, answer: dict[str, Any], why: str) -> None:
    assert status == 401, (status, answer)
    assert answer["status"] == 401 and why in answer["detail"], answer


def test_a_replayed_callback_is_refused(sandbox, paid):
    """The provider's own callback, sent again byte for byte (same id, timestamp, signature)."""
    event = paid["event"]
    body = event["body"].encode()
    sent_at = int(event["attempts"][-1]["webhook-timestamp"])
    headers = signed_headers(sandbox.secret(SECRET), event["webhook_id"], body, sent_at)
    status, answer = post_callback(sandbox, body, headers)
    assert_refused(status, answer, "replay")


@pytest.mark.parametrize("forgery", ["wrong-secret", "tampered-body", "stale", "unsigned"])
def test_a_forged_callback_is_refused(sandbox, forgery):
    body = json.dumps({"type": "charge.succeeded", "timestamp": "2026-01-01T00:00:00Z", "data": {
        "id": "ch_forged", "idempotency_key": "payments-order-forged", "order_id": str(uuid.uuid4()),
        "amount_cents": 700, "currency": "EUR", "status": "succeeded", "decline_reason": None,
        "metadata": {}}}, separators=(",", ":"), sort_keys=True).encode()
    webhook_id = f"msg_forged_{forgery}_{time.time_ns()}"
    secret = sandbox.secret(SECRET)
    headers = signed_headers(secret, webhook_id, body)
    if forgery == "wrong-secret":
        headers = signed_headers(new_secret(), webhook_id, body)
    elif forgery == "tampered-body":
        doc = json.loads(body)
        doc["data"]["amount_cents"] = 1
        body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    elif forgery == "stale":  # correctly signed, six minutes ago
        headers = signed_headers(secret, webhook_id, body, int(time.time()) - 360)
    else:
        headers.pop("webhook-signature")
    status, answer = post_callback(sandbox, body, headers)
    assert_refused(status, answer, "refused")
