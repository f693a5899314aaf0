"""Webhook deliveries by the Standard Webhooks specification, attacked and failing as a
subscriber sees them: every delivery is verified by the test subscriber with the
``standardwebhooks`` library (PyPI); a tampered body and a replay are refused; a secret
rotation signs with both secrets during its overlap; 410 disables the subscription;
retries back off with jitter, then the delivery is dead (the dead-letter state); a
subscriber URL that comes to point inside the sandbox is refused by egress.

Subscriptions are to ``order.created`` (delivered as soon as an order is placed) unless
said otherwise; the subscriber is on the host's address of the ``outside`` network."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from fixtures.gateway_client import GatewayClient
from fixtures.waiting import eventually
from fixtures.webhook_subscriber import ReceivedRequest, WebhookSubscriber
from services.webhooks.delivery import MAX_ATTEMPTS, backoff_ceiling, build_request
from services.webhooks.signing import new_secret

pytestmark = [pytest.mark.docker, pytest.mark.security]

DELIVERY_TIMEOUT_S = 30.0
SLACK_S = 2.0
"""What a retry may come later than its backoff: the dispatcher's poll, the link, egress."""


def subscribe(client: GatewayClient, subscriber: WebhookSubscriber,
              events: tuple[str, ...] = ("order.created",), trust: bool = True) -> dict[str, Any]:
    response = client.post("/v1/webhooks/subscriptions",
                           json={"url": f"{subscriber.url}/hooks", "events": list(events)})
    assert response.status_code == 201, response.text
    sub = response.json()
    assert sub["secret"].startswith("whsec_") and sub["status"] == "active"
    if trust:
        subscriber.trust(sub["secret"])
    return sub


def place_order(client: GatewayClient, product_factory: Any) -> str:
    product = product_factory(stock=5, price_cents=700)
    response = client.post("/v1/orders", json={"items": [{"sku": product["sku"], "quantity": 1}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def for_order(order_id: str, requests: list[ReceivedRequest]) -> list[ReceivedRequest]:
    return [r for r in requests if r.method == "POST"
            and json.loads(r.body or b"{}").get("data", {}).get("order_id") == order_id]


def received(subscriber: WebhookSubscriber, order_id: str, timeout: float = 30) -> ReceivedRequest:
    """The one request the subscriber received for the order (waiting for it)."""
    [event] = for_order(order_id, subscriber.wait_for(lambda reqs: for_order(order_id, reqs),
                                                      timeout=timeout))
    return event


def deliveries(client: GatewayClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/v1/webhooks/deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def delivery_of(client: GatewayClient, order_id: str, until: Any) -> dict[str, Any]:
    [delivery] = eventually(lambda: deliveries(client, order_id=order_id),
                            timeout=DELIVERY_TIMEOUT_S,
                            until=lambda items: len(items) == 1 and until(items[0]))
    return delivery


def test_a_delivery_is_verified_by_the_standardwebhooks_library(
        enrolled_client, product_factory, webhook_subscriber):
    sub = subscribe(enrolled_client, webhook_subscriber)
    order_id = place_order(enrolled_client, product_factory)
    delivery = delivery_of(enrolled_client, order_id, lambda d: d["status"] == "delivered")
    event = received(webhook_subscriber, order_id, timeout=10)
    assert event.accepted, event.verdict
    assert Webhook(sub["secret"]).verify(event.body, event.headers)["type"] == "order.created"
    assert event.webhook_id == delivery["id"]
    assert abs(int(event.headers["webhook-timestamp"]) - time.time()) < 60
    assert event.headers["webhook-signature"].startswith("v1,")
    assert "x-sandbox-signature" not in event.headers
    # the secret was answered once: no list or read shows it again
    listed = enrolled_client.get("/v1/webhooks/subscriptions").json()["items"]
    read = enrolled_client.get(f"/v1/webhooks/subscriptions/{sub['id']}").json()
    assert sub["secret"] not in json.dumps(listed) + json.dumps(read)
    # each customer's own secret: another customer's secret does not verify it
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(event.body, event.headers)


def test_a_tampered_body_and_a_replay_are_refused_by_the_subscriber(
        enrolled_client, product_factory, webhook_subscriber):
    sub = subscribe(enrolled_client, webhook_subscriber)
    order_id = place_order(enrolled_client, product_factory)
    event = received(webhook_subscriber, order_id, timeout=30)
    assert event.accepted, event.verdict
    url = webhook_subscriber.url + "/hooks"
    signed = {k: event.headers[k] for k in ("webhook-id", "webhook-timestamp",
                                            "webhook-signature", "content-type")}

    tampered = event.body.replace(b'"order.created"', b'"order.paid"')
    assert tampered != event.body
    assert httpx.post(url, content=tampered, headers=signed, timeout=5).status_code == 401

    # the very same request again: a duplicate of the webhook-id, not a new delivery
    assert httpx.post(url, content=event.body, headers=signed, timeout=5).status_code == 200
    # a replay signed long ago (with the real secret): refused as too old
    old_body, old_headers = build_request("0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f01",
                                          event.json(), sub["secret"], int(time.time()) - 6 * 60)
    assert httpx.post(url, content=old_body, headers=old_headers, timeout=5).status_code == 401
    verdicts = [r.verdict for r in webhook_subscriber.requests]
    assert verdicts == ["accepted", "refused: No matching signature found", "duplicate",
                        "refused: Message timestamp too old"], verdicts
    assert len(webhook_subscriber.deliveries) == 1


def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(
        enrolled_client, product_factory, webhook_subscriber):
    sub = subscribe(enrolled_client, webhook_subscriber)
    rotated = enrolled_client.post(f"/v1/webhooks/subscriptions/{sub['id']}/secret")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != sub["secret"]
    assert rotated.json()["previous_secret_expires_at"]
    webhook_subscriber.trust(new)

    order_id = place_order(enrolled_client, product_factory)
    event = received(webhook_subscriber, order_id, timeout=30)
    assert len(event.headers["webhook-signature"].split(" ")) == 2
    Webhook(sub["secret"]).verify(event.body, event.headers)   # the old one still verifies
    Webhook(new).verify(event.body, event.headers)             # and the new one

    # the overlap ended at once: only the newest secret signs
    ended = enrolled_client.post(f"/v1/webhooks/subscriptions/{sub['id']}/secret",
                                 json={"overlap_seconds": 0})
    assert ended.status_code == 200, ended.text
    newest = ended.json()["secret"]
    webhook_subscriber.trust(newest)
    order_id = place_order(enrolled_client, product_factory)
    event = received(webhook_subscriber, order_id, timeout=30)
    assert len(event.headers["webhook-signature"].split(" ")) == 1
    Webhook(newest).verify(event.body, event.headers)
    for old in (sub["secret"], new):
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(event.body, event.headers)


def test_another_customer_can_neither_read_nor_rotate_a_subscription(
        client_factory, webhook_subscriber):
    owner, other = client_factory(), client_factory()
    sub = subscribe(owner, webhook_subscriber)
    path = f"/v1/webhooks/subscriptions/{sub['id']}"
    assert other.post(path + "/secret").status_code == 404
    assert other.get(path).status_code == 404
    assert owner.get(path).json()["status"] == "active"


def test_a_410_answer_disables_the_subscription(
        sandbox, enrolled_client, product_factory):
    with WebhookSubscriber(sandbox.network_gateway_ip("outside"), status=410) as gone:
        sub = subscribe(enrolled_client, gone, events=("order.created", "order.paid"))
        first = place_order(enrolled_client, product_factory)
        delivery = delivery_of(enrolled_client, first, lambda d: d["status"] == "dead")
        assert (delivery["attempts"], delivery["last_status_code"]) == (1, 410), delivery
        read = enrolled_client.get(f"/v1/webhooks/subscriptions/{sub['id']}").json()
        assert read["status"] == "disabled" and read["disabled_at"], read
        assert "410" in read["disabled_reason"]
        assert enrolled_client.get("/v1/webhooks/subscriptions").json()["items"][0][
            "status"] == "disabled"

        # nothing more is sent: not the first order's order.paid, not a second order
        second = place_order(enrolled_client, product_factory)
        eventually(lambda: enrolled_client.get(f"/v1/orders/{second}").json(), timeout=60,
                   until=lambda o: o["status"] == "paid")
        time.sleep(2)
        assert len([r for r in gone.requests if r.method == "POST"]) == 1, gone.requests
        assert deliveries(enrolled_client, order_id=second) == []


def test_retries_back_off_with_jitter_then_the_delivery_is_dead_until_redriven(
        sandbox, enrolled_client, product_factory):
    with WebhookSubscriber(sandbox.network_gateway_ip("outside"), status=503) as failing:
        subscribe(enrolled_client, failing)
        order_id = place_order(enrolled_client, product_factory)
        delivery = delivery_of(enrolled_client, order_id, lambda d: d["status"] == "dead")
        attempts = for_order(order_id, failing.requests)
        # the dead-letter state, listed as such; never attempted again by itself
        assert delivery["id"] in {d["id"] for d in deliveries(enrolled_client, status="dead")}
        assert len(for_order(order_id, failing.requests)) == MAX_ATTEMPTS

        # the dead letter is redriven once the subscriber is back: a fresh round, delivered
        failing.status = 200
        redriven = enrolled_client.post(f"/v1/webhooks/deliveries/{delivery['id']}/retry")
        assert redriven.status_code == 202, redriven.text
        again = delivery_of(enrolled_client, order_id, lambda d: d["status"] == "delivered")
        assert again["attempts"] == 1 and again["id"] == delivery["id"]
        assert for_order(order_id, failing.requests)[-1].webhook_id == delivery["id"]
        assert enrolled_client.post(
            f"/v1/webhooks/deliveries/{delivery['id']}/retry").status_code == 409
    assert delivery["attempts"] == MAX_ATTEMPTS and delivery["last_status_code"] == 503
    assert len(attempts) == MAX_ATTEMPTS
    assert {r.webhook_id for r in attempts} == {delivery["id"]}   # one delivery, retried
    assert all(r.accepted for r in attempts)                       # each signed afresh
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(attempts)]
    ceilings = [backoff_ceiling(n) for n in range(1, MAX_ATTEMPTS)]
    assert ceilings == sorted(ceilings) and ceilings[-1] > ceilings[0]  # the bound grows
    for gap, ceiling in zip(gaps, ceilings, strict=True):
        assert 0 <= gap <= ceiling + SLACK_S, (gaps, ceilings)


def test_a_subscriber_url_that_comes_to_point_inside_is_refused_by_egress(
        sandbox, enrolled_client, product_factory, webhook_subscriber):
    # accepted while it pointed outside; then its host names a container of the sandbox,
    # as a DNS answer that changed would (the row is rewritten in the database)
    sub = subscribe(enrolled_client, webhook_subscriber)
    database = f"webhooks_{sandbox.env}"
    code, out = sandbox.exec("postgres", [
        "psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", database, "-Atc",
        ("UPDATE subscriptions SET url = 'http://webhooks:8000/health/live' "
         f"WHERE id = '{sub['id']}'")])
    assert code == 0 and "UPDATE 1" in out, out
    order_id = place_order(enrolled_client, product_factory)
    delivery = delivery_of(enrolled_client, order_id, lambda d: d["attempts"] >= 1)
    assert delivery["last_status_code"] is None
    assert delivery["last_error"].startswith("destination refused: webhooks:8000 refused: "
                                             "webhooks resolves to an address of the sandbox")
    assert for_order(order_id, webhook_subscriber.requests) == []
