import httpx
import pytest

from services.monolith.app import create_app
from services.monolith.orders import CatalogClient, price_items, validate_items
from services.monolith.ssh import authorized_keys
from services.platform.config import Settings
from services.platform.fakes import FakeSyncPool
from services.platform.problem import ProblemError

USER = {"X-User-Id": "u1", "X-Client-Id": "c1", "X-User-Roles": "user"}
PRODUCTS = {"SKU-1": {"sku": "SKU-1", "name": "Mug", "price_cents": 1250, "stock": 5}}


def catalog_transport(request: httpx.Request) -> httpx.Response:
    sku = request.url.path.rsplit("/", 1)[-1]
    if sku == "BROKEN":
        return httpx.Response(500)
    if sku == "SLOW":
        raise httpx.ReadTimeout("slow", request=request)
    if sku in PRODUCTS:
        assert request.headers["traceparent"].startswith("00-")  # the order's trace goes on
        return httpx.Response(200, json=PRODUCTS[sku])
    return httpx.Response(404, json={"status": 404})


def make_client(pool=None):
    catalog = CatalogClient("http://catalog:8000",
                            httpx.Client(transport=httpx.MockTransport(catalog_transport)))
    pool = pool or FakeSyncPool([("FROM customers", [{"id": "u1", "client_id": "c1",
                                                      "created_at": None}])])
    app = create_app(Settings(service="monolith"), secrets=None, pool=pool, catalog=catalog,
                     checks={})
    return app.test_client(), pool


def test_order_is_priced_from_catalog_and_stored_with_its_event_in_one_transaction():
    client, pool = make_client()
    r = client.post("/v1/orders", json={"items": [{"sku": "SKU-1", "quantity": 2}]}, headers=USER)
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "pending" and body["total_cents"] == 2500
    assert body["customer_id"] == "u1"
    assert body["items"] == [{"sku": "SKU-1", "quantity": 2, "price_cents": 1250}]
    assert pool.conn.events == ["begin", "commit"]
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "order.created"
    assert outbox[2].obj["data"] == {"order_id": body["id"], "customer_id": "u1",
                                     "items": body["items"], "total_cents": 2500}


@pytest.mark.parametrize("sku,status", [("NOPE", 422), ("BROKEN", 503), ("SLOW", 503)])
def test_catalog_answers_map_to_problems(sku, status):
    client, pool = make_client()
    r = client.post("/v1/orders", json={"items": [{"sku": sku, "quantity": 1}]}, headers=USER)
    assert r.status_code == status and r.content_type == "application/problem+json"
    assert pool.conn.sql_matching("INSERT INTO orders") == []


@pytest.mark.parametrize("body", [{}, {"items": []}, {"items": [{"sku": "A", "quantity": 0}]},
                                  {"items": [{"sku": "A", "quantity": True}]},
                                  {"items": [{"sku": 3, "quantity": 1}]}])
def test_invalid_orders_are_422(body):
    with pytest.raises(ProblemError) as err:
        validate_items(body)
    assert err.value.status == 422


def test_orders_need_the_gateway_identity():
    client, _ = make_client()
    assert client.post("/v1/orders", json={"items": []}).status_code == 401


def test_other_customers_orders_are_not_found():
    client, pool = make_client(FakeSyncPool([]))
    r = client.get("/v1/orders/0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00", headers=USER)
    assert r.status_code == 404
    [(sql, params)] = pool.conn.sql_matching("FROM orders")
    assert "customer_id = %s" in sql and params[1] == "u1"
    assert client.get("/v1/orders/not-a-uuid", headers=USER).status_code == 404


def test_customer_is_created_on_first_use():
    client, pool = make_client()
    assert client.get("/v1/customers/me", headers=USER).get_json()["id"] == "u1"
    assert "ON CONFLICT (id) DO NOTHING" in pool.conn.executed[0][0]


def test_each_sku_is_read_once():
    calls = []

    def transport(request):
        calls.append(request.url.path)
        return httpx.Response(200, json={"sku": "A", "name": "a", "price_cents": 1})

    catalog = CatalogClient("http://c", httpx.Client(transport=httpx.MockTransport(transport)))
    priced = price_items([{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 2}], catalog)
    assert calls == ["/internal/products/A"] and len(priced) == 2


def test_authorized_keys_are_normalised():
    assert authorized_keys("  ") == ""
    assert authorized_keys("ssh-ed25519 AAAA x\nssh-rsa BBBB y\n") == (
        "ssh-ed25519 AAAA x\nssh-rsa BBBB y\n")


@pytest.mark.parametrize("quantity", [2, 2.0])
def test_a_quantity_may_be_a_float_without_fraction_and_is_stored_as_that_int(quantity):
    client, pool = make_client()
    r = client.post("/v1/orders", json={"items": [{"sku": "SKU-1", "quantity": quantity}]},
                    headers=USER)
    assert r.status_code == 201 and r.get_json()["total_cents"] == 2500
    [(_, params)] = pool.conn.sql_matching("INSERT INTO order_items")
    assert params[4] == 2 and type(params[4]) is int
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[2].obj["data"]["items"][0]["quantity"] == 2


@pytest.mark.parametrize("quantity", [True, "2", 2.5])
def test_a_quantity_that_is_a_boolean_a_string_or_a_fraction_is_a_422_problem(quantity):
    client, pool = make_client()
    r = client.post("/v1/orders", json={"items": [{"sku": "SKU-1", "quantity": quantity}]},
                    headers=USER)
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert r.get_json()["detail"].startswith("items[0].quantity: ")
    assert pool.conn.sql_matching("INSERT INTO orders") == []
