"""Orders are idempotent: a client that retries POST /v1/orders with its Idempotency-Key
(after a timeout, a dropped connection, a crash) gets the first order back, never a
second one and never a second charge."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from fixtures.waiting import eventually

pytestmark = [pytest.mark.docker, pytest.mark.security]

SAGA_TIMEOUT_S = 60.0


def test_retries_with_one_key_place_one_order_and_charge_it_once(enrolled_client, product_factory):
    client = enrolled_client
    product = product_factory(stock=10, price_cents=700)
    body = {"items": [{"sku": product["sku"], "quantity": 2}]}
    key = f"retry-{uuid.uuid4()}"

    # four retries racing each other with the same key and body
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(
            lambda _: client.post("/v1/orders", json=body, headers={"Idempotency-Key": key}),
            range(4)))
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
    order_id = answers[0].json()["id"]

    eventually(lambda: client.get(f"/v1/orders/{order_id}").json(), timeout=SAGA_TIMEOUT_S,
               until=lambda o: o["status"] == "paid")
    payments = client.get("/v1/payments", params={"order_id": order_id}).json()["items"]
    assert [(p["amount_cents"], p["status"]) for p in payments] == [(1400, "succeeded")]
    stock = client.get(f"/v1/products/{product['sku']}").json()["stock"]
    assert stock == 8  # reserved once

    # a retry after the saga still returns the first answer
    late = client.post("/v1/orders", json=body, headers={"Idempotency-Key": key})
    assert late.status_code == 201 and late.json() == answers[0].json()


def test_a_key_reused_for_another_order_is_a_422_and_places_nothing(enrolled_client, product_factory):
    client = enrolled_client
    product = product_factory(stock=10, price_cents=700)
    key = f"reuse-{uuid.uuid4()}"
    first = client.post("/v1/orders", json={"items": [{"sku": product["sku"], "quantity": 1}]},
                        headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    other = client.post("/v1/orders", json={"items": [{"sku": product["sku"], "quantity": 3}]},
                        headers={"Idempotency-Key": key})
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")


def test_keys_are_per_customer(client_factory, product_factory):
    alice, bob = client_factory(), client_factory()
    product = product_factory(stock=10, price_cents=700)
    body = {"items": [{"sku": product["sku"], "quantity": 1}]}
    key = f"shared-{uuid.uuid4()}"
    a = alice.post("/v1/orders", json=body, headers={"Idempotency-Key": key})
    b = bob.post("/v1/orders", json=body, headers={"Idempotency-Key": key})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert b.json()["customer_id"] == bob.credentials.user_id


def test_lines_of_one_sku_cannot_pass_the_per_line_cap(enrolled_client, product_factory):
    product = product_factory(stock=5000, price_cents=1)
    lines = [{"sku": product["sku"], "quantity": 1000}, {"sku": product["sku"], "quantity": 1000}]
    r = enrolled_client.post("/v1/orders", json={"items": lines})
    assert r.status_code == 422, r.text
