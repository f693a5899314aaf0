"""The webhooks worker's deliveries through the egress proxy (no Docker): the real
dispatcher, its real HTTP client, the real proxy, a destination on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from services.egress.answers import answer
from services.platform.fakes import FakeAsyncPool
from services.webhooks.delivery import Dispatcher, attempt, egress_proxy_url
from services.webhooks.signing import new_secret, verify
from tests.services.egress.egress_servers import Destination, Names, guard_for, run, running_proxy

pytestmark = pytest.mark.timeout(30)
SECRET = new_secret()
EVENT = {"id": "11111111-1111-1111-1111-111111111111", "type": "order.paid",
         "occurred_at": "2026-01-01T00:00:00+00:00", "trace_id": "a" * 32,
         "data": {"order_id": "o1", "customer_id": "u1", "total_cents": 10, "payment_id": "p"}}


def due(url: str) -> FakeAsyncPool:
    row = {"id": "d1", "subscription_id": "s1", "event_type": "order.paid", "url": url,
           "body": EVENT, "attempts": 0, "subscription_status": "active", "secret": SECRET,
           "previous_secret": None}
    return FakeAsyncPool([("UPDATE deliveries d SET next_attempt_at", [row])])


def recorded(pool: FakeAsyncPool) -> tuple:
    [(_, params)] = pool.conn.sql_matching("UPDATE deliveries SET attempts")
    return params[0], params[1], params[2]  # status, status code, error


def deliver(url_of, names: Names):
    """One dispatch of one due delivery through the proxy; (pool, destination requests)."""

    async def go():
        async with Destination(status=204, body=b"") as dest, \
                running_proxy(guard_for(names)) as proxy:
            pool = due(url_of(dest.port))
            dispatcher = Dispatcher(pool, proxy_url=f"http://127.0.0.1:{proxy.port}")
            assert await dispatcher.deliver_due() == 1
            await dispatcher.aclose()
            return pool, dest.received

    return run(go())


def test_a_delivery_goes_through_the_proxy_signed_and_is_recorded_delivered():
    names = Names(sub_test=["127.0.0.1"])
    pool, [received] = deliver(lambda port: f"http://sub.test:{port}/hooks/orders", names)
    assert recorded(pool) == ("delivered", 204, None)
    assert received.request_line == "POST /hooks/orders HTTP/1.1"
    headers = {k: received.header(k) or "" for k in
               ("webhook-id", "webhook-timestamp", "webhook-signature")}
    assert verify(received.body, headers, SECRET) and headers["webhook-id"] == "d1"
    assert names.lookups == ["sub.test"]  # the proxy resolved it; the worker did not


def test_a_delivery_the_proxy_refuses_is_recorded_with_its_reason_and_retried():
    names = Names(inside_test=["10.99.0.7"])
    pool, received = deliver(lambda port: f"http://inside.test:{port}/", names)
    status, code, error = recorded(pool)
    assert (status, code, received) == ("pending", None, [])
    assert error.startswith("destination refused: inside.test:")
    assert "inside.test resolves to an address of the sandbox" in error
    assert "10.99.0.7" not in error  # never where it points


def test_a_proxy_answer_is_told_apart_from_the_subscribers_own_status():
    def handler(request: httpx.Request) -> httpx.Response:
        raw = answer(502, "connection_refused", "sub:80 unreachable (refused)")
        head, body = raw.split(b"\r\n\r\n", 1)
        headers = [line.split(": ", 1) for line in head.decode().split("\r\n")[1:]]
        return httpx.Response(502, headers=headers, content=body)

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            proxied = await attempt(http, "http://sub/", b"{}", {})
        async with httpx.AsyncClient(
                transport=httpx.MockTransport(lambda r: httpx.Response(502))) as http:
            own = await attempt(http, "http://sub/", b"{}", {})
        return proxied, own

    proxied, own = run(go())
    assert proxied == (False, None, "egress connection_refused: sub:80 unreachable (refused)")
    assert own == (False, 502, "HTTP 502")


def test_the_proxy_address_comes_from_the_environment_and_a_bad_one_says_how_to_fix_it():
    assert egress_proxy_url({"EGRESS_PROXY_URL": "http://toxiproxy:20026"}) == \
        "http://toxiproxy:20026"
    assert egress_proxy_url({"EGRESS_PROXY_URL": ""}) is None
    with pytest.raises(ValueError, match="write it as http://HOST:PORT"):
        egress_proxy_url({"EGRESS_PROXY_URL": "toxiproxy:20026"})


def test_with_a_proxy_the_worker_does_not_resolve_names_itself(monkeypatch):
    monkeypatch.setenv("SANDBOX_SUBNETS", "10.99.0.0/16")
    assert Dispatcher(None, httpx.AsyncClient(), proxy_url="http://p:1")._guard is None
    assert Dispatcher(None, httpx.AsyncClient())._guard is not None
