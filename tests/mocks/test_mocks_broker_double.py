"""The broker double: publishes and fed events are checked against the AsyncAPI contract."""

from __future__ import annotations

import asyncio

import pytest
from mini_contract import write

from mocks import BrokerDouble, ContractViolation, MocksError
from services.platform.fakes import FakeAsyncPool
from services.platform.outbox import add_event

ORDER_ID = "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00"


@pytest.fixture
def broker(tmp_path):
    return BrokerDouble(contracts_dir=write(tmp_path), seed=2)


def envelope(**data):
    return {"id": "3f0b1c52-7d4e-4a8b-9c1d-2e3f4a5b6c7d", "type": "order.created",
            "occurred_at": "2026-01-01T00:00:00+00:00", "trace_id": "a" * 32,
            "data": {"order_id": ORDER_ID, "total_cents": 10, **data}}


def test_a_publish_that_keeps_the_contract_is_taken(broker):
    asyncio.run(broker.publish(envelope()))
    assert broker.of_type("order.created") == [envelope()]


def test_a_publish_that_breaks_its_payload_schema_names_the_event_and_the_field(broker):
    with pytest.raises(ContractViolation) as err:
        asyncio.run(broker.publish(envelope(total_cents="x")))
    assert str(err.value) == "events order.created: data.total_cents: 'x' is not of type 'integer'"


def test_an_event_type_the_contract_lacks_is_refused_with_the_known_ones(broker):
    with pytest.raises(MocksError, match="order.created"):
        asyncio.run(broker.publish({**envelope(), "type": "order.shipped"}))


def test_relay_publishes_what_a_handler_wrote_to_its_outbox(broker):
    pool = FakeAsyncPool([])

    async def write_event():
        async with pool.connection() as conn:
            await add_event(conn, "order.created", {"order_id": ORDER_ID, "total_cents": 3},
                            trace_id="b" * 32)
            await add_event(conn, "order.created", {"order_id": ORDER_ID, "total_cents": "3"})

    asyncio.run(write_event())
    with pytest.raises(ContractViolation, match="data.total_cents"):
        broker.relay(pool)
    assert [e["data"]["total_cents"] for e in broker.published] == [3]


def test_generated_events_are_contract_valid_and_repeatable(tmp_path):
    a = BrokerDouble(contracts_dir=write(tmp_path), seed=4).event("order.created")
    b = BrokerDouble(contracts_dir=tmp_path, seed=4).event("order.created")
    assert a == b and a["type"] == "order.created"
    assert BrokerDouble(contracts_dir=tmp_path, seed=4).problems(a) == []


def test_given_data_is_laid_over_a_generated_event_and_checked(broker):
    assert broker.event("order.created", data={"total_cents": 7})["data"]["total_cents"] == 7
    with pytest.raises(ContractViolation, match="data.total_cents"):
        broker.event("order.created", data={"total_cents": -7})


def test_an_event_is_fed_only_to_a_queue_that_consumes_it(broker):
    seen = []

    async def handle(res, env):
        seen.append((res, env["type"]))

    asyncio.run(broker.deliver("order.created", "catalog", handle, "res"))
    assert seen == [("res", "order.created")]
    with pytest.raises(MocksError, match="queue 'payments' does not consume order.created"):
        asyncio.run(broker.deliver("order.created", "payments", handle, "res"))
