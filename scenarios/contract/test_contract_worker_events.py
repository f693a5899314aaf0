"""Every worker as a consumer of the broker's events: contract-valid events (generated from
events.asyncapi.json) fed to the real handlers with fake pools, and what they publish
checked against the same contract. Recorded as message pacts in mocks/pacts/."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from services.auth.worker import record_event
from services.catalog import worker as catalog_worker
from services.monolith import worker as monolith_worker
from services.payments import worker as payments_worker
from services.payments.provider import ChargeResult
from services.platform.fakes import FakeAsyncPool
from services.webhooks import worker as webhooks_worker

CLAIM = ("INSERT INTO processed_messages", [{"message_id": "claimed"}])


class DictCache:
    def __init__(self):
        self.invalidated = []

    async def invalidate(self, *skus):
        self.invalidated.extend(skus)


class ApprovingProvider:
    """The payment provider as the payments worker sees it: approves every charge."""

    async def charge(self, order_id, amount_cents, metadata=None):
        return ChargeResult(True, f"ch_{order_id[:8]}")


class Wakeable:
    def __init__(self):
        self.woken = 0

    def wake(self):
        self.woken += 1


def res(rules, **extra):
    return SimpleNamespace(pool=FakeAsyncPool([CLAIM, *rules]), extra=extra)


def run(coro):
    return asyncio.run(coro)


@pytest.mark.consumer("catalog")
def test_catalog_reserves_an_order_and_publishes_stock_reserved(broker_double):
    r = res([("UPDATE products", lambda p: [{"sku": p[1]}])], cache=DictCache())
    env = run(broker_double.deliver("order.created", "catalog", catalog_worker.handle, r))
    [out] = broker_double.relay(r.pool)
    assert out["type"] == "stock.reserved" and out["data"]["order_id"] == env["data"]["order_id"]
    assert out["trace_id"] == env["trace_id"]
    assert sorted(r.extra["cache"].invalidated) == sorted({i["sku"] for i in env["data"]["items"]})


@pytest.mark.consumer("catalog")
def test_catalog_rejects_an_order_it_cannot_serve_with_stock_rejected(broker_double):
    r = res([], cache=DictCache())  # no row updated: stock is short
    env = run(broker_double.deliver("order.created", "catalog", catalog_worker.handle, r))
    [out] = broker_double.relay(r.pool)
    assert out["type"] == "stock.rejected" and out["data"]["order_id"] == env["data"]["order_id"]


@pytest.mark.consumer("payments")
def test_payments_charges_reserved_stock_and_publishes_the_outcome(broker_double):
    r = res([("INSERT INTO payments", [{"id": "p"}])], provider=ApprovingProvider())
    env = run(broker_double.deliver("stock.reserved", "payments", payments_worker.handle, r))
    [out] = broker_double.relay(r.pool)
    assert out["type"] in ("payment.succeeded", "payment.failed")
    assert out["data"]["amount_cents"] == env["data"]["total_cents"]


@pytest.mark.consumer("payments")
@pytest.mark.parametrize("event", ["provider.charge.succeeded", "provider.charge.declined"])
def test_payments_records_the_providers_signed_confirmation(broker_double, event):
    r = res([("INSERT INTO provider_confirmations", [{"provider_event_id": "e"}])],
            provider=ApprovingProvider())
    env = run(broker_double.deliver(event, "payments", payments_worker.handle, r))
    [(_, params)] = r.pool.conn.sql_matching("INSERT INTO provider_confirmations")
    assert params == (env["data"]["provider_event_id"], env["data"]["charge_id"],
                      env["data"]["order_id"], env["data"]["status"])
    assert broker_double.relay(r.pool) == []  # it confirms; the saga moved on the charge


@pytest.mark.consumer("monolith")
@pytest.mark.parametrize("event,status", [("payment.succeeded", "paid"),
                                          ("payment.failed", "payment_failed"),
                                          ("stock.rejected", "rejected")])
def test_monolith_moves_the_order_to_the_events_status(broker_double, event, status):
    row = {"id": "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00",
           "customer_id": "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11", "total_cents": 4550}
    r = res([("UPDATE orders", [row])])
    run(broker_double.deliver(event, "monolith", monolith_worker.handle, r))
    [(_, params)] = r.pool.conn.sql_matching("UPDATE orders")
    assert params[0] == status
    published = broker_double.relay(r.pool)
    assert [e["type"] for e in published] == (["order.paid"] if status == "paid" else [])


@pytest.mark.consumer("webhooks")
def test_webhooks_schedules_a_delivery_per_matching_subscription(broker_double):
    env = broker_double.event("order.paid")
    sub = {"id": "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c", "customer_id":
           env["data"]["customer_id"], "url": "https://shop.example/hooks",
           "events": ["order.paid"]}
    r = res([("FROM subscriptions", [sub])], dispatcher=Wakeable())
    run(broker_double.deliver(env, "webhooks", webhooks_worker.handle, r))
    [(_, params)] = r.pool.conn.sql_matching("INSERT INTO deliveries")
    assert params[3] == env["id"] and params[4] == "order.paid"
    assert r.extra["dispatcher"].woken == 1


@pytest.mark.consumer("auth")
@pytest.mark.parametrize("event", ["auth.token_issued", "auth.client_enrolled"])
def test_auth_records_its_events_in_the_audit_trail(broker_double, event):
    r = res([])
    env = run(broker_double.deliver(event, "auth", record_event, r))
    [(_, params)] = r.pool.conn.sql_matching("INSERT INTO audit_events")
    assert params[0] == env["id"] and params[1] == event
