import asyncio

import pytest
from fastapi.testclient import TestClient

from services.catalog import store
from services.catalog.app import app
from services.catalog.worker import reserve_effect
from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.resources import Resources

PRODUCT = {"sku": "SKU-1", "name": "Mug", "price_cents": 1250, "stock": 3}
ADMIN = {"X-User-Id": "u1", "X-Client-Id": "c1", "X-User-Roles": "admin"}


class DictCache:
    def __init__(self):
        self.data, self.invalidated = {}, []

    async def get(self, sku):
        return self.data.get(sku)

    async def put(self, product):
        self.data[product["sku"]] = product

    async def invalidate(self, *skus):
        self.invalidated.extend(skus)
        for s in skus:
            self.data.pop(s, None)


def client_with(rules):
    pool = FakeAsyncPool(rules)
    cache = DictCache()
    app.state.resources = Resources(settings=Settings(service="catalog"), secrets=None,
                                    pool=pool, extra={"cache": cache})
    return TestClient(app), pool, cache


def test_product_read_is_cached_after_the_first_database_read():
    client, pool, cache = client_with([("FROM products WHERE sku", [PRODUCT])])
    assert client.get("/internal/products/SKU-1").json() == PRODUCT
    assert client.get("/v1/products/SKU-1", headers=ADMIN).json() == PRODUCT
    assert len(pool.conn.sql_matching("FROM products WHERE sku")) == 1
    assert cache.data["SKU-1"] == PRODUCT


def test_a_product_read_tells_the_gateway_how_long_to_keep_it():
    client, _, _ = client_with([("FROM products WHERE sku", [PRODUCT])])
    answer = client.get("/v1/products/SKU-1", headers=ADMIN)
    assert answer.headers["cache-control"] == "max-age=1, stale-while-revalidate=1"
    missing = client_with([])[0].get("/v1/products/NOPE", headers=ADMIN)
    assert missing.status_code == 404 and "cache-control" not in missing.headers


def test_unknown_product_is_404_problem():
    client, _, _ = client_with([])
    r = client.get("/internal/products/NOPE")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_public_routes_need_the_gateway_identity():
    client, _, _ = client_with([])
    assert client.get("/v1/products").status_code == 401


def test_create_product_needs_admin_and_invalidates_cache():
    client, _pool, cache = client_with([("INSERT INTO products", [PRODUCT])])
    body = {k: PRODUCT[k] for k in ("sku", "name", "price_cents", "stock")}
    user = {**ADMIN, "X-User-Roles": "user"}
    assert client.post("/v1/products", json=body, headers=user).status_code == 403
    r = client.post("/v1/products", json=body, headers=ADMIN)
    assert r.status_code == 201 and r.json()["sku"] == "SKU-1"
    assert cache.invalidated == ["SKU-1"]
    bad = client.post("/v1/products", json={**body, "price_cents": -1}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["status"] == 422


def test_duplicate_product_is_409():
    client, _, _ = client_with([])  # ON CONFLICT DO NOTHING returns no row
    body = {"sku": "SKU-1", "name": "Mug", "price_cents": 1, "stock": 1}
    assert client.post("/v1/products", json=body, headers=ADMIN).status_code == 409


ORDER = {"id": "m1", "type": "order.created", "trace_id": "a" * 32,
         "data": {"order_id": "o1", "customer_id": "u1", "total_cents": 500,
                  "items": [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2},
                            {"sku": "B", "quantity": 1}]}}


def test_reservation_takes_all_items_in_sku_order_and_emits_stock_reserved():
    pool = FakeAsyncPool([("UPDATE products", lambda p: [{"sku": p[1]}])])
    touched = asyncio.run(reserve_effect(pool.conn, ORDER))
    assert touched == ["A", "B"]
    updates = pool.conn.sql_matching("UPDATE products")
    assert [(p[1], p[0]) for _, p in updates] == [("A", 2), ("B", 2)]
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "stock.reserved"
    assert outbox[2].obj["data"] == {"order_id": "o1", "total_cents": 500, "customer_id": "u1"}


def test_insufficient_stock_rolls_back_every_item_and_emits_stock_rejected():
    pool = FakeAsyncPool([("UPDATE products", lambda p: [{"sku": p[1]}] if p[1] == "A" else [])])
    assert asyncio.run(reserve_effect(pool.conn, ORDER)) == []
    assert pool.conn.events == ["begin", "rollback"]  # the savepoint of the reservation
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "stock.rejected"
    assert outbox[2].obj["data"] == {"order_id": "o1", "reason": "insufficient stock for B"}


def test_quantities_must_be_positive():
    try:
        store.quantities_by_sku([{"sku": "A", "quantity": 0}])
    except ValueError as exc:
        assert "positive" in str(exc)
    else:
        raise AssertionError("zero quantity accepted")


@pytest.mark.parametrize("field", ["price_cents", "stock"])
@pytest.mark.parametrize("value", [2, 2.0])
def test_a_products_integers_take_a_float_without_fraction_as_that_int(field, value):
    client, pool, _ = client_with([("INSERT INTO products", [PRODUCT])])
    body = {k: PRODUCT[k] for k in ("sku", "name", "price_cents", "stock")}
    r = client.post("/v1/products", json={**body, field: value}, headers=ADMIN)
    assert r.status_code == 201
    [(_, params)] = pool.conn.sql_matching("INSERT INTO products")
    stored = params[("sku", "name", "price_cents", "stock").index(field)]
    assert stored == 2 and type(stored) is int


@pytest.mark.parametrize("field", ["price_cents", "stock"])
@pytest.mark.parametrize("value", [True, "2", 2.5])
def test_a_products_integers_refuse_booleans_strings_and_fractions(field, value):
    client, pool, _ = client_with([("INSERT INTO products", [PRODUCT])])
    body = {k: PRODUCT[k] for k in ("sku", "name", "price_cents", "stock")}
    r = client.post("/v1/products", json={**body, field: value}, headers=ADMIN)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith(f"body.{field}: ")
    assert pool.conn.sql_matching("INSERT INTO products") == []
