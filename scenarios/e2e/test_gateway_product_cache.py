"""The gateway's 1 s cache of product reads: shared by the clients allowed to read, never
past the gateway's own checks, per request in its ids, and purged when the stock changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fixtures.gateway_client import GatewayClient
from fixtures.waiting import eventually

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

SAGA_TIMEOUT_S = 60.0


def _read(client: GatewayClient, sku: str) -> httpx.Response:
    response = client.get(f"/v1/products/{sku}")
    assert response.status_code == 200, response.text
    return response


def _a_hit(client: GatewayClient, sku: str) -> tuple[httpx.Response, httpx.Response]:
    """A read that the gateway answered from its cache, and the read that filled it (two
    reads in a row; again if the machine was so slow that the second came 1 s late)."""
    def pair() -> tuple[httpx.Response, httpx.Response]:
        first, second = _read(client, sku), _read(client, sku)
        assert second.headers["x-cache"] == "HIT", (first.headers, second.headers)
        return first, second

    return eventually(pair, timeout=10, interval=0.05)


def test_a_product_read_is_served_from_the_gateway_to_every_client_allowed_to_read(
    sandbox, client_factory, product_factory
):
    product = product_factory(stock=7, price_cents=990)
    alice, bob = client_factory(), client_factory()
    filled, hit = _a_hit(alice, product["sku"])
    assert hit.json() == filled.json() == {**hit.json(), "sku": product["sku"], "stock": 7}
    # the answer is this request's: its own ids, one of each
    assert hit.headers.get_list("x-request-id") != filled.headers.get_list("x-request-id")
    assert len(hit.headers.get_list("x-request-id")) == 1
    assert len(hit.headers.get_list("x-trace-id")) == 1
    # and the client's alone downstream
    assert hit.headers["cache-control"] == "private, max-age=1"
    assert hit.headers["vary"] == "X-Api-Key, Authorization"
    # another client shares the entry, once its own credentials passed
    _filled, other = _a_hit(bob, product["sku"])
    assert other.json() == hit.json()


def test_a_cached_product_is_never_served_past_the_gateways_checks(
    sandbox, gateway_url, enrolled_client, product_factory
):
    product = product_factory()
    _a_hit(enrolled_client, product["sku"])
    url = f"{gateway_url}/v1/products/{product['sku']}"
    nobody = httpx.get(url, timeout=10)
    key_only = httpx.get(url, headers={"X-Api-Key": enrolled_client.credentials.api_key},
                         timeout=10)
    forged = httpx.get(url, headers={"X-Api-Key": enrolled_client.credentials.api_key,
                                     "Authorization": "Bearer not-a-token"}, timeout=10)
    for answer in (nobody, key_only, forged):
        assert answer.status_code == 401, answer.text
        assert "x-cache" not in answer.headers
        assert product["sku"] not in answer.text


def test_a_stock_change_purges_the_gateway_entry(sandbox, enrolled_client, product_factory):
    client = enrolled_client
    product = product_factory(stock=5, price_cents=100)
    _a_hit(client, product["sku"])  # the gateway holds stock 5
    created = client.post("/v1/orders", json={"items": [{"sku": product["sku"], "quantity": 2}]})
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    eventually(lambda: client.get(f"/v1/orders/{order_id}").json(), timeout=SAGA_TIMEOUT_S,
               until=lambda o: o["status"] == "paid")
    # the worker reserved the stock before the order could be paid, and purged the entry
    # then: the first read that shows the new stock is a miss (an entry that merely
    # expired would say EXPIRED; one left in place would still say 5)
    seen: list[dict[str, Any]] = []

    def changed() -> httpx.Response:
        answer = _read(client, product["sku"])
        seen.append({"stock": answer.json()["stock"], "x-cache": answer.headers["x-cache"]})
        return answer

    answer = eventually(changed, timeout=10, interval=0.05,
                        until=lambda a: a.json()["stock"] == 3)
    assert answer.headers["x-cache"] == "MISS", seen


def test_the_purge_route_answers_only_the_private_network(sandbox, gateway_url, product_factory):
    product = product_factory()
    for method in ("PURGE", "GET", "DELETE"):
        answer = httpx.request(method, f"{gateway_url}/internal/cache/products/{product['sku']}",
                               timeout=10)
        assert answer.status_code == 403, (method, answer.text)
