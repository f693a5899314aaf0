"""A service mock as a consumer's test sees it: contract-driven answers, state, overrides,
and the contract enforced on both sides."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from mini_contract import write

from mocks import ContractViolation, ServiceMock, UnknownOperation

URL = "http://catalog:8000"
PRODUCT = "GET /internal/products/{sku}"
ADMIN = {"X-User-Id": "u-admin"}


@pytest.fixture
def contracts(tmp_path):
    return write(tmp_path / "contracts")


@pytest.fixture
def catalog(contracts):
    with ServiceMock("catalog", contracts_dir=contracts, seed=1) as mock:
        yield mock


def test_every_route_answers_realistic_data_valid_against_the_contract(catalog):
    product = httpx.get(f"{URL}/internal/products/SKU-1").json()
    assert product["sku"] == "SKU-1" and isinstance(product["price_cents"], int)
    assert product["price_cents"] >= 0 and product["name"].strip()
    listed = httpx.get(f"{URL}/v1/products", headers=ADMIN).json()
    assert all(set(p) == {"sku", "name", "price_cents", "stock"} for p in listed["items"])


def test_the_same_seed_gives_the_same_answers_and_another_seed_others(contracts):
    def answers(seed):
        with ServiceMock("catalog", contracts_dir=contracts, seed=seed):
            return [httpx.get(f"{URL}/internal/products/{s}").json() for s in ("A", "B")]

    assert answers(5) == answers(5)
    assert answers(5) != answers(6)


def test_a_post_then_a_get_returns_what_was_created(catalog):
    body = {"sku": "MUG-1", "name": "Mug", "price_cents": 1250, "stock": 3}
    created = httpx.post(f"{URL}/v1/products", json=body, headers=ADMIN)
    assert created.status_code == 201 and created.json() == body
    assert httpx.get(f"{URL}/internal/products/MUG-1").json() == body
    assert body in httpx.get(f"{URL}/v1/products", headers=ADMIN).json()["items"]
    again = httpx.post(f"{URL}/v1/products", json=body, headers=ADMIN)
    assert again.status_code == 409


def test_a_request_the_service_would_refuse_gets_its_422_problem_naming_the_field(catalog):
    r = httpx.post(f"{URL}/v1/products", headers=ADMIN,
                   json={"sku": "bad sku", "name": "Mug", "price_cents": -1, "stock": 1})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert set(problem) == {"type", "title", "status", "detail"}
    assert problem["title"] == "Unprocessable Content" and problem["status"] == 422
    assert "body.price_cents: -1 is less than the minimum of 0" in problem["detail"]
    assert "body.sku" in problem["detail"]
    bad_query = httpx.get(f"{URL}/v1/products?limit=0", headers=ADMIN)
    assert bad_query.status_code == 422 and "query.limit" in bad_query.json()["detail"]


def test_routes_that_need_the_gateway_identity_answer_401_without_it(catalog):
    r = httpx.get(f"{URL}/v1/products")
    assert r.status_code == 401 and "X-User-Id" in r.json()["detail"]


def test_unknown_paths_and_methods_are_404_and_405_problems(catalog):
    assert httpx.get(f"{URL}/v1/nothing").status_code == 404
    assert httpx.delete(f"{URL}/v1/products").status_code == 405


@pytest.mark.parametrize("status", [404, 503, 504])
def test_an_error_override_answers_the_services_problem(catalog, status):
    catalog.route(PRODUCT).respond(status)
    r = httpx.get(f"{URL}/internal/products/X")
    assert r.status_code == status and r.json()["status"] == status


def test_an_override_can_be_limited_to_path_parameters_and_a_number_of_calls(catalog):
    catalog.route(PRODUCT, sku="GONE").respond(404)
    catalog.route(PRODUCT, sku="FLAKY").respond(503, times=1)
    assert httpx.get(f"{URL}/internal/products/GONE").status_code == 404
    assert httpx.get(f"{URL}/internal/products/OTHER").status_code == 200
    assert [httpx.get(f"{URL}/internal/products/FLAKY").status_code for _ in range(2)] == [503, 200]


@pytest.mark.parametrize("kind,error", [("read", httpx.ReadTimeout),
                                        ("connect", httpx.ConnectTimeout)])
def test_a_timeout_override_raises_the_httpx_timeout(catalog, kind, error):
    catalog.route(PRODUCT).timeout(kind)
    with pytest.raises(error):
        httpx.get(f"{URL}/internal/products/X")


def test_a_delay_longer_than_the_clients_read_timeout_is_a_read_timeout_at_that_timeout(catalog):
    catalog.route(PRODUCT).delay(5)
    start = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{URL}/internal/products/X", timeout=0.1)
    assert time.monotonic() - start < 1


def test_a_delay_also_slows_async_clients_without_blocking_the_loop(catalog):
    catalog.route(PRODUCT).delay(0.2)

    async def go():
        async with httpx.AsyncClient() as client:
            start = time.monotonic()
            a, b = await asyncio.gather(client.get(f"{URL}/internal/products/A"),
                                        client.get(f"{URL}/internal/products/B"))
            return a.status_code, b.status_code, time.monotonic() - start

    first, second, took = asyncio.run(go())
    assert (first, second) == (200, 200) and 0.2 <= took < 0.39


def test_stubbed_answer_that_breaks_the_schema_names_the_operation_and_the_field(catalog):
    catalog.route(PRODUCT).respond(200, json={"sku": "A", "name": "Mug", "price_cents": "x",
                                              "stock": 1})
    with pytest.raises(ContractViolation) as err:
        httpx.get(f"{URL}/internal/products/A")
    assert str(err.value) == ("catalog GET /internal/products/{sku} 200: "
                              "price_cents: 'x' is not of type 'integer'")
    assert catalog.violations


def test_a_stubbed_status_the_contract_does_not_declare_is_a_violation(catalog):
    catalog.route(PRODUCT).respond(418)
    with pytest.raises(ContractViolation, match="status 418 is not in the contract"):
        httpx.get(f"{URL}/internal/products/A")


def test_an_override_of_an_operation_the_contract_lacks_names_the_known_ones(catalog):
    with pytest.raises(UnknownOperation, match="GET /internal/products/{sku}"):
        catalog.route("GET /internal/product")


def test_a_mock_is_a_respx_router_with_a_route_per_operation(catalog):
    httpx.get(f"{URL}/internal/products/A")
    assert catalog.router[PRODUCT].call_count == 1
    assert [s.operation for s in catalog.served] == [PRODUCT]


def test_another_base_url_is_one_argument(contracts):
    with ServiceMock("catalog", contracts_dir=contracts, base_url="http://127.0.0.1:9"):
        assert httpx.get("http://127.0.0.1:9/internal/products/A").status_code == 200


def test_entering_a_mock_again_starts_from_a_clean_state(catalog):
    catalog.add("products", sku="KEEP", price_cents=5)
    assert httpx.get(f"{URL}/internal/products/KEEP").json()["price_cents"] == 5
    catalog.route(PRODUCT).respond(503)
    catalog.stop()
    with catalog:
        assert catalog.store.items(catalog.collection("products")) == []
        r = httpx.get(f"{URL}/internal/products/KEEP")
        assert r.status_code == 200 and catalog.served[0].status == 200
