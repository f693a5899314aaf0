"""POST /v1/orders with an Idempotency-Key: a retry returns the first order, never a second."""

import httpx
import pytest

from services.monolith import idempotency
from services.monolith.app import create_app
from services.monolith.orders import MAX_QUANTITY, CatalogClient
from services.platform.config import Settings
from services.platform.fakes import FakeSyncPool

USER = {"X-User-Id": "u1", "X-Client-Id": "c1", "X-User-Roles": "customer"}
PRODUCT = {"sku": "SKU-1", "name": "Mug", "price_cents": 1250}


class KeyTable:
    """The idempotency_keys table of one customer, as the fake pool's rules."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict] = {}

    def find(self, params):
        row = self.rows.get((params[0], params[1]))
        return [row] if row and row["response"] is not None else []

    def claim(self, params):
        if (params[0], params[1]) in self.rows:
            return []
        self.rows[(params[0], params[1])] = {"request_hash": params[2], "response": None}
        return [{"key": params[1]}]

    def store(self, params):
        self.rows[(params[1], params[2])]["response"] = params[0].obj
        return []

    def rules(self):
        return [("UPDATE idempotency_keys", self.store), ("INSERT INTO idempotency_keys", self.claim),
                ("FROM idempotency_keys", self.find),
                ("FROM customers", [{"id": "u1", "client_id": "c1", "created_at": None}])]


def client_with(table: KeyTable):
    calls = []

    def transport(request):
        calls.append(request.url.path)
        return httpx.Response(200, json=PRODUCT)

    catalog = CatalogClient("http://catalog:8000", httpx.Client(transport=httpx.MockTransport(transport)))
    pool = FakeSyncPool(table.rules())
    app = create_app(Settings(service="monolith"), secrets=None, pool=pool, catalog=catalog, checks={})
    return app.test_client(), pool, calls


def order(quantity=2):
    return {"items": [{"sku": "SKU-1", "quantity": quantity}]}


def test_the_same_key_and_body_return_the_first_order_and_place_no_second():
    table = KeyTable()
    client, pool, calls = client_with(table)
    first = client.post("/v1/orders", json=order(), headers={**USER, "Idempotency-Key": "k-1"})
    again = client.post("/v1/orders", json=order(2.0), headers={**USER, "Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert idempotency.REPLAYED_HEADER not in first.headers
    assert len(pool.conn.sql_matching("INSERT INTO orders")) == 1
    assert len(pool.conn.sql_matching("INSERT INTO outbox")) == 1
    assert len(calls) == 1  # a replay does not even ask catalog


def test_the_same_key_with_another_body_is_a_422_problem():
    table = KeyTable()
    client, pool, _ = client_with(table)
    assert client.post("/v1/orders", json=order(2), headers={**USER, "Idempotency-Key": "k"}).status_code == 201
    r = client.post("/v1/orders", json=order(3), headers={**USER, "Idempotency-Key": "k"})
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert "different request" in r.get_json()["detail"]
    assert len(pool.conn.sql_matching("INSERT INTO orders")) == 1


def test_a_request_that_lost_the_race_for_its_key_replays_the_winner():
    table = KeyTable()
    client, pool, _ = client_with(table)
    winner = client.post("/v1/orders", json=order(), headers={**USER, "Idempotency-Key": "k"}).get_json()
    # the loser's first look found nothing (the winner had not committed yet)
    original_find = table.find
    looks = iter([[], None])
    table.find = lambda params: next(looks) or original_find(params)
    pool.conn.rules = table.rules()
    r = client.post("/v1/orders", json=order(), headers={**USER, "Idempotency-Key": "k"})
    assert r.status_code == 201 and r.get_json() == winner
    assert len(pool.conn.sql_matching("INSERT INTO orders")) == 1


def test_without_a_key_every_post_is_a_new_order():
    client, pool, _ = client_with(KeyTable())
    for _ in range(2):
        assert client.post("/v1/orders", json=order(), headers=USER).status_code == 201
    assert len(pool.conn.sql_matching("INSERT INTO orders")) == 2
    assert pool.conn.sql_matching("idempotency_keys") == []


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there", "é"])
def test_a_malformed_key_is_a_422_problem(key):
    client, pool, _ = client_with(KeyTable())
    r = client.post("/v1/orders", json=order(), headers={**USER, "Idempotency-Key": key})
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert pool.conn.sql_matching("INSERT INTO orders") == []


def test_lines_of_one_sku_together_cannot_pass_the_per_line_cap():
    client, pool, _ = client_with(KeyTable())
    half = MAX_QUANTITY // 2 + 1
    body = {"items": [{"sku": "SKU-1", "quantity": half}, {"sku": "SKU-1", "quantity": half}]}
    r = client.post("/v1/orders", json=body, headers=USER)
    assert r.status_code == 422 and "add up to more than 1000" in r.get_json()["detail"]
    assert pool.conn.sql_matching("INSERT INTO orders") == []
    body = {"items": [{"sku": "SKU-1", "quantity": MAX_QUANTITY - 1}, {"sku": "SKU-1", "quantity": 1}]}
    assert client.post("/v1/orders", json=body, headers=USER).status_code == 201
