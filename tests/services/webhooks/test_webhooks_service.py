import asyncio
import base64
import hashlib
import hmac
import json
import random
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.resources import Resources
from services.webhooks import app as app_module
from services.webhooks import store
from services.webhooks.app import app
from services.webhooks.delivery import (
    MAX_ATTEMPTS,
    Dispatcher,
    attempt,
    backoff,
    backoff_ceiling,
    build_request,
)
from services.webhooks.egress import EgressGuard
from services.webhooks.signing import canonical_body, new_secret, verify

PRIVATE = "172.30.0.0/16 172.31.0.0/16"
NAMES = {"sub": ["203.0.113.5"], "x": ["203.0.113.6"], "postgres": ["172.30.0.7"],
         "localhost": ["127.0.0.1"], "gateway": ["172.31.0.3"]}


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


SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()


def expected_signature(secret, msg_id, stamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_a_delivery_is_signed_by_the_standard_webhooks_rules():
    body, headers = build_request("d1", EVENT, SECRET, timestamp=1700000000)
    assert headers["webhook-id"] == "d1" and headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"] == expected_signature(SECRET, "d1", 1700000000, body)
    assert headers["X-Sandbox-Event"] == "order.paid"
    assert not any(h.startswith("X-Sandbox-S") or h == "X-Sandbox-Delivery" for h in headers)
    assert json.loads(body) == EVENT and body == canonical_body(EVENT)
    assert verify(body, headers, SECRET, now=1700000000)
    assert not verify(body + b" ", headers, SECRET, now=1700000000)
    assert not verify(body, headers, OLD_SECRET, now=1700000000)


def test_the_standardwebhooks_library_verifies_a_delivery():
    from standardwebhooks import Webhook, WebhookVerificationError

    body, headers = build_request("d1", EVENT, SECRET)
    assert Webhook(SECRET).verify(body, headers) == EVENT
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD_SECRET).verify(body, headers)
    old_body, old_headers = build_request("d1", EVENT, SECRET, timestamp=int(time.time()) - 301)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(old_body, old_headers)


def test_during_a_rotation_overlap_both_secrets_sign_space_separated():
    body, headers = build_request("d1", EVENT, [SECRET, OLD_SECRET], timestamp=1700000000)
    new_sig, old_sig = headers["webhook-signature"].split(" ")
    assert new_sig == expected_signature(SECRET, "d1", 1700000000, body)
    assert old_sig == expected_signature(OLD_SECRET, "d1", 1700000000, body)
    assert verify(body, headers, OLD_SECRET, now=1700000000)
    assert verify(body, headers, SECRET, now=1700000000)


def test_a_new_secret_is_whsec_and_32_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert new_secret() != secret


def test_backoff_is_exponential_with_full_jitter_and_capped():
    rng = random.Random(1234)
    waits = [backoff(n, rng) for n in range(1, 9)]
    again = random.Random(1234)
    assert waits == [again.uniform(0, backoff_ceiling(n)) for n in range(1, 9)]
    assert all(0 <= w <= backoff_ceiling(n) for n, w in enumerate(waits, 1))
    assert [backoff_ceiling(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 8, 60]
    assert MAX_ATTEMPTS <= 10
    # jitter spreads retries: many draws of one attempt are not all alike, and average half
    draws = [backoff(4, random.Random(seed)) for seed in range(200)]
    assert len(set(draws)) == 200 and 3.0 < sum(draws) / len(draws) < 5.0


def test_subscription_patterns():
    assert store.matches(["order.paid"], "order.paid")
    assert store.matches(["*"], "order.created")
    assert not store.matches(["order.paid"], "order.created")
    assert not store.matches(["order.*"], "orders.paid")


def claimed(**fields):
    row = {"id": "d1", "subscription_id": "s1", "event_type": "order.paid",
           "url": "http://sub/hook", "body": EVENT, "attempts": 0,
           "subscription_status": "active", "secret": SECRET, "previous_secret": None}
    return {**row, **fields}


def delivery_pool(**fields):
    return FakeAsyncPool([("UPDATE deliveries d SET next_attempt_at", [claimed(**fields)])])


def run_dispatch(pool, handler, rng=None):
    async def go():
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        dispatcher = Dispatcher(pool, client, guard=guard(), rng=rng)
        n = await dispatcher.deliver_due()
        await client.aclose()
        return n

    return asyncio.run(go())


def recorded(pool):
    [(_, params)] = pool.conn.sql_matching("UPDATE deliveries SET attempts")
    return params


def test_dispatcher_posts_signed_event_and_records_success():
    pool = delivery_pool()
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(204)

    assert run_dispatch(pool, handler) == 1
    [request] = seen
    assert verify(request.content, request.headers, SECRET)
    assert request.headers["webhook-id"] == "d1"
    params = recorded(pool)
    assert params[0] == "delivered" and params[1] == 204


def test_retries_of_a_delivery_keep_its_webhook_id_and_are_signed_afresh():
    seen = []
    for attempts in (0, 1):
        run_dispatch(delivery_pool(attempts=attempts),
                     lambda r: seen.append(r) or httpx.Response(503))
    assert [r.headers["webhook-id"] for r in seen] == ["d1", "d1"]
    assert all(verify(r.content, r.headers, SECRET) for r in seen)


def test_during_the_overlap_the_delivery_carries_both_signatures():
    seen = []
    run_dispatch(delivery_pool(previous_secret=OLD_SECRET),
                 lambda r: seen.append(r) or httpx.Response(200))
    [request] = seen
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify(request.content, request.headers, SECRET)
    assert verify(request.content, request.headers, OLD_SECRET)


def test_dispatcher_schedules_a_jittered_retry_on_failure():
    pool = delivery_pool(attempts=2)
    assert run_dispatch(pool, lambda r: httpx.Response(503), rng=random.Random(5)) == 1
    params = recorded(pool)
    assert params[0] == "pending" and params[1] == 503
    assert params[4] == backoff(3, random.Random(5)) and 0 <= params[4] <= 4


def test_a_redirect_is_not_followed_and_counts_as_a_failure():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8000/"})

    pool = delivery_pool()
    run_dispatch(pool, handler)
    assert len(seen) == 1
    assert recorded(pool)[:3] == ("pending", 302, "HTTP 302")


def test_after_the_last_attempt_the_delivery_is_dead():
    pool = delivery_pool(attempts=MAX_ATTEMPTS - 1)

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    run_dispatch(pool, refuse)
    params = recorded(pool)
    assert params[0] == "dead" and "ConnectError" in params[2]


def test_a_410_answer_disables_the_subscription_and_kills_the_delivery():
    pool = delivery_pool()
    run_dispatch(pool, lambda r: httpx.Response(410))
    params = recorded(pool)
    assert params[:2] == ("dead", 410)
    [(_, disabled)] = pool.conn.sql_matching("UPDATE subscriptions SET status = 'disabled'")
    assert disabled[1] == "s1" and "410" in disabled[0]
    [(_, pending)] = pool.conn.sql_matching("UPDATE deliveries SET status = 'dead'")
    assert pending[1] == "s1"


def test_a_delivery_of_a_disabled_subscription_is_dead_and_not_sent():
    sent = []
    pool = delivery_pool(subscription_status="disabled")
    run_dispatch(pool, lambda r: sent.append(r) or httpx.Response(200))
    assert sent == []
    assert recorded(pool)[0] == "dead"


def test_deliveries_are_not_created_for_a_disabled_subscription():
    subs = [{"id": "s1", "customer_id": "u1", "url": "http://a", "events": ["order.paid"],
             "status": "disabled"}]
    pool = FakeAsyncPool([("FROM subscriptions", subs)])
    assert asyncio.run(store.create_deliveries(pool.conn, EVENT)) == 0


def test_deliveries_are_created_for_matching_subscriptions_of_the_customer():
    subs = [{"id": "s1", "customer_id": "u1", "url": "http://a", "events": ["order.paid"]},
            {"id": "s2", "customer_id": "u1", "url": "http://b", "events": ["order.created"]}]
    pool = FakeAsyncPool([("FROM subscriptions", subs)])
    assert asyncio.run(store.create_deliveries(pool.conn, EVENT)) == 1
    [(_, params)] = pool.conn.sql_matching("INSERT INTO deliveries")
    assert params[1] == "s1" and params[3] == EVENT["id"] and params[5] == "o1"
    [(_, sub_params)] = pool.conn.sql_matching("FROM subscriptions")
    assert sub_params == ("u1",)


class Secrets:
    def get(self, name, max_age_s=None):
        return {"alerts/sink_token": "sink-token"}[name]


SINK = {"Authorization": "Bearer sink-token"}


def api(rules=()):
    pool = FakeAsyncPool(list(rules))
    app.state.resources = Resources(settings=Settings(service="webhooks"), secrets=Secrets(),
                                    pool=pool)
    return TestClient(app), pool


SUB = {"id": "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00", "customer_id": "u1", "url": "http://x/h",
       "events": ["order.paid"], "status": "active"}


def test_subscription_is_owned_by_the_gateway_user_and_validated():
    client, pool = api([("INSERT INTO subscriptions", [SUB])])
    headers = {"X-User-Id": "u1"}
    r = client.post("/v1/webhooks/subscriptions", json={"url": "http://x/h",
                                                        "events": ["order.paid"]}, headers=headers)
    assert r.status_code == 201 and r.json()["id"] == SUB["id"]
    [(_, params)] = pool.conn.sql_matching("INSERT INTO subscriptions")
    assert params[1] == "u1"
    # its own secret, answered once: the one stored
    assert r.json()["secret"].startswith("whsec_") and params[4] == r.json()["secret"]
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
    assert client.post("/internal/alerts", json=payload, headers=SINK).json() == {"stored": 1}
    [(_, params)] = pool.conn.sql_matching("INSERT INTO alerts")
    assert params[0] == "ServiceDown" and params[1] == "firing"
    assert client.post("/internal/alerts", json=[1], headers=SINK).status_code == 422


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic sink-token"}])
def test_the_alert_sink_answers_only_with_its_token(headers):
    client, pool = api()
    payload = {"alerts": [{"labels": {"alertname": "X"}}]}
    r = client.post("/internal/alerts", json=payload, headers=headers)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/internal/alerts", headers=headers).status_code == 401
    assert pool.conn.sql_matching("INSERT INTO alerts") == []


def test_internal_routes_answer_only_peers_on_the_private_network():
    from services.platform.private_routes import PrivateRoutes

    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = TestClient(PrivateRoutes(ok, "10.9.0.0/16"))  # the test client's peer is not in it
    r = guarded.post("/internal/alerts")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert guarded.get("/v1/webhooks/subscriptions").status_code == 200
    assert PrivateRoutes(ok, "10.9.0.0/16").allowed("/internal/alerts", "10.9.3.4")
    assert not PrivateRoutes(ok, "10.9.0.0/16").allowed("/internal/alerts", "not-an-ip")


def test_a_list_never_shows_a_secret():
    client, pool = api([("FROM subscriptions", [SUB])])
    r = client.get("/v1/webhooks/subscriptions", headers={"X-User-Id": "u1"})
    assert r.status_code == 200 and "secret" not in r.json()["items"][0]
    [(sql, _)] = pool.conn.sql_matching("FROM subscriptions")
    assert "secret," not in sql.split("FROM")[0].replace("secret_rotated_at,", "")


def test_rotating_the_secret_returns_the_new_one_and_keeps_the_old_for_the_overlap():
    client, pool = api([("UPDATE subscriptions SET previous_secret", [SUB])])
    path = f"/v1/webhooks/subscriptions/{SUB['id']}/secret"
    r = client.post(path, headers={"X-User-Id": "u1"})
    assert r.status_code == 200 and r.json()["secret"].startswith("whsec_")
    [(_, params)] = pool.conn.sql_matching("UPDATE subscriptions SET previous_secret")
    assert params[:4] == (86400, 86400, 86400, r.json()["secret"])
    assert params[4:] == ("u1", SUB["id"])
    r = client.post(path, json={"overlap_seconds": 0}, headers={"X-User-Id": "u1"})
    assert r.status_code == 200
    assert pool.conn.sql_matching("UPDATE subscriptions SET previous_secret")[1][1][0] == 0
    assert client.post(path, json={"overlap_seconds": -1},
                       headers={"X-User-Id": "u1"}).status_code == 422


def test_another_customers_subscription_is_404():
    client, _ = api([("UPDATE subscriptions", []), ("FROM subscriptions", [])])
    path = f"/v1/webhooks/subscriptions/{SUB['id']}"
    assert client.post(path + "/secret", headers={"X-User-Id": "u2"}).status_code == 404
    assert client.get(path, headers={"X-User-Id": "u2"}).status_code == 404
    assert client.get("/v1/webhooks/subscriptions/not-a-uuid",
                      headers={"X-User-Id": "u2"}).status_code == 422


def test_dead_deliveries_are_listed_by_status():
    client, pool = api([("FROM deliveries", [])])
    r = client.get("/v1/webhooks/deliveries", params={"status": "dead"},
                   headers={"X-User-Id": "u1"})
    assert r.status_code == 200
    [(sql, params)] = pool.conn.sql_matching("FROM deliveries")
    assert "status = %s" in sql and params == ["u1", "dead"]
    assert client.get("/v1/webhooks/deliveries", params={"status": "failed"},
                      headers={"X-User-Id": "u1"}).status_code == 422


REFUSED_URLS = [
    "http://postgres:5432/", "http://localhost:8000/x", "http://nowhere/hook",
    "http://gateway:8080/", "http://172.31.0.3/",              # the public network too
    "http://127.0.0.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://0177.0.0.1/",
    "http://127.1/", "http://0/", "http://0.0.0.0/", "http://[::]/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:ac1f:3]/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://127.0.0.1./",
    "http://localhost./", "http://sub@127.0.0.1/", "http://sub:x@sub/",
    "http://[64:ff9b::7f00:1]/", "http://0xac.0x1f.0.3/", "http://2887712771/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_a_subscription_to_an_address_of_the_sandbox_is_refused(url):
    client, pool = api()
    r = client.post("/v1/webhooks/subscriptions", json={"url": url, "events": ["order.paid"]},
                    headers={"X-User-Id": "u1"})
    assert r.status_code == 422, r.text
    assert pool.conn.sql_matching("INSERT INTO subscriptions") == []
    # the answer never tells where a name points
    assert "172.30.0.7" not in r.text and ("172.31.0.3" not in r.text or "172.31.0.3" in url)


def test_a_delivery_into_the_private_network_is_never_sent():
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    ok, code, error = asyncio.run(attempt(client, "http://postgres:5432/", b"{}", {}, guard()))
    assert (ok, code, sent) == (False, None, [])
    assert error == "destination refused: postgres resolves to an address of the sandbox"


DEAD = {"id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "subscription_id": SUB["id"],
        "event_id": EVENT["id"], "event_type": "order.paid", "order_id": "o1", "url": "http://x/h",
        "status": "dead", "attempts": 5, "last_status_code": 503, "last_error": "HTTP 503",
        "created_at": "2026-01-01T00:00:00+00:00", "delivered_at": None,
        "next_attempt_at": "2026-01-01T00:00:15+00:00", "subscription_status": "active"}


def test_a_dead_delivery_is_redriven_with_a_fresh_round_of_attempts():
    pending = {**DEAD, "status": "pending", "attempts": 0}
    client, pool = api([("JOIN subscriptions", [DEAD]), ("UPDATE deliveries SET status", [pending])])
    r = client.post(f"/v1/webhooks/deliveries/{DEAD['id']}/retry", headers={"X-User-Id": "u1"})
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    [(sql, params)] = pool.conn.sql_matching("UPDATE deliveries SET status = 'pending'")
    assert "attempts = 0" in sql and "status = 'dead'" in sql and params == ("u1", DEAD["id"])


@pytest.mark.parametrize(("found", "status"), [
    ([], 404), ([{**DEAD, "status": "delivered"}], 409),
    ([{**DEAD, "subscription_status": "disabled"}], 409),
])
def test_only_a_dead_delivery_of_an_active_subscription_of_ones_own_is_redriven(found, status):
    client, pool = api([("JOIN subscriptions", found)])
    r = client.post(f"/v1/webhooks/deliveries/{DEAD['id']}/retry", headers={"X-User-Id": "u1"})
    assert r.status_code == status, r.text
    assert pool.conn.sql_matching("UPDATE deliveries") == []
