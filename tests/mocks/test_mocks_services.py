"""Every operation of every committed service contract, served by its mock: a request the
contract allows (generated from it) gets a contract-valid answer, and the stateful
resources come back as created."""

from __future__ import annotations

import httpx
import pytest

from mocks import SERVICES, ServiceMock
from mocks.fakedata import FakeData
from mocks.openapi import json_schema

OPERATIONS = [(name, op.key) for name in SERVICES for op in ServiceMock(name).contract.operations]
CALLER = {"X-User-Id": "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11", "X-Client-Id": "c-1",
          "X-User-Roles": "admin,customer"}


def valid_request(mock: ServiceMock, key: str) -> httpx.Request:
    op = mock.contract.operation(key)
    fake = FakeData(mock.contract.checker, seed=11)
    path = op.path
    for p in op.params("path"):
        path = path.replace("{" + p.name + "}", str(fake.value(p.schema, key=p.name, name=p.name)))
    query = {p.name: str(fake.value(p.schema, key=p.name, name=p.name))
             for p in op.params("query") if p.required}
    headers = {p.name: str(fake.value(p.schema, key=p.name, name=p.name))
               for p in op.params("header") if p.required}
    headers.update({k: v for k, v in CALLER.items()
                    if any(p.name.lower() == k.lower() for p in op.params("header"))})
    body = None
    if op.request_body:
        found = json_schema(op.request_body.get("content"))
        body = fake.value(found[1], key="body") if found else None
    return httpx.Request(op.method, f"{mock.base_url}{path}", params=query, headers=headers,
                         json=body)


@pytest.mark.parametrize("service,key", OPERATIONS, ids=[f"{s} {k}" for s, k in OPERATIONS])
def test_a_request_the_contract_allows_gets_an_answer_the_contract_documents(service, key):
    with ServiceMock(service, seed=3) as mock, httpx.Client() as client:
        r = client.send(valid_request(mock, key))
        op = mock.contract.operation(key)
        assert op.response(r.status_code) is not None, r.text
        if service != "auth" or key not in ("POST /v1/auth/token", "GET /internal/verify"):
            assert r.status_code < 300, r.text   # auth refuses unknown credentials (401)
        assert not mock.violations


def test_an_order_placed_on_the_monolith_mock_is_read_back_by_its_customer():
    with ServiceMock("monolith", seed=1), httpx.Client(base_url="http://monolith:8000") as c:
        placed = c.post("/v1/orders", headers=CALLER,
                        json={"items": [{"sku": "SKU-A", "quantity": 2}]}).json()
        assert placed["status"] == "pending" and placed["customer_id"] == CALLER["X-User-Id"]
        [item] = placed["items"]
        assert placed["total_cents"] == item["price_cents"] * 2 and item["sku"] == "SKU-A"
        read = c.get(f"/v1/orders/{placed['id']}", headers=CALLER)
        assert read.status_code == 200, read.text
        detail = read.json()
        assert {k: detail[k] for k in ("id", "status", "total_cents", "customer_id")} == {
            k: placed[k] for k in ("id", "status", "total_cents", "customer_id")}
        assert [(i["sku"], i["quantity"], i["price_cents"]) for i in detail["items"]] == [
            (item["sku"], 2, item["price_cents"])]
        other = {**CALLER, "X-User-Id": "someone-else"}
        assert c.get(f"/v1/orders/{placed['id']}", headers=other).status_code == 404


def test_a_subscription_made_on_the_webhooks_mock_is_listed_for_its_owner_only():
    with ServiceMock("webhooks", seed=1), httpx.Client(base_url="http://webhooks:8000") as c:
        made = c.post("/v1/webhooks/subscriptions", headers=CALLER,
                      json={"url": "https://shop.example/hooks", "events": ["order.paid"]})
        assert made.status_code == 201, made.text
        listed = c.get("/v1/webhooks/subscriptions", headers=CALLER).json()["items"]
        secret = made.json().pop("secret")
        assert secret.startswith("whsec_")  # answered once, by the creation
        assert listed == [{k: v for k, v in made.json().items() if k != "secret"}]
        read = c.get(f"/v1/webhooks/subscriptions/{made.json()['id']}", headers=CALLER).json()
        assert read["id"] == made.json()["id"] and "secret" not in read
        other = {**CALLER, "X-User-Id": "someone-else"}
        assert c.get("/v1/webhooks/subscriptions", headers=other).json()["items"] == []


def test_payments_the_worker_made_are_listed_per_order():
    order = "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00"
    with ServiceMock("payments", seed=1) as mock, \
            httpx.Client(base_url="http://payments:8000") as c:
        mock.add("payments", order_id=order, customer_id=CALLER["X-User-Id"])
        mock.add("payments", order_id="another", customer_id=CALLER["X-User-Id"])
        items = c.get("/v1/payments", params={"order_id": order}, headers=CALLER).json()["items"]
        assert [p["order_id"] for p in items] == [order]


def test_a_token_of_an_enrolled_client_is_verified_by_the_auth_mock():
    with ServiceMock("auth", seed=1), httpx.Client(base_url="http://auth:8000") as c:
        client = c.post("/v1/admin/clients", headers=CALLER, json={"name": "Shop"}).json()
        token = c.post("/v1/auth/token", headers={"X-Api-Key": client["api_key"]},
                       json={"username": client["username"], "password": client["password"]})
        assert token.status_code == 200, token.text
        verified = c.get("/internal/verify", headers={
            "X-Api-Key": client["api_key"],
            "Authorization": f"Bearer {token.json()['access_token']}"})
        assert verified.status_code == 200
        assert verified.headers["X-Client-Id"] == client["client_id"]
        wrong = c.post("/v1/auth/token", headers={"X-Api-Key": client["api_key"]},
                       json={"username": client["username"], "password": "wrong"})
        assert wrong.status_code == 401
