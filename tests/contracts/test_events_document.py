"""The events document: payload models, publishers, consumers from the broker bindings."""

import asyncio

import pytest
from pydantic import ValidationError

from sandbox import contracts
from sandbox.contracts.asyncapi_events import consumers, topic_matches
from services.platform.broker import make_envelope
from services.platform.events import Envelope, EventPayload

TYPES = ["auth.client_enrolled", "auth.token_issued", "order.created", "order.paid",
         "payment.failed", "payment.succeeded", "provider.charge.declined",
         "provider.charge.succeeded", "stock.rejected", "stock.reserved"]


@pytest.fixture(scope="module")
def doc():
    return contracts.generate("events")


def test_every_event_type_has_a_message_a_channel_and_a_publisher(doc):
    assert sorted(doc["components"]["messages"]) == TYPES
    publishers = {t: m["x-publisher"] for t, m in doc["components"]["messages"].items()}
    assert publishers["order.created"] == "monolith" and publishers["stock.reserved"] == "catalog"
    assert publishers["provider.charge.succeeded"] == "webhooks"
    assert publishers["payment.failed"] == "payments" and publishers["auth.token_issued"] == "auth"
    exchange = doc["channels"]["order.paid"]["bindings"]["amqp"]
    assert exchange["is"] == "routingKey" and exchange["exchange"]["name"] == "events"
    assert doc["channels"]["order.paid"]["address"] == "order.paid"


def test_queues_receive_what_their_bindings_route_to_them(doc):
    received = {op["x-service"]: sorted(r["$ref"].rsplit("/", 1)[-1] for r in op["messages"])
                for op in doc["operations"].values() if op["action"] == "receive"}
    assert received["monolith"] == ["payment.failed", "payment.succeeded", "stock.rejected"]
    assert received["webhooks"] == ["order.created", "order.paid"]  # order.#
    assert received["auth"] == ["auth.client_enrolled", "auth.token_issued"]


def test_payload_schema_is_the_envelope_with_the_models_data(doc):
    payload = doc["components"]["messages"]["payment.failed"]["payload"]["$ref"]
    schema = doc["components"]["schemas"][payload.rsplit("/", 1)[-1]]
    assert set(schema["required"]) == {"id", "type", "occurred_at", "trace_id", "data"}
    assert schema["properties"]["type"]["const"] == "payment.failed"
    data = doc["components"]["schemas"]["PaymentFailed"]
    assert "reason" in data["required"]


def test_make_envelope_builds_what_the_envelope_schema_describes():
    Envelope.model_validate(make_envelope("order.paid", {"order_id": "o1"}, trace_id="a" * 32))


def test_a_payload_that_breaks_its_model_fails_where_it_is_built():
    from services.catalog.events import StockReserved

    with pytest.raises(ValidationError, match="total_cents"):
        StockReserved(order_id="o1", total_cents=None, customer_id="u1")


def test_a_second_model_for_one_event_type_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        class Again(EventPayload):
            event_type = "order.paid"
            order_id: str


def test_publishers_write_the_models_data_to_the_outbox():
    from services.payments.provider import ChargeResult
    from services.payments.worker import charge_effect
    from services.platform.fakes import FakeAsyncPool

    pool = FakeAsyncPool([("INSERT INTO payments", [{"id": "p"}])])
    envelope = {"id": "m1", "type": "stock.reserved", "trace_id": "a" * 32,
                "data": {"order_id": "o1", "total_cents": 10**9, "customer_id": "u1"}}
    asyncio.run(charge_effect(pool.conn, envelope, ChargeResult(False, "ch_1", "declined")))
    [(_, params)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert params[1] == "payment.failed"
    assert set(params[2].obj["data"]) == {"order_id", "payment_id", "amount_cents", "reason"}


def test_topic_matching_follows_amqp():
    assert topic_matches("order.#", "order.created")
    assert topic_matches("#.paid", "order.paid")
    assert not topic_matches("order.*", "order.created.late")
    assert not topic_matches("stock.reserved", "stock.rejected")


def test_consumers_come_from_the_bindings_on_the_events_exchange_only():
    definitions = {"queues": [{"name": "q"}], "bindings": [
        {"source": "events", "destination": "q", "destination_type": "queue",
         "routing_key": "a.*"},
        {"source": "events.dlx", "destination": "q.dlq", "destination_type": "queue",
         "routing_key": "q.dlq"}]}
    assert consumers(definitions, ["a.b", "c.d"]) == {
        "q": {"queue": {"name": "q"}, "bindings": ["a.*"], "types": ["a.b"]}}


def test_an_asyncapi_document_with_a_dangling_ref_is_invalid(doc):
    from sandbox.contracts.validate import InvalidDocument

    broken = {**doc, "operations": {"x": {"action": "send",
                                          "channel": {"$ref": "#/channels/nope"}}}}
    with pytest.raises(InvalidDocument, match="points nowhere"):
        contracts.validate_asyncapi(broken, "events")
    with pytest.raises(InvalidDocument, match="action"):
        contracts.validate_asyncapi({**doc, "operations": {"x": {
            "action": "publish", "channel": {"$ref": "#/channels/order.paid"}}}}, "events")
