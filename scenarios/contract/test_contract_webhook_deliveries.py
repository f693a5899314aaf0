"""The webhook gateway as a subscriber's client: its real delivery code POSTs to a mocked
subscriber endpoint, checked against the `webhooks` section of webhooks.openapi.json.
Recorded in mocks/pacts/webhooks-subscriber.json."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.platform.fakes import FakeAsyncPool
from services.webhooks.delivery import Dispatcher, attempt, build_request
from services.webhooks.egress import EgressGuard
from services.webhooks.signing import verify

pytestmark = pytest.mark.consumer("webhooks")
SECRET = "whsec_Y29udHJhY3QtdGVzdC1zaWduaW5nLXNlY3JldC0zMmI="  # the subscription's own secret
HOOK = "https://subscriber.example/hooks"
SIGNED_AT = 1767225600  # a fixed webhook-timestamp, so the recorded pact is reproducible
DELIVERY = "5b1f7c3e-9a2d-4e6f-8b1c-0d2e3f4a5b6c"  # the worker's delivery ids are UUIDs
EVENT = {"id": "3f0b1c52-7d4e-4a8b-9c1d-2e3f4a5b6c7d", "type": "order.paid",
         "occurred_at": "2026-01-01T00:00:00+00:00", "trace_id": "a" * 32,
         "data": {"order_id": "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00",
                  "customer_id": "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11", "total_cents": 4550,
                  "payment_id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"}}


async def _public(host: str, port: int) -> list[str]:
    return ["203.0.113.10"]  # a documentation address: respx answers, nothing is sent


GUARD = EgressGuard("172.30.0.0/16", resolver=_public)


def deliver_once(status_of_row=0) -> tuple[bool, int | None, str | None]:
    body, headers = build_request(DELIVERY, EVENT, SECRET, SIGNED_AT)

    async def go():
        async with httpx.AsyncClient() as client:
            return await attempt(client, HOOK, body, headers, GUARD)

    return asyncio.run(go())


def test_a_delivery_is_a_signed_post_of_the_event(subscriber_mock):
    assert deliver_once() == (True, 200, None)
    request = subscriber_mock.served[0].request
    assert request.headers["x-sandbox-event"] == "order.paid"
    assert request.headers["webhook-id"] == DELIVERY
    assert request.body == EVENT
    import json
    raw = json.dumps(request.body, sort_keys=True, separators=(",", ":")).encode()
    assert verify(raw, request.headers, SECRET, now=SIGNED_AT)


@pytest.mark.parametrize("status", [204, 202])
def test_any_2xx_answer_counts_as_delivered(subscriber_mock, status):
    subscriber_mock.route("POST /hooks").respond(status)
    assert deliver_once() == (True, status, None)


@pytest.mark.parametrize("status", [500, 503, 410])
def test_an_error_answer_is_not_delivered_and_keeps_its_status(subscriber_mock, status):
    subscriber_mock.route("POST /hooks").respond(status, json={"error": "down"})
    ok, code, error = deliver_once()
    assert (ok, code, error) == (False, status, f"HTTP {status}")


@pytest.mark.parametrize("kind", ["read", "connect"])
def test_a_subscriber_that_does_not_answer_in_time_is_retried(subscriber_mock, kind):
    subscriber_mock.route("POST /hooks").timeout(kind)
    ok, code, error = deliver_once()
    assert not ok and code is None and "Timeout" in error


def test_the_dispatcher_records_a_delivered_attempt(subscriber_mock):
    row = {"id": "8c2d4e6f-1a3b-4c5d-9e7f-a1b2c3d4e5f6", "subscription_id": "s1",
           "event_type": "order.paid", "url": HOOK, "body": EVENT, "attempts": 0,
           "subscription_status": "active", "secret": SECRET, "previous_secret": None}
    pool = FakeAsyncPool([("UPDATE deliveries d SET next_attempt_at", [row])])

    async def go():
        dispatcher = Dispatcher(pool, guard=GUARD, clock=lambda: SIGNED_AT)
        try:
            return await dispatcher.deliver_due()
        finally:
            await dispatcher.aclose()

    assert asyncio.run(go()) == 1
    [(_, params)] = pool.conn.sql_matching("UPDATE deliveries SET attempts")
    assert params[0] == "delivered" and params[1] == 200
    assert subscriber_mock.served[0].request.headers["webhook-id"] == row["id"]
