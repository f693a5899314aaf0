"""The egress proxy as the webhooks worker uses it: real sockets on 127.0.0.1, no Docker.

The destinations run on 127.0.0.1, which the real guard forbids; these tests give the
proxy a guard that forbids only ``PRIVATE`` (10.99.0.0/16) and a resolver with fixed
answers, so names like ``sub.test`` stand for a subscriber and ``inside.test`` for a
private service.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from services.egress.answers import proxy_error
from services.egress.guard import EgressGuard
from tests.services.egress.egress_servers import (
    Destination,
    Names,
    RecordingOpener,
    echo,
    guard_for,
    raw_exchange,
    run,
    running_proxy,
    silent,
    tcp_server,
)

pytestmark = pytest.mark.timeout(30)
PRIVATE_REAL = "172.30.0.0/16"  # a real guard's subnet: loopback is forbidden with it


def client(proxy_port: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(proxy=f"http://127.0.0.1:{proxy_port}", trust_env=False, timeout=5)


def problem(response: httpx.Response) -> tuple[str | None, str]:
    """(the proxy's RFC 9209 error, the problem's detail)."""
    assert response.headers["content-type"] == "application/problem+json"
    return proxy_error(response.headers), response.json()["detail"]


def test_a_post_reaches_the_destination_in_origin_form_with_hop_by_hop_headers_dropped():
    names = Names(sub_test=["127.0.0.1"])

    async def go():
        async with Destination(status=201, body=b"thanks") as dest, \
                running_proxy(guard_for(names)) as proxy, client(proxy.port) as http:
            response = await http.post(
                f"http://sub.test:{dest.port}/hooks/orders?x=1", content=b'{"a": 1}',
                headers={"X-Sandbox-Event": "order.paid", "Proxy-Authorization": "Basic eA==",
                         "Connection": "keep-alive, X-Hop", "X-Hop": "1"})
            return response, dest.received

    response, [received] = run(go())
    assert (response.status_code, response.content) == (201, b"thanks")
    assert proxy_error(response.headers) is None
    assert response.headers["connection"] == "close" and "keep-alive" not in response.headers
    assert received.request_line == "POST /hooks/orders?x=1 HTTP/1.1"
    assert received.header("host") == f"sub.test:{received.header('host').split(':')[1]}"
    assert received.header("x-sandbox-event") == "order.paid" and received.body == b'{"a": 1}'
    assert received.header("connection") == "close"
    for hop in ("proxy-authorization", "proxy-connection", "x-hop", "keep-alive"):
        assert received.header(hop) is None, hop


def test_the_name_is_resolved_once_and_the_checked_address_is_the_one_connected():
    # a rebinding name: public (allowed) at the check, private at any later lookup
    names = Names(rebind_test=lambda n: ["127.0.0.1"] if n == 1 else ["10.99.0.7"])
    opener = RecordingOpener()

    async def go():
        async with Destination() as dest, \
                running_proxy(guard_for(names), opener=opener) as proxy, client(proxy.port) as http:
            response = await http.get(f"http://rebind.test:{dest.port}/")
            return response, dest.port

    response, port = run(go())
    assert response.status_code == 200
    assert names.lookups == ["rebind.test"]
    assert opener.calls == [("127.0.0.1", port)]


def test_a_destination_in_the_private_subnet_is_refused_and_never_contacted():
    names = Names(inside_test=["10.99.0.7"], mixed_test=["127.0.0.1", "10.99.0.8"])
    opener = RecordingOpener()

    async def go():
        async with running_proxy(guard_for(names), opener=opener) as proxy, \
                client(proxy.port) as http:
            return [await http.post(f"http://{host}:5432/", content=b"x")
                    for host in ("inside.test", "mixed.test")]

    inside, mixed = run(go())
    assert inside.status_code == mixed.status_code == 403
    error, detail = problem(inside)
    assert error == "destination_ip_prohibited"
    assert detail == "inside.test:5432 refused: inside.test resolves to an address of the sandbox"
    # one private address refuses the name, and the answer never says where it points
    assert problem(mixed)[1] == "mixed.test:5432 refused: mixed.test resolves to an address of " \
        "the sandbox"
    assert "10.99.0.7" not in inside.text and "10.99" not in mixed.headers["proxy-status"]
    assert opener.calls == []


@pytest.mark.parametrize("host", [
    "127.0.0.1", "[::ffff:127.0.0.1]", "169.254.169.254", "2130706433", "0x7f.0.0.1",
    "0177.0.0.1", "127.1", "127.0.0.1.", "0", "0.0.0.0", "[::]", "[::1]", "[::ffff:7f00:1]",
    "localhost", "localhost.", "[64:ff9b::7f00:1]", "172.30.0.5", "0xac.0x1e.0.5",
])
def test_loopback_link_local_and_the_sandbox_in_every_spelling_are_refused_by_the_real_guard(host):
    # raw heads: an HTTP client would refuse some of these spellings itself
    async def go():
        async with Destination() as dest, running_proxy(EgressGuard(PRIVATE_REAL)) as proxy:
            reader, writer, head = await raw_exchange(
                proxy.port, f"GET http://{host}:{dest.port}/ HTTP/1.1\r\n\r\n".encode())
            body = await reader.read()
            writer.close()
            return head, body, dest.received

    head, body, received = run(go())
    assert head.startswith(b"HTTP/1.1 403 Forbidden\r\n") and received == []
    assert b"error=destination_ip_prohibited" in head
    assert json.loads(body)["detail"].endswith("an address of the sandbox")
    for leaked in (b"127.0.0.1", b"172.30.0.5"):
        assert leaked not in head + body or leaked in host.encode()


def test_connect_opens_a_tunnel_to_a_checked_address():
    names = Names(sub_test=["127.0.0.1"])
    opener = RecordingOpener()

    async def go():
        async with tcp_server(echo) as port, \
                running_proxy(guard_for(names), opener=opener) as proxy:
            reader, writer, head = await raw_exchange(
                proxy.port, f"CONNECT sub.test:{port} HTTP/1.1\r\nHost: sub.test:{port}\r\n\r\n"
                .encode() + b"early bytes|")
            writer.write(b"hello through the tunnel")
            await writer.drain()
            echoed = await reader.readexactly(len(b"early bytes|hello through the tunnel"))
            writer.close()
            return head, echoed, port

    head, echoed, port = run(go())
    assert head == b"HTTP/1.1 200 Connection Established\r\n\r\n"
    assert echoed == b"early bytes|hello through the tunnel"
    assert opener.calls == [("127.0.0.1", port)]


def test_connect_into_the_private_subnet_is_refused():
    names = Names(inside_test=["10.99.0.7"])

    async def go():
        async with running_proxy(guard_for(names)) as proxy:
            reader, writer, head = await raw_exchange(
                proxy.port, b"CONNECT inside.test:443 HTTP/1.1\r\n\r\n")
            body = await reader.read()
            writer.close()
            return head, body

    head, body = run(go())
    assert head.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"error=destination_ip_prohibited" in head
    assert json.loads(body)["status"] == 403


def test_https_through_httpx_is_refused_with_a_proxy_error():
    names = Names(inside_test=["10.99.0.7"])

    async def go():
        async with running_proxy(guard_for(names)) as proxy, client(proxy.port) as http:
            with pytest.raises(httpx.ProxyError, match="403"):
                await http.get("https://inside.test/")

    run(go())


def test_unresolvable_unreachable_and_slow_destinations_are_502_and_504():
    names = Names(sub_test=["127.0.0.1"], slow_test=["192.0.2.1"])

    async def never(address, port):
        await asyncio.sleep(3600)

    async def closed_port() -> int:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = int(server.sockets[0].getsockname()[1])
        server.close()
        await server.wait_closed()
        return port

    async def go():
        port = await closed_port()
        opener = RecordingOpener()

        async def route(address, p):  # the TEST-NET address never answers
            return await (never(address, p) if address == "192.0.2.1"
                          else asyncio.open_connection(address, p))

        opener = RecordingOpener(route)
        async with running_proxy(guard_for(names), opener=opener, connect_timeout=0.3) as proxy, \
                client(proxy.port) as http:
            return (await http.get("http://nowhere.test/"),
                    await http.get(f"http://sub.test:{port}/"),
                    await http.get("http://slow.test/"))

    unresolved, refused, slow = run(go())
    assert (unresolved.status_code, problem(unresolved)[0]) == (502, "dns_error")
    assert "nowhere.test does not resolve" in problem(unresolved)[1]
    assert (refused.status_code, problem(refused)[0]) == (502, "connection_refused")
    assert (slow.status_code, problem(slow)[0]) == (504, "connection_timeout")
    assert problem(slow)[1] == "slow.test:80 did not accept a connection within 0.3s"


def test_a_destination_that_never_answers_gets_504_after_the_idle_timeout():
    names = Names(sub_test=["127.0.0.1"])

    async def go():
        async with Destination(respond=False) as dest, \
                running_proxy(guard_for(names), idle_timeout=0.3) as proxy, \
                client(proxy.port) as http:
            loop = asyncio.get_running_loop()
            start = loop.time()
            response = await http.post(f"http://sub.test:{dest.port}/hook", content=b"{}")
            return response, loop.time() - start, dest.received

    response, elapsed, received = run(go())
    assert len(received) == 1  # it got the request, and said nothing
    assert (response.status_code, problem(response)[0]) == (504, "http_response_timeout")
    assert 0.3 <= elapsed < 3


def test_a_silent_tunnel_is_closed_after_the_idle_timeout_and_a_busy_one_is_not():
    names = Names(sub_test=["127.0.0.1"])

    async def go():
        loop = asyncio.get_running_loop()
        async with tcp_server(silent) as quiet, tcp_server(echo) as chatty, \
                running_proxy(guard_for(names), idle_timeout=0.3) as proxy:
            reader, writer, _ = await raw_exchange(
                proxy.port, f"CONNECT sub.test:{quiet} HTTP/1.1\r\n\r\n".encode())
            start = loop.time()
            assert await reader.read() == b""  # closed by the proxy
            silent_lasted = loop.time() - start
            writer.close()

            reader, writer, _ = await raw_exchange(
                proxy.port, f"CONNECT sub.test:{chatty} HTTP/1.1\r\n\r\n".encode())
            for _ in range(8):  # 0.8 s in all, never 0.3 s without a byte
                writer.write(b".")
                assert await reader.readexactly(1) == b"."
                await asyncio.sleep(0.1)
            writer.close()
            return silent_lasted

    silent_lasted = run(go())
    # the proxy's idle clock starts when it answers the CONNECT, a moment before this
    # client has read that answer (seen: 0.298 s): a little under 0.3 s is on time
    assert 0.25 <= silent_lasted < 3


def test_clients_beyond_the_limit_are_answered_503_until_one_leaves():
    names = Names(sub_test=["127.0.0.1"])

    async def go():
        async with tcp_server(echo) as port, \
                running_proxy(guard_for(names), max_connections=1) as proxy:
            connect = f"CONNECT sub.test:{port} HTTP/1.1\r\n\r\n".encode()
            _, first, head = await raw_exchange(proxy.port, connect)
            assert head.startswith(b"HTTP/1.1 200")
            _, second, refused = await raw_exchange(proxy.port, connect)
            second.close()
            first.close()
            while proxy.active:  # the first client's slot is given back as it closes
                await asyncio.sleep(0.01)
            _, third, again = await raw_exchange(proxy.port, connect)
            third.close()
            return refused, again

    refused, again = run(go())
    assert refused.startswith(b"HTTP/1.1 503 ") and b"error=connection_limit_reached" in refused
    assert again.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"GET /health HTTP/1.1\r\nHost: egress\r\n\r\n", "not a proxy request"),
        (b"GET https://sub.test/ HTTP/1.1\r\n\r\n", "https goes through the proxy with CONNECT"),
        (b"CONNECT sub.test HTTP/1.1\r\n\r\n", "CONNECT needs host:port"),
        (b"GET http://u:p@sub.test/ HTTP/1.1\r\n\r\n", "credentials in the URL"),
        (b"HELLO\r\n\r\n", "malformed request line"),
        (b"GET http://sub.test/ HTTP/1.1\r\nno colon\r\n\r\n", "malformed header line"),
    ],
)
def test_what_is_not_a_proxy_request_is_answered_400_with_the_reason(head, reason):
    async def go():
        async with running_proxy(guard_for(Names())) as proxy:
            reader, writer, answer = await raw_exchange(proxy.port, head)
            body = await reader.read()
            writer.close()
            return answer, json.loads(body)

    answer, body = run(go())
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert reason in body["detail"]


def test_a_head_that_never_ends_is_answered_400_after_the_head_timeout():
    async def go():
        async with running_proxy(guard_for(Names()), head_timeout=0.2) as proxy:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            writer.write(b"GET http://sub.test/ HTTP/1.1\r\n")
            answer = await reader.read()
            writer.close()
            return answer

    assert run(go()).startswith(b"HTTP/1.1 400 ")


def test_readiness_accepts_a_connection_and_fails_once_closed():
    async def go():
        async with running_proxy(guard_for(Names())) as proxy:
            await proxy.check()
            await proxy.check()
            while proxy.active:  # the probes' connections end quietly, their slots given back
                await asyncio.sleep(0.01)
        with pytest.raises(ConnectionError):
            await proxy.check()

    run(go())
