"""The static check of recorded pacts against the providers' contracts, and the drift
guards: a mock that drifts from its provider, or a provider that drops what a consumer
relies on, fail it naming the field."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from mini_contract import CATALOG, write

from mocks import ContractViolation, PairResult, ServiceMock, recording, static_check
from mocks.documents import CONTRACTS_DIR, PACTS_DIR
from mocks.pacts import pact_document, pact_text
from mocks.recording import Recorder, record_http
from services.monolith.orders import CatalogClient

URL = "http://catalog:8000"


def recorded_pacts(contracts: Path, out: Path) -> Path:
    """monolith's CatalogClient against the mini catalog mock, recorded as a pact."""
    rec = Recorder()
    with ServiceMock("catalog", contracts_dir=contracts) as catalog:
        catalog.add("products", sku="SKU-1", price_cents=1250)
        with rec.context(consumer="monolith", test="t"):
            recording.ACTIVE = rec
            try:
                CatalogClient(URL).product("SKU-1")
            finally:
                recording.ACTIVE = None
    out.mkdir(parents=True, exist_ok=True)
    (out / "monolith-catalog.json").write_text(
        pact_text(pact_document("monolith", "catalog", rec.interactions)))
    return out


def problems(results: list[PairResult]) -> list[str]:
    return [p for r in results for i in r.interactions for p in i.problems]


def test_recorded_interactions_that_keep_the_contract_pass(tmp_path):
    contracts = write(tmp_path / "contracts")
    [pair] = static_check(recorded_pacts(contracts, tmp_path / "pacts"), contracts)
    assert pair.ok and (pair.consumer, pair.provider) == ("monolith", "catalog")
    assert pair.contracts == ("catalog.openapi.json",)
    assert [i.operation for i in pair.interactions] == ["GET /internal/products/{sku}"]
    assert pair.summary() == ("monolith → catalog (catalog.openapi.json): 1 interactions, ok")


def test_a_mock_answer_that_drifts_from_the_contract_fails_the_static_check(tmp_path):
    contracts = write(tmp_path / "contracts")
    pacts = recorded_pacts(contracts, tmp_path / "pacts")
    path = pacts / "monolith-catalog.json"
    doc = json.loads(path.read_text())
    doc["interactions"][0]["response"]["body"]["content"]["price_cents"] = "12.50"
    path.write_text(json.dumps(doc))
    [pair] = static_check(pacts, contracts)
    assert not pair.ok
    assert problems([pair]) == ["response 200: price_cents: '12.50' is not of type 'integer'"]
    assert "1 of 1 interactions broken" in pair.summary()


def test_a_mock_answer_that_drifts_fails_the_consumer_test_naming_the_field(tmp_path):
    with ServiceMock("catalog", contracts_dir=write(tmp_path)) as catalog:
        catalog.route("GET /internal/products/{sku}").respond(
            200, json={"sku": "SKU-1", "name": "Mug", "price_cents": "12.50", "stock": 1})
        with pytest.raises(ContractViolation) as err:
            CatalogClient(URL).product("SKU-1")
    assert "catalog GET /internal/products/{sku} 200: price_cents: '12.50'" in str(err.value)


def test_a_provider_that_drops_a_field_the_consumer_relies_on_fails_the_static_check(tmp_path):
    pacts = recorded_pacts(write(tmp_path / "before"), tmp_path / "pacts")
    changed = copy.deepcopy(CATALOG)
    product = changed["components"]["schemas"]["Product"]
    del product["properties"]["price_cents"]
    product["required"].remove("price_cents")
    [pair] = static_check(pacts, write(tmp_path / "after", catalog=changed))
    assert problems([pair]) == [
        "response 200: price_cents: not in the provider's schema (the consumer relies on it)"]


def test_a_provider_that_requires_a_new_parameter_fails_the_static_check(tmp_path):
    pacts = recorded_pacts(write(tmp_path / "before"), tmp_path / "pacts")
    changed = copy.deepcopy(CATALOG)
    changed["paths"]["/internal/products/{sku}"]["get"]["parameters"].append(
        {"name": "X-Caller", "in": "header", "required": True, "schema": {"type": "string"}})
    [pair] = static_check(pacts, write(tmp_path / "after", catalog=changed))
    assert problems([pair]) == ["request: header.X-Caller: Field required"]


def test_a_provider_that_removes_the_route_fails_the_static_check(tmp_path):
    pacts = recorded_pacts(write(tmp_path / "before"), tmp_path / "pacts")
    changed = copy.deepcopy(CATALOG)
    del changed["paths"]["/internal/products/{sku}"]
    [pair] = static_check(pacts, write(tmp_path / "after", catalog=changed))
    assert problems([pair]) == ["no operation GET /internal/products/SKU-1 in catalog's contract"]


def test_every_committed_pact_keeps_the_committed_contracts():
    results = static_check()
    assert results, "no pact in mocks/pacts/"
    broken = [r.summary() for r in results if not r.ok]
    assert not broken, "\n".join(broken)


def test_dropping_price_cents_from_the_committed_catalog_contract_breaks_the_monolith(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, contracts)
    path = contracts / "catalog.openapi.json"
    doc = json.loads(path.read_text())
    product = doc["components"]["schemas"]["Product"]
    del product["properties"]["price_cents"]
    product["required"].remove("price_cents")
    path.write_text(json.dumps(doc))
    pair = next(r for r in static_check(PACTS_DIR, contracts)
                if (r.consumer, r.provider) == ("monolith", "catalog"))
    assert not pair.ok
    assert any("price_cents: not in the provider's schema" in p for p in problems([pair]))


def test_record_http_keeps_only_what_the_contract_names(tmp_path):
    from mocks.openapi import ServiceContract
    from mocks.validation import Exchange

    contract = ServiceContract("catalog", CATALOG)
    op = contract.operation("GET /v1/products")
    rec = Recorder()
    with rec.context(consumer="c", test="t"):
        record_http(None, "catalog", op, Exchange(headers={"x-user-id": "u", "x-trace-id": "z"}),
                    200, {"content-type": "application/json", "content-length": "2"}, {},
                    [], recorder=rec)
    [i] = rec.interactions
    assert i.request["headers"] == {"X-User-Id": "u"}
    assert i.response["headers"] == {"Content-Type": "application/json"}


def test_auth_no_longer_documenting_an_identity_header_breaks_the_gateway(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, contracts)
    path = contracts / "auth.openapi.json"
    doc = json.loads(path.read_text())
    for op in doc["paths"]["/internal/verify"].values():
        op["responses"]["200"]["headers"].pop("X-User-Roles", None)
    path.write_text(json.dumps(doc))
    pair = next(r for r in static_check(PACTS_DIR, contracts)
                if (r.consumer, r.provider) == ("gateway", "auth"))
    assert any("header X-User-Roles: not in the provider's contract" in p
               for p in problems([pair]))
