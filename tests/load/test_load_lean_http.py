"""The load generator's HTTP/1.1 client against servers on 127.0.0.1: answers, kept-alive
connections, a server that closes an idle one, a refused connection, a timeout, a broken
answer, and the error kinds the journeys see."""

import asyncio
import socket

import httpx
import orjson
import pytest
import uvloop

from sandbox.load.journeys import error_kind
from sandbox.load.lean_http import LeanClient
from tests.load.load_target import LoadTarget

pytestmark = pytest.mark.timeout(30)

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@pytest.fixture(params=sorted(LOOPS), autouse=True)
def loop_factory(request):
    """Every test on asyncio's loop and on uvloop's (the engine's)."""
    return LOOPS[request.param]


class Scripted:
    """A server whose every connection is handled by ``handler(reader, writer)``; it
    remembers what came in and how many connections it accepted."""

    def __init__(self, handler):
        self.handler, self.connections, self.heads = handler, 0, []

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._on, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc):
        self.server.close()

    async def _on(self, reader, writer):
        self.connections += 1
        try:
            await self.handler(self, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader):
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return head, await reader.readexactly(length) if length else b""


def answer(status=200, body=b"ok", headers=b"", close=False):
    return (b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s%s\r\n%s"
            % (status, len(body), headers, b"Connection: close\r\n" if close else b"", body))


def run(coroutine, loop_factory):
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coroutine)


def test_answers_are_read_and_connections_kept_alive(loop_factory):
    with LoadTarget() as target:
        async def main():
            async with LeanClient(target.url, timeout_s=5, max_connections=4) as http:
                answers = [await http.get(f"/status/{code}") for code in (200, 503, 404)]
                together = await asyncio.gather(*(http.get("/delay/20") for _ in range(8)))
                return answers, together, len(http._open)

        answers, together, open_connections = run(main(), loop_factory)
    assert [a.status_code for a in answers] == [200, 503, 404]
    assert answers[0].text == "ok" and answers[0].headers["content-type"] == "text/plain"
    assert answers[0].headers["Content-Type"] == "text/plain"  # any case
    assert all(a.status_code == 200 for a in together)
    assert open_connections <= 4  # eight at once over at most four connections
    assert target.requests == 11


def test_a_json_body_goes_with_its_length_type_and_headers(loop_factory):
    async def echo(server, reader, writer):
        while True:
            _, body = await server.read_request(reader)
            writer.write(answer(201, body, b"Content-Type: application/json\r\n"))

    async def main():
        async with Scripted(echo) as server, LeanClient(server.url) as http:
            response = await http.post("/v1/orders", json={"items": [{"sku": "A", "n": 1}]},
                                       headers={"Idempotency-Key": "k1", "X-Api-Key": "key"})
            return server, response

    server, response = run(main(), loop_factory)
    assert response.status_code == 201 and response.json() == {"items": [{"sku": "A", "n": 1}]}
    head = server.heads[0].decode()
    assert head.startswith("POST /v1/orders HTTP/1.1\r\n")
    for line in ("Content-Type: application/json", "Idempotency-Key: k1", "X-Api-Key: key",
                 f"Content-Length: {len(orjson.dumps(response.json()))}", "Host: 127.0.0.1:"):
        assert line in head


def test_a_chunked_answer_is_joined(loop_factory):
    async def chunked(server, reader, writer):
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        await reader.read()

    async def main():
        async with Scripted(chunked) as server, LeanClient(server.url) as http:
            return (await http.get("/")).content

    assert run(main(), loop_factory) == b"abcde"


def test_an_idle_connection_the_server_closed_is_replaced_and_the_request_sent_again(loop_factory):
    async def one_per_connection(server, reader, writer):
        await server.read_request(reader)
        writer.write(answer())  # keep-alive said, then closed while idle
        await writer.drain()

    async def main():
        async with Scripted(one_per_connection) as server, LeanClient(server.url) as http:
            first = await http.get("/a")
            await asyncio.sleep(0.05)  # the close arrives
            second = await http.get("/b")
            return server, first, second

    server, first, second = run(main(), loop_factory)
    assert (first.status_code, second.status_code) == (200, 200)
    assert server.connections == 2 and len(server.heads) == 2


def test_a_connection_closed_mid_answer_is_a_transport_error_and_not_sent_again(loop_factory):
    async def cut(server, reader, writer):
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")
        await writer.drain()

    async def main():
        async with Scripted(cut) as server, LeanClient(server.url) as http:
            with pytest.raises(httpx.RemoteProtocolError) as caught:
                await http.get("/")
            return server, caught.value

    server, exc = run(main(), loop_factory)
    assert error_kind(exc) == "transport" and len(server.heads) == 1


def test_a_malformed_answer_is_a_transport_error(loop_factory):
    async def garbage(server, reader, writer):
        await server.read_request(reader)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await reader.read()

    async def main():
        async with Scripted(garbage) as server, LeanClient(server.url) as http:
            with pytest.raises(httpx.RemoteProtocolError, match="malformed") as caught:
                await http.get("/")
            return caught.value

    assert error_kind(run(main(), loop_factory)) == "transport"


def test_no_answer_in_time_is_a_timeout(loop_factory):
    async def silent(server, reader, writer):
        await server.read_request(reader)
        await reader.read()

    async def main():
        async with Scripted(silent) as server, LeanClient(server.url, timeout_s=0.2) as http:
            with pytest.raises(httpx.ReadTimeout) as caught:
                await http.get("/")
            return caught.value

    assert error_kind(run(main(), loop_factory)) == "timeout"


def test_a_refused_connection_is_a_connect_error(loop_factory):
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main():
        async with LeanClient(f"http://127.0.0.1:{port}") as http:
            with pytest.raises(httpx.ConnectError, match=f"127.0.0.1:{port}") as caught:
                await http.get("/")
            return caught.value

    assert error_kind(run(main(), loop_factory)) == "connect"


def test_raise_for_status_is_an_http_error_of_that_status(loop_factory):
    with LoadTarget() as target:
        async def main():
            async with LeanClient(target.url) as http:
                response = await http.get("/status/503")
                with pytest.raises(httpx.HTTPStatusError) as caught:
                    response.raise_for_status()
                return caught.value

        assert error_kind(run(main(), loop_factory)) == "http 503"


def test_only_plain_http_to_a_host_is_spoken(loop_factory):
    with pytest.raises(ValueError, match="plain http"):
        LeanClient("https://127.0.0.1:8443")
