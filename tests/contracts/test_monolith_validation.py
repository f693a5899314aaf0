"""The monolith validates requests with the models its document is made of."""

import httpx

from services.monolith.app import create_app
from services.monolith.orders import CatalogClient
from services.platform.config import Settings
from services.platform.fakes import FakeSyncPool

USER = {"X-User-Id": "u1", "X-Client-Id": "c1", "X-User-Roles": "customer"}


def client():
    catalog = CatalogClient("http://catalog:8000", httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(404))))
    app = create_app(Settings(service="monolith"), secrets=None, pool=FakeSyncPool([]),
                     catalog=catalog, checks={})
    return app.test_client()


def test_invalid_order_is_a_422_problem_naming_the_field():
    r = client().post("/v1/orders", json={"items": [{"sku": "A", "quantity": 0}]}, headers=USER)
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert r.get_json()["detail"].startswith("items[0].quantity: ")


def test_a_body_that_is_not_json_is_a_422_problem():
    r = client().post("/v1/orders", data="not json", headers=USER)
    assert r.status_code == 422 and r.get_json()["status"] == 422


def test_missing_identity_is_401_even_when_the_body_is_invalid_too():
    r = client().post("/v1/orders", json={"items": "nope"})
    assert r.status_code == 401 and r.content_type == "application/problem+json"


def test_unknown_route_is_still_a_404_problem():
    r = client().get("/v1/nope", headers=USER)
    assert r.status_code == 404 and r.content_type == "application/problem+json"
