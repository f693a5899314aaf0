import asyncio
import json

from services.platform.health_server import HealthServer


async def ok() -> None:
    return None


async def down() -> None:
    raise ConnectionError("broker closed")


def test_ready_is_200_when_every_check_passes():
    status, ctype, body = asyncio.run(HealthServer(lambda: {"database": ok}).respond("GET", "/health/ready"))
    assert status == 200 and ctype == "application/json"
    assert json.loads(body)["status"] == "ok"


def test_ready_is_503_naming_the_failed_check():
    server = HealthServer(lambda: {"database": ok, "broker": down})
    status, _, body = asyncio.run(server.respond("GET", "/health/ready"))
    assert status == 503
    assert "broker" in json.loads(body)["checks"]


def test_ready_is_503_while_the_worker_starts():
    def starting():
        raise KeyError("resources")

    status, _, body = asyncio.run(HealthServer(starting).respond("GET", "/health/ready"))
    assert status == 503 and json.loads(body)["status"] == "starting"


def test_metrics_and_unknown_paths():
    server = HealthServer(dict)
    status, ctype, body = asyncio.run(server.respond("GET", "/metrics"))
    assert status == 200 and ctype.startswith("text/plain") and b"# HELP" in body
    assert asyncio.run(server.respond("GET", "/nope"))[0] == 404
    assert asyncio.run(server.respond("POST", "/health/live"))[0] == 405


def test_serves_http_on_a_socket():
    async def scenario() -> bytes:
        server = HealthServer(lambda: {"database": ok})
        await server.start("127.0.0.1", 0)
        port = server._server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        await server.close()
        return data

    data = asyncio.run(scenario())
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(body)["status"] == "ok"
