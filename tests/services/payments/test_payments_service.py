import asyncio

from fastapi.testclient import TestClient

from services.payments.app import app
from services.payments.provider import SimulatedProvider
from services.payments.worker import charge_effect
from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.resources import Resources

ORDER_ID = "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00"


def reserved(total):
    return {"id": "m1", "type": "stock.reserved", "trace_id": "a" * 32,
            "data": {"order_id": ORDER_ID, "total_cents": total, "customer_id": "u1"}}


def test_provider_is_deterministic():
    p = SimulatedProvider(limit_cents=1_000_000)
    assert p.charge("o", 1_000_000).approved
    assert not p.charge("o", 1_000_001).approved
    assert not p.charge("o", 0).approved
    assert p.charge("o", 5).reference == p.charge("o", 5).reference


def test_approved_charge_stores_payment_and_emits_succeeded():
    pool = FakeAsyncPool([("INSERT INTO payments", [{"id": "p"}])])
    asyncio.run(charge_effect(pool.conn, reserved(4200)))
    [(_, params)] = pool.conn.sql_matching("INSERT INTO payments")
    assert params[1:5] == (ORDER_ID, "u1", 4200, "succeeded")
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "payment.succeeded"
    assert outbox[2].obj["data"] == {"order_id": ORDER_ID, "payment_id": params[0],
                                     "amount_cents": 4200}


def test_declined_charge_emits_failed():
    pool = FakeAsyncPool([("INSERT INTO payments", [{"id": "p"}])])
    asyncio.run(charge_effect(pool.conn, reserved(2_000_000)))
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "payment.failed" and "limit" in outbox[2].obj["data"]["reason"]


def test_an_order_is_never_charged_twice():
    pool = FakeAsyncPool([])  # ON CONFLICT (order_id) DO NOTHING → no row
    asyncio.run(charge_effect(pool.conn, reserved(100)))
    assert "ON CONFLICT (order_id) DO NOTHING" in pool.conn.executed[0][0]
    assert pool.conn.sql_matching("INSERT INTO outbox") == []


def test_payments_list_shows_only_the_callers_payments():
    rows = [{"id": "p1", "order_id": ORDER_ID, "customer_id": "u1"},
            {"id": "p2", "order_id": ORDER_ID, "customer_id": "u2"}]
    app.state.resources = Resources(settings=Settings(service="payments"), secrets=None,
                                    pool=FakeAsyncPool([("FROM payments", rows)]))
    client = TestClient(app)
    r = client.get(f"/v1/payments?order_id={ORDER_ID}", headers={"X-User-Id": "u1"})
    assert [p["id"] for p in r.json()["items"]] == ["p1"]
    admin = client.get(f"/v1/payments?order_id={ORDER_ID}",
                       headers={"X-User-Id": "a", "X-User-Roles": "admin"})
    assert len(admin.json()["items"]) == 2
    assert client.get("/v1/payments?order_id=x", headers={"X-User-Id": "u1"}).status_code == 422
    assert client.get(f"/v1/payments?order_id={ORDER_ID}").status_code == 401
