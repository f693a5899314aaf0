import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from services.payments.app import app
from services.payments.provider import (
    ChargeResult,
    ProviderClient,
    ProviderRefused,
    ProviderUnavailable,
    idempotency_key,
    provider_settings,
)
from services.payments.worker import charge_effect, confirm_effect, handle
from services.platform.broker import is_transient
from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.resources import Resources

ORDER_ID = "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00"
APPROVED = ChargeResult(True, "ch_approved")
DECLINED = ChargeResult(False, "ch_declined", "amount exceeds limit of 1000000 cents")


def reserved(total):
    return {"id": "m1", "type": "stock.reserved", "trace_id": "a" * 32,
            "data": {"order_id": ORDER_ID, "total_cents": total, "customer_id": "u1"}}


def test_approved_charge_stores_payment_and_emits_succeeded():
    pool = FakeAsyncPool([("INSERT INTO payments", [{"id": "p"}])])
    asyncio.run(charge_effect(pool.conn, reserved(4200), APPROVED))
    [(_, params)] = pool.conn.sql_matching("INSERT INTO payments")
    assert params[1:5] == (ORDER_ID, "u1", 4200, "succeeded")
    assert params[6] == "ch_approved"  # the provider's charge id
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "payment.succeeded"
    assert outbox[2].obj["data"] == {"order_id": ORDER_ID, "payment_id": params[0],
                                     "amount_cents": 4200}


def test_declined_charge_emits_failed():
    pool = FakeAsyncPool([("INSERT INTO payments", [{"id": "p"}])])
    asyncio.run(charge_effect(pool.conn, reserved(2_000_000), DECLINED))
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "payment.failed" and "limit" in outbox[2].obj["data"]["reason"]


def test_an_order_is_never_charged_twice():
    pool = FakeAsyncPool([])  # ON CONFLICT (order_id) DO NOTHING → no row
    asyncio.run(charge_effect(pool.conn, reserved(100), APPROVED))
    assert "ON CONFLICT (order_id) DO NOTHING" in pool.conn.executed[0][0]
    assert pool.conn.sql_matching("INSERT INTO outbox") == []


class RecordingProvider:
    def __init__(self, result=APPROVED):
        self.result = result
        self.calls = []

    async def charge(self, order_id, amount_cents, metadata=None):
        self.calls.append((order_id, amount_cents, metadata))
        return self.result


def worker_resources(rules, provider=None):
    return Resources(settings=Settings(service="payments"), secrets=None,
                     pool=FakeAsyncPool([("INSERT INTO processed_messages",
                                          [{"message_id": "m"}]), *rules]),
                     extra={"provider": provider or RecordingProvider()})


def test_the_worker_charges_at_the_provider_outside_the_transaction():
    res = worker_resources([("INSERT INTO payments", [{"id": "p"}])])
    asyncio.run(handle(res, reserved(700)))
    assert res.extra["provider"].calls == [(ORDER_ID, 700, {"trace_id": "a" * 32})]
    assert res.pool.conn.events == ["begin", "commit"]
    assert res.pool.conn.sql_matching("INSERT INTO outbox")[0][1][1] == "payment.succeeded"


def confirmation(status="succeeded"):
    return {"id": "m2", "type": f"provider.charge.{status}", "trace_id": "b" * 32,
            "data": {"provider_event_id": "msg_1", "charge_id": "ch_approved",
                     "order_id": ORDER_ID, "amount_cents": 700, "currency": "EUR",
                     "status": status, "decline_reason": None,
                     "idempotency_key": idempotency_key(ORDER_ID)}}


def test_the_providers_confirmation_is_recorded_once_per_callback():
    res = worker_resources([("INSERT INTO provider_confirmations",
                             [{"provider_event_id": "msg_1"}]),
                            ("WHERE provider_ref", [{"id": "p", "order_id": ORDER_ID,
                                                     "status": "succeeded"}])])
    asyncio.run(handle(res, confirmation()))
    [(sql, params)] = res.pool.conn.sql_matching("INSERT INTO provider_confirmations")
    assert "ON CONFLICT (provider_event_id) DO NOTHING" in sql
    assert params == ("msg_1", "ch_approved", ORDER_ID, "succeeded")
    assert res.extra["provider"].calls == []  # a confirmation charges nothing
    assert res.pool.conn.sql_matching("INSERT INTO outbox") == []


def test_a_confirmation_before_the_payment_is_recorded_is_kept():
    pool = FakeAsyncPool([])
    asyncio.run(confirm_effect(pool.conn, confirmation("declined")))
    assert pool.conn.sql_matching("INSERT INTO provider_confirmations")


def test_payments_list_shows_only_the_callers_payments_with_their_confirmation():
    rows = [{"id": "p1", "order_id": ORDER_ID, "customer_id": "u1", "confirmed_at": None},
            {"id": "p2", "order_id": ORDER_ID, "customer_id": "u2", "confirmed_at": None}]
    app.state.resources = Resources(settings=Settings(service="payments"), secrets=None,
                                    pool=FakeAsyncPool([("FROM payments", rows)]))
    client = TestClient(app)
    r = client.get(f"/v1/payments?order_id={ORDER_ID}", headers={"X-User-Id": "u1"})
    assert [p["id"] for p in r.json()["items"]] == ["p1"]
    sql = app.state.resources.pool.conn.executed[0][0]
    assert "provider_confirmations" in sql and "confirmed_at" in sql
    admin = client.get(f"/v1/payments?order_id={ORDER_ID}",
                       headers={"X-User-Id": "a", "X-User-Roles": "admin"})
    assert len(admin.json()["items"]) == 2
    assert client.get("/v1/payments?order_id=x", headers={"X-User-Id": "u1"}).status_code == 422
    assert client.get(f"/v1/payments?order_id={ORDER_ID}").status_code == 401


# --- the provider client: HTTP, an idempotency key, a timeout, retries -------------------

def client_for(handler, attempts=3):
    transport = httpx.MockTransport(handler)
    return ProviderClient("http://provider:8000", attempts=attempts, backoff=0,
                          client=httpx.AsyncClient(transport=transport))


def charge_doc(status="succeeded", reason=None):
    return {"id": "ch_1", "status": status, "decline_reason": reason}


def test_a_charge_carries_the_orders_idempotency_key_and_the_providers_answer_is_the_outcome():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(201, json=charge_doc("declined", "amount must be positive"))

    result = asyncio.run(client_for(handler).charge(ORDER_ID, 0, {"trace_id": "c" * 32}))
    assert result == ChargeResult(False, "ch_1", "amount must be positive")
    [request] = seen
    assert request.url == "http://provider:8000/v1/charges"
    assert request.headers["idempotency-key"] == f"payments-order-{ORDER_ID}"
    assert b'"trace_id":"' + b"c" * 32 in request.content.replace(b" ", b"")


def test_a_failed_attempt_is_retried_under_the_same_key():
    keys = []
    answers = iter([httpx.ConnectError("refused"), httpx.Response(503),
                    httpx.Response(200, json=charge_doc())])

    def handler(request):
        keys.append(request.headers["idempotency-key"])
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result = asyncio.run(client_for(handler).charge(ORDER_ID, 5))
    assert result.approved and result.reference == "ch_1"
    assert keys == [f"payments-order-{ORDER_ID}"] * 3


def test_a_provider_that_stays_away_is_an_outage_the_broker_retries():
    def handler(request):
        raise httpx.ReadTimeout("slow")

    with pytest.raises(ProviderUnavailable) as caught:
        asyncio.run(client_for(handler, attempts=2).charge(ORDER_ID, 5))
    assert is_transient(caught.value)


@pytest.mark.parametrize("answer", [httpx.Response(422, json={"detail": "bad"}),
                                    httpx.Response(403, text="egress refused"),
                                    httpx.Response(200, json={"unexpected": True}),
                                    httpx.Response(200, text="not json")])
def test_a_refused_or_nonsense_answer_is_not_retried(answer):
    calls = []

    def handler(request):
        calls.append(request)
        return answer

    with pytest.raises(ProviderRefused) as caught:
        asyncio.run(client_for(handler).charge(ORDER_ID, 5))
    assert len(calls) == 1 and not is_transient(caught.value)


def test_the_client_goes_through_the_egress_proxy():
    assert provider_settings({"PROVIDER_URL": "http://provider:8000",
                              "EGRESS_PROXY_URL": "http://toxiproxy:20011"}) == (
        "http://provider:8000", "http://toxiproxy:20011")
    with pytest.raises(ValueError, match="PROVIDER_URL"):
        provider_settings({"PROVIDER_URL": "provider"})

