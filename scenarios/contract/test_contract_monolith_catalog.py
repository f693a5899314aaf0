"""The monolith as catalog's consumer: its real CatalogClient and order placement against
the catalog mock (no Docker). What it relied on is recorded in mocks/pacts/monolith-catalog.json."""

from __future__ import annotations

import httpx
import pytest

from services.monolith.app import create_app
from services.monolith.orders import CatalogClient
from services.platform.config import Settings
from services.platform.fakes import FakeSyncPool
from services.platform.problem import ProblemError

pytestmark = pytest.mark.consumer("monolith")
PRODUCT = "GET /internal/products/{sku}"
USER = {"X-User-Id": "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11", "X-Client-Id": "c-1",
        "X-User-Roles": "customer"}


def test_catalog_client_reads_name_and_price_of_a_product(catalog_mock):
    product = catalog_mock.add("products", sku="SKU-MUG", name="Mug", price_cents=1250)
    got = CatalogClient("http://catalog:8000").product("SKU-MUG")
    assert got == {"sku": "SKU-MUG", "name": "Mug", "price_cents": 1250}
    assert product["price_cents"] == 1250 and catalog_mock.router[PRODUCT].call_count == 1


def test_unknown_sku_becomes_a_422_for_the_customer(catalog_mock):
    catalog_mock.route(PRODUCT, sku="NOPE").respond(404)
    with pytest.raises(ProblemError) as err:
        CatalogClient("http://catalog:8000").product("NOPE")
    assert err.value.status == 422 and "NOPE" in err.value.detail


@pytest.mark.parametrize("status", [503, 504])
def test_catalog_failures_become_503(catalog_mock, status):
    catalog_mock.route(PRODUCT).respond(status)
    with pytest.raises(ProblemError) as err:
        CatalogClient("http://catalog:8000").product("SKU-1")
    assert err.value.status == 503 and str(status) in err.value.detail


@pytest.mark.parametrize("kind", ["read", "connect"])
def test_catalog_timeouts_become_503(catalog_mock, kind):
    catalog_mock.route(PRODUCT).timeout(kind)
    with pytest.raises(ProblemError) as err:
        CatalogClient("http://catalog:8000").product("SKU-1")
    assert err.value.status == 503 and "in time" in err.value.detail


def test_a_catalog_slower_than_the_client_timeout_is_a_503(catalog_mock):
    catalog_mock.route(PRODUCT).delay(0.5)
    client = CatalogClient("http://catalog:8000", httpx.Client(timeout=0.1))
    with pytest.raises(ProblemError) as err:
        client.product("SKU-1")
    assert err.value.status == 503


def test_a_slow_catalog_within_the_timeout_still_prices_the_order(catalog_mock):
    catalog_mock.add("products", sku="SKU-SLOW", price_cents=300)
    catalog_mock.route(PRODUCT).delay(0.05)
    assert CatalogClient("http://catalog:8000").product("SKU-SLOW")["price_cents"] == 300


def test_order_is_priced_by_catalog_and_its_event_keeps_the_events_contract(catalog_mock,
                                                                             broker_double):
    catalog_mock.add("products", sku="SKU-A", name="Mug", price_cents=1250)
    catalog_mock.add("products", sku="SKU-B", name="Plate", price_cents=800)
    pool = FakeSyncPool([("FROM customers", [{"id": USER["X-User-Id"], "client_id": "c-1",
                                               "created_at": None}])])
    app = create_app(Settings(service="monolith"), secrets=None, pool=pool,
                     catalog=CatalogClient("http://catalog:8000"), checks={})
    body = {"items": [{"sku": "SKU-A", "quantity": 2}, {"sku": "SKU-B", "quantity": 1},
                      {"sku": "SKU-A", "quantity": 1}]}
    r = app.test_client().post("/v1/orders", json=body, headers=USER)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["total_cents"] == 3 * 1250 + 800
    assert catalog_mock.router[PRODUCT].call_count == 2  # one read per distinct sku
    [event] = broker_double.relay(pool)
    assert event["type"] == "order.created" and event["data"]["total_cents"] == 4550


def test_an_order_of_an_unknown_sku_is_refused_before_anything_is_stored(catalog_mock):
    catalog_mock.route(PRODUCT, sku="GONE").respond(404)
    pool = FakeSyncPool([])
    app = create_app(Settings(service="monolith"), secrets=None, pool=pool,
                     catalog=CatalogClient("http://catalog:8000"), checks={})
    r = app.test_client().post("/v1/orders", json={"items": [{"sku": "GONE", "quantity": 1}]},
                               headers=USER)
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert pool.conn.sql_matching("INSERT INTO orders") == []
