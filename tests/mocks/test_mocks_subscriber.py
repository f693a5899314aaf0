"""The subscriber mock and the static check judge deliveries by the `webhooks` section of
webhooks.openapi.json: the worker's real requests pass, one that breaks the section fails."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from mocks import static_check
from mocks.broker import BrokerDouble
from mocks.documents import CONTRACTS_DIR, PACTS_DIR, load_document
from mocks.subscriber import SubscriberMock, delivery_contracts
from services.webhooks.delivery import build_request

HOOK = "https://subscriber.example/hooks"
SECRET = "whsec_" + "dGVzdA" * 7 + "dA=="
DELIVERY_ID = "7a1c3e5f-2b4d-4a6c-8e0f-1a2b3c4d5e6f"


def envelope(event_type: str = "order.paid") -> dict:
    return BrokerDouble(seed=3).event(event_type)


def post(body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(HOOK, content=body, headers=headers)


def test_the_deliveries_contract_is_the_webhooks_section():
    section = load_document("webhooks")["webhooks"]
    contracts = delivery_contracts("/hooks")
    assert set(contracts) == set(section)
    op = contracts["order.paid"].operations[0]
    assert (op.method, op.path, op.operation_id) == ("POST", "/hooks", "deliver_order_paid")
    assert {"webhook-signature", "webhook-id", "webhook-timestamp", "X-Sandbox-Event"} <= {
        p.name for p in op.params("header") if p.required}


@pytest.mark.parametrize("event_type", sorted(load_document("webhooks")["webhooks"]))
def test_what_the_worker_sends_is_accepted(event_type):
    body, headers = build_request(DELIVERY_ID, envelope(event_type), SECRET)
    with SubscriberMock(HOOK) as subscriber:
        assert post(body, headers).status_code == 200
    [served] = subscriber.served
    assert served.operation == "POST /hooks" and served.status == 200


@pytest.mark.parametrize("header", ["webhook-signature", "webhook-id", "webhook-timestamp",
                                    "X-Sandbox-Event", "User-Agent"])
def test_a_delivery_without_a_required_header_is_refused(header):
    body, headers = build_request(DELIVERY_ID, envelope(), SECRET)
    del headers[header]  # (without its own User-Agent, httpx sends its default one)
    with SubscriberMock(HOOK):
        answer = post(body, headers)
    assert answer.status_code == 422
    assert header in answer.json()["detail"]


@pytest.mark.parametrize("header,value", [("webhook-signature", "sha256=abc"),
                                          ("webhook-id", "d-0001"),
                                          ("webhook-timestamp", "yesterday"),
                                          ("X-Trace-Id", "not-a-trace-id")])
def test_a_delivery_header_breaking_its_schema_is_refused(header, value):
    body, headers = build_request(DELIVERY_ID, envelope(), SECRET)
    with SubscriberMock(HOOK):
        answer = post(body, {**headers, header: value})
    assert answer.status_code == 422 and f"header.{header}" in answer.json()["detail"]


def test_a_body_that_is_not_its_types_envelope_is_refused():
    event = envelope()
    del event["data"]["total_cents"]
    body, headers = build_request(DELIVERY_ID, event, SECRET)
    with SubscriberMock(HOOK):
        answer = post(body, headers)
    assert answer.status_code == 422 and "total_cents" in answer.json()["detail"]


def test_an_event_type_named_that_has_no_webhook_is_refused():
    body, headers = build_request(DELIVERY_ID, envelope(), SECRET)
    with SubscriberMock(HOOK):
        answer = post(body, {**headers, "X-Sandbox-Event": "order.shipped"})
    assert answer.status_code == 422 and "X-Sandbox-Event" in answer.json()["detail"]


def test_without_a_section_the_events_contract_still_gives_the_deliveries(tmp_path):
    for path in CONTRACTS_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    doc = json.loads((tmp_path / "webhooks.openapi.json").read_text())
    del doc["webhooks"]
    (tmp_path / "webhooks.openapi.json").write_text(json.dumps(doc))
    contracts = delivery_contracts("/hooks", tmp_path)
    assert set(contracts) == set(load_document("webhooks")["webhooks"])
    assert [p.name for p in contracts["order.paid"].operations[0].params("header")] == [
        "X-Sandbox-Event"]


def _pacts(tmp_path, change) -> list:
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    doc = json.loads((PACTS_DIR / "webhooks-subscriber.json").read_text())
    change(doc["interactions"][0]["request"])
    (pacts / "webhooks-subscriber.json").write_text(json.dumps(doc))
    [pair] = static_check(pacts)
    return pair


def test_the_static_check_judges_the_subscriber_pair_by_the_section_alone(tmp_path):
    pair = _pacts(tmp_path, lambda request: None)
    assert pair.ok and pair.contracts == ("webhooks.openapi.json",)


def test_a_recorded_delivery_without_its_signature_breaks_the_static_check(tmp_path):
    pair = _pacts(tmp_path, lambda request: request["headers"].pop("webhook-signature"))
    [failure] = pair.failures
    assert failure.problems == ("request: header.webhook-signature: Field required",)


def test_a_recorded_delivery_of_a_type_with_no_webhook_breaks_the_static_check(tmp_path):
    def shipped(request):
        request["headers"]["X-Sandbox-Event"] = ["order.shipped"]

    pair = _pacts(tmp_path, shipped)
    [failure] = pair.failures
    assert "'order.shipped'" in failure.problems[0] and "order.paid" in failure.problems[0]
