import asyncio
import hashlib
import hmac
import json

import httpx
import pytest
from fastapi.testclient import TestClient

from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.resources import Resources
from services.webhooks import app as app_module
from services.webhooks import store
from services.webhooks.app import app
from services.webhooks.delivery import MAX_ATTEMPTS, Dispatcher, backoff, build_request
from services.webhooks.egress import EgressGuard
from services.webhooks.signing import canonical_body, sign, verify

PRIVATE = "172.30.0.0/16"
NAMES = {"sub": ["203.0.113.5"], "x": ["203.0.113.6"], "postgres": ["172.30.0.7"],
         "localhost": ["127.0.0.1"]}


async def fake_resolve(host, port):
    if host not in NAMES:
        raise OSError("no such name")
    return NAMES[host]


def guard():
    return EgressGuard(PRIVATE, resolver=fake_resolve)


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch):
    monkeypatch.setattr(app_module, "egress", guard())


EVENT = {"id": "11111111-1111-1111-1111-111111111111", "type": "order.paid",
         "occurred_at": "2026-01-01T00:00:00+00:00", "trace_id": "a" * 32,
         "data": {"order_id": "o1", "customer_id": "u1", "total_cents": 10, "payment_id": "p"}}


def test_signature_is_hmac_sha256_of_the_exact_body():
    body, headers = build_request("d1", EVENT, "s3cret")
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Sandbox-Signature"] == f"sha256={expected}"
    assert headers["X-Sandbox-Event"] == "order.paid" and headers["X-Sandbox-Delivery"] == "d1"
    assert json.loads(body) == EVENT and body == canonical_body(EVENT)
    assert verify(body, "s3cret", headers["X-Sandbox-Signature"])
    assert not verify(body + b" ", "s3cret", headers["X-Sandbox-Signature"])
    assert not verify(body, "other", sign(body, "s3cret"))


def test_backoff_is_bounded():
    assert backoff(1) == 1.0 and backoff(3) == 4.0 and backoff(100) == 60.0
    assert MAX_ATTEMPTS <= 10


def test_subscription_patterns():
    assert store.matches(["order.paid"], "order.paid")
    assert store.matches(["*"], "order.created")
    assert not store.matches(["order.paid"], "order.created")
    assert not store.matches(["order.*"], "orders.paid")


def delivery_pool(received_status):
    row = {"id": "d1", "event_type": "order.paid", "url": "http://sub/hook", "body": EVENT,
           "attempts": 0}
    return FakeAsyncPool([("UPDATE deliveries SET next_attempt_at", [row])])


def run_dispatch(pool, handler):
    async def go():
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        dispatcher = Dispatcher(pool, "s3cret", client, guard=guard())
        n = await dispatcher.deliver_due()
        await client.aclose()
        return n

    return asyncio.run(go())


def test_dispatcher_posts_signed_event_and_records_success():
    pool = delivery_pool(200)
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(204)

    assert run_dispatch(pool, handler) == 1
    [request] = seen
    assert verify(request.content, "s3cret", request.headers["X-Sandbox-Signature"])
    [(_, params)] = pool.conn.sql_matching("UPDATE deliveries SET attempts")
    assert params[0] == "delivered" and params[1] == 204


def test_dispatcher_schedules_a_retry_on_failure():
    pool = delivery_pool(500)
    assert run_dispatch(pool, lambda r: httpx.Response(503)) == 1
    [(_, params)] = pool.conn.sql_matching("UPDATE deliveries SET attempts")
    assert params[0] == "pending" and params[1] == 503 and params[4] == backoff(1)


def test_dispatcher_gives_up_after_max_attempts():
    row = {"id": "d1", "event_type": "order.paid", "url": "http://sub/hook", "body": EVENT,
           "attempts": MAX_ATTEMPTS - 1}
    pool = FakeAsyncPool([("UPDATE deliveries SET next_attempt_at", [row])])

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    run_dispatch(pool, refuse)
    [(_, params)] = pool.conn.sql_matching("UPDATE deliveries SET attempts")
    assert params[0] == "failed" and "ConnectError" in params[2]


def test_deliveries_are_created_for_matching_subscriptions_of_the_customer():
    subs = [{"id": "s1", "customer_id": "u1", "url": "http://a", "events": ["order.paid"]},
            {"id": "s2", "customer_id": "u1", "url": "http://b", "events": ["order.created"]}]
    pool = FakeAsyncPool([("FROM subscriptions", subs)])
    assert asyncio.run(store.create_deliveries(pool.conn, EVENT)) == 1
    [(_, params)] = pool.conn.sql_matching("INSERT INTO deliveries")
    assert params[1] == "s1" and params[3] == EVENT["id"] and params[5] == "o1"
    [(_, sub_params)] = pool.conn.sql_matching("FROM subscriptions")
    assert sub_params == ("u1",)


def api(rules=()):
    pool = FakeAsyncPool(list(rules))
    app.state.resources = Resources(settings=Settings(service="webhooks"), secrets=None, pool=pool)
    return TestClient(app), pool


def test_subscription_is_owned_by_the_gateway_user_and_validated():
    client, pool = api([("INSERT INTO subscriptions", [{"id": "s1", "customer_id": "u1",
                                                        "url": "http://x/h",
                                                        "events": ["order.paid"]}])])
    headers = {"X-User-Id": "u1"}
    r = client.post("/v1/webhooks/subscriptions", json={"url": "http://x/h",
                                                        "events": ["order.paid"]}, headers=headers)
    assert r.status_code == 201 and r.json()["id"] == "s1"
    assert pool.conn.sql_matching("INSERT INTO subscriptions")[0][1][1] == "u1"
    bad = client.post("/v1/webhooks/subscriptions", json={"url": "ftp://x", "events": ["order.paid"]},
                      headers=headers)
    assert bad.status_code == 422
    assert client.post("/v1/webhooks/subscriptions", json={"url": "http://x", "events": ["x y"]},
                       headers=headers).status_code == 422
    assert client.get("/v1/webhooks/deliveries").status_code == 401


def test_alertmanager_payload_is_stored():
    client, pool = api()
    payload = {"receiver": "sink", "status": "firing",
               "alerts": [{"status": "firing", "labels": {"alertname": "ServiceDown"},
                           "annotations": {}, "startsAt": "2026-01-01T00:00:00Z"}]}
    assert client.post("/internal/alerts", json=payload).json() == {"stored": 1}
    [(_, params)] = pool.conn.sql_matching("INSERT INTO alerts")
    assert params[0] == "ServiceDown" and params[1] == "firing"
    assert client.post("/internal/alerts", json=[1]).status_code == 422


@pytest.mark.parametrize("url", ["http://postgres:5432/", "http://localhost:8000/x",
                                 "http://nowhere/hook"])
def test_a_subscription_into_the_private_network_is_refused(url):
    client, pool = api()
    r = client.post("/v1/webhooks/subscriptions", json={"url": url, "events": ["order.paid"]},
                    headers={"X-User-Id": "u1"})
    assert r.status_code == 422 and "refused" in r.json()["detail"]
    assert pool.conn.sql_matching("INSERT INTO subscriptions") == []


def test_a_delivery_into_the_private_network_is_never_sent():
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(200)

    from services.webhooks.delivery import attempt

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    ok, code, error = asyncio.run(attempt(client, "http://postgres:5432/", b"{}", {}, guard()))
    assert (ok, code, sent) == (False, None, [])
    assert "private network" in error
