import asyncio

from services.monolith.worker import status_effect
from services.platform.fakes import FakeAsyncPool

ORDER = "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00"


def event(type_, **data):
    return {"id": "m", "type": type_, "trace_id": "a" * 32, "data": {"order_id": ORDER, **data}}


def test_payment_succeeded_marks_paid_and_emits_order_paid():
    pool = FakeAsyncPool([("UPDATE orders", [{"id": ORDER, "customer_id": "u1",
                                              "total_cents": 900}])])
    asyncio.run(status_effect(pool.conn, event("payment.succeeded", payment_id="p1",
                                               amount_cents=900)))
    [(sql, params)] = pool.conn.sql_matching("UPDATE orders")
    assert params[0] == "paid" and "status = 'pending'" in sql
    [(_, outbox)] = pool.conn.sql_matching("INSERT INTO outbox")
    assert outbox[1] == "order.paid"
    assert outbox[2].obj["data"] == {"order_id": ORDER, "customer_id": "u1", "total_cents": 900,
                                     "payment_id": "p1"}
    assert outbox[2].obj["trace_id"] == "a" * 32


def test_rejections_only_set_the_status():
    for type_, status in (("payment.failed", "payment_failed"), ("stock.rejected", "rejected")):
        pool = FakeAsyncPool([("UPDATE orders", [{"id": ORDER, "customer_id": "u1",
                                                  "total_cents": 1}])])
        asyncio.run(status_effect(pool.conn, event(type_, reason="r")))
        assert pool.conn.sql_matching("UPDATE orders")[0][1][0] == status
        assert pool.conn.sql_matching("INSERT INTO outbox") == []


def test_an_order_that_is_no_longer_pending_is_left_alone():
    pool = FakeAsyncPool([])
    asyncio.run(status_effect(pool.conn, event("payment.succeeded", payment_id="p1")))
    assert pool.conn.sql_matching("INSERT INTO outbox") == []
