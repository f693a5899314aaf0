"""The webhooks document's `webhooks` section says what the worker's code really delivers:
which event types, the headers `build_request` sends, the envelope, the answers `attempt`
counts as delivered."""

from __future__ import annotations

import asyncio
import copy
import doctest

import httpx
import jsonschema
import pytest

from mocks.asyncapi import EventsContract
from mocks.broker import BrokerDouble
from mocks.documents import CONTRACTS_DIR
from sandbox import contracts
from sandbox.contracts import webhook_deliveries
from sandbox.contracts.diff import webhooks as diff_webhooks
from services.platform.fakes import FakeAsyncPool
from services.webhooks import delivery, store
from services.webhooks.signing import canonical_body, verify
from services.webhooks.worker import QUEUE

SECRET = "whsec_" + "dGVzdA" * 7 + "dA=="
DELIVERY_ID = "2f9c1e4a-6b3d-4f8e-9a1c-5d7e0b2c4a6f"


@pytest.fixture(scope="module")
def doc():
    return contracts.generate("webhooks")


def sent(envelope):
    body, headers = delivery.build_request(DELIVERY_ID, envelope, SECRET)
    return body, headers


def routed_envelopes():
    """A contract-valid envelope of every event type the broker routes to the worker."""
    broker = BrokerDouble(seed=7)
    return {t: broker.event(t) for t in EventsContract.load(CONTRACTS_DIR).consumed_by(QUEUE)}


def deliveries_made(envelope) -> int:
    sub = {"id": "s1", "customer_id": "c1", "url": "https://subscriber.example/hooks",
           "events": ["*"], "created_at": None}
    pool = FakeAsyncPool([("FROM subscriptions", [sub])])
    return asyncio.run(store.create_deliveries(pool.conn, envelope))


@pytest.mark.parametrize("module", [webhook_deliveries, diff_webhooks])
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(module)
    assert attempted and failed == 0


def test_the_document_with_its_section_is_valid_openapi(doc):
    contracts.validate(doc, "openapi", "webhooks")
    assert doc["openapi"] == "3.1.0" and doc["webhooks"]


def test_every_event_type_the_worker_delivers_has_a_webhook_and_no_other(doc):
    envelopes = routed_envelopes()
    delivered = {t for t, env in envelopes.items() if deliveries_made(env)}
    assert "order.paid" in delivered  # the flow of the design: order.paid reaches the client
    assert set(doc["webhooks"]) == delivered


def test_a_webhook_is_a_post_of_its_types_envelope(doc):
    schemas = doc["components"]["schemas"]
    for event_type, envelope in routed_envelopes().items():
        op = doc["webhooks"][event_type]["post"]
        assert set(doc["webhooks"][event_type]) == {"post"}
        content = op["requestBody"]["content"]
        _, headers = sent(envelope)
        assert list(content) == [headers["Content-Type"]]
        ref = content[headers["Content-Type"]]["schema"]["$ref"]
        schema = {**schemas[ref.rsplit("/", 1)[-1]], "components": doc["components"]}
        jsonschema.validate(envelope, schema)  # what the worker sends is the envelope
        wrong = {**envelope, "type": "order.other"}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)


def test_the_headers_documented_are_the_headers_the_worker_sends(doc):
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    for event_type, envelope in routed_envelopes().items():
        params = {p["name"]: p for p in doc["webhooks"][event_type]["post"]["parameters"]}
        assert all(p["in"] == "header" for p in params.values())
        _, with_trace = sent({**envelope, "trace_id": "ab" * 16})
        _, without = sent({k: v for k, v in envelope.items() if k != "trace_id"})
        assert set(with_trace) - {"Content-Type"} == set(params)
        for name, param in params.items():
            assert param["required"] == (name in without), name
            jsonschema.validate(with_trace[name], param["schema"], format_checker=checker)
        assert params["X-Sandbox-Event"]["schema"]["const"] == event_type


def test_the_documented_signature_is_the_one_a_subscriber_verifies(doc):
    envelope = next(iter(routed_envelopes().values()))
    body, headers = sent(envelope)
    assert body == canonical_body(envelope) and verify(body, headers, SECRET)
    [param] = [p for p in doc["webhooks"][envelope["type"]]["post"]["parameters"]
               if p["name"] == "webhook-signature"]
    jsonschema.validate(headers["webhook-signature"], param["schema"])
    _, overlap = delivery.build_request(DELIVERY_ID, envelope, [SECRET, SECRET])
    jsonschema.validate(overlap["webhook-signature"], param["schema"])  # two, space-separated
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("sha256=" + "0" * 64, param["schema"])


def test_a_header_the_worker_sends_without_a_description_stops_the_build(monkeypatch):
    real = delivery.build_request

    def with_timestamp(delivery_id, event, secret, timestamp=None):
        body, headers = real(delivery_id, event, secret, timestamp)
        return body, {**headers, "X-Sandbox-Timestamp": "1767225600"}

    monkeypatch.setattr(delivery, "build_request", with_timestamp)
    with pytest.raises(ValueError, match="X-Sandbox-Timestamp"):
        contracts.generate("webhooks")


def test_a_header_described_but_no_longer_sent_stops_the_build(monkeypatch):
    real = delivery.build_request

    def unsigned(delivery_id, event, secret, timestamp=None):
        body, headers = real(delivery_id, event, secret, timestamp)
        return body, {k: v for k, v in headers.items() if k != "webhook-signature"}

    monkeypatch.setattr(delivery, "build_request", unsigned)
    with pytest.raises(ValueError, match="webhook-signature"):
        contracts.generate("webhooks")


def _documented(responses: dict, status: int) -> str:
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return key
    raise AssertionError(f"status {status} not documented")


def test_the_answers_documented_as_delivered_are_those_the_worker_counts_as_delivered(doc):
    async def outcome(status: int) -> bool:
        transport = httpx.MockTransport(lambda r: httpx.Response(status, json={"x": 1}))
        async with httpx.AsyncClient(transport=transport) as client:
            ok, _, _ = await delivery.attempt(client, "https://subscriber.example/h", b"{}", {})
        return ok

    for hook in doc["webhooks"].values():
        responses = hook["post"]["responses"]
        assert set(responses) == {"2XX", "410", "default"}  # 410: the subscription disabled
        for status in (200, 202, 204, 299, 301, 304, 400, 404, 410, 429, 500, 503, 599):
            delivered = asyncio.run(outcome(status))
            documented = _documented(responses, status)
            assert (documented not in ("default", "410")) == delivered, status
        retried = responses["default"]["description"]
        assert f"dead (the dead-letter state, `GET /v1/webhooks/deliveries?status=dead`) after " \
            f"{delivery.MAX_ATTEMPTS} attempts" in retried
        assert "410" in responses and "disabled" in responses["410"]["description"]
        assert f"{delivery.TIMEOUT_S:g} s" in retried


def test_a_worker_that_treats_another_answer_as_delivered_changes_the_section(monkeypatch):
    real = delivery.attempt

    async def accepted_is_final(client, url, body, headers, guard=None):
        ok, code, error = await real(client, url, body, headers, guard)
        return (True, code, None) if code == 409 else (ok, code, error)

    monkeypatch.setattr(delivery, "attempt", accepted_is_final)
    responses = contracts.generate("webhooks")["webhooks"]["order.paid"]["post"]["responses"]
    assert set(responses) == {"2XX", "409", "410", "default"}


def test_adding_the_section_is_not_breaking_and_removing_a_header_or_a_field_is(doc):
    without = {k: v for k, v in doc.items() if k != "webhooks"}
    assert not any(c.breaking for c in contracts.diff_openapi(without, doc, "webhooks"))
    assert [str(c) for c in contracts.diff_openapi(doc, without, "webhooks")] == [
        f"webhooks webhook {t} POST: webhook removed" for t in sorted(doc["webhooks"])]
    changed = copy.deepcopy(doc)
    op = changed["webhooks"]["order.paid"]["post"]
    op["parameters"] = [p for p in op["parameters"] if p["name"] != "webhook-signature"]
    del changed["components"]["schemas"]["OrderPaid"]["properties"]["total_cents"]
    breaking = [str(c) for c in contracts.diff_openapi(doc, changed, "webhooks") if c.breaking]
    assert "webhooks webhook order.paid POST: header 'webhook-signature' no longer sent" \
        in breaking
    assert any("total_cents" in c and "order.paid" in c for c in breaking)
