"""The mocks' pytest plugin as users run it (pytester): fixtures, failing on a drifted
stub, and --record-pacts."""

from __future__ import annotations

import json

import pytest
from mini_contract import write

pytest_plugins = ["pytester"]

CONSUMER_TEST = '''
import httpx
import pytest

from services.monolith.orders import CatalogClient

pytestmark = pytest.mark.consumer("monolith")


def test_reads_a_product(catalog_mock):
    catalog_mock.add("products", sku="SKU-1", price_cents=1250)
    assert CatalogClient("http://catalog:8000").product("SKU-1")["price_cents"] == 1250


def test_drifted_stub(catalog_mock):
    catalog_mock.route("GET /internal/products/{sku}").respond(
        200, json={"sku": "SKU-1", "name": "Mug", "price_cents": "12.50", "stock": 1})
    CatalogClient("http://catalog:8000").product("SKU-1")


def test_swallowed_violation(catalog_mock):
    catalog_mock.route("GET /internal/products/{sku}").respond(200, json={"sku": 1})
    try:
        httpx.get("http://catalog:8000/internal/products/X")
    except Exception:
        pass
'''


@pytest.fixture
def consumer_suite(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("SANDBOX_CONTRACTS_DIR", str(write(tmp_path / "contracts")))
    pytester.makepyfile(test_consumer=CONSUMER_TEST)
    return pytester


def test_fixtures_serve_the_contract_and_a_drifted_stub_fails_naming_the_field(consumer_suite):
    result = consumer_suite.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines([("*catalog GET /internal/products/{sku} 200: price_cents: "
                                 "'12.50' is not of type 'integer'*")])
    result.stdout.fnmatch_lines([("*a contract violation was swallowed by the code under test: "
                                 "catalog GET /internal/products/{sku} 200: name: 'name' is a "
                                 "required property*")])


def test_record_pacts_writes_the_passing_tests_interactions(consumer_suite, tmp_path):
    out = tmp_path / "pacts"
    result = consumer_suite.runpytest("-p", "no:randomly", "-p", "no:cacheprovider",
                                      "--record-pacts", f"--pacts-dir={out}")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    pact = json.loads((out / "monolith-catalog.json").read_text())
    assert [i["description"] for i in pact["interactions"]] == [
        "test_consumer::test_reads_a_product: GET /internal/products/{sku} → 200"]
    assert pact["interactions"][0]["providerStates"] == [{"name": "products SKU-1 exists"}]
    assert not (out / ".recording").exists()
