"""The server driven by toxiproxy-python, unchanged, as the project's tests will use it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from tests.toxiproxy.netutil import EchoServer, ServerProcess, connect

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def toxiproxy(server: ServerProcess, api: httpx.Client) -> Iterator[Toxiproxy]:
    client = Toxiproxy()
    client.update_api_consumer("127.0.0.1", server.port)
    yield client


def test_create_list_get_destroy(toxiproxy: Toxiproxy, echo: EchoServer):
    proxy = toxiproxy.create(upstream=echo.upstream, name="redis")
    assert proxy.enabled is True
    assert set(toxiproxy.proxies()) == {"redis"}
    assert toxiproxy.get_proxy("redis").listen == proxy.listen
    with pytest.raises(ProxyExists):
        toxiproxy.create(upstream=echo.upstream, name="redis")
    assert toxiproxy.destroy(proxy) is True
    assert toxiproxy.get_proxy("redis") is None


def test_traffic_passes_through_a_created_proxy(toxiproxy: Toxiproxy, echo: EchoServer):
    proxy = toxiproxy.create(upstream=echo.upstream, name="echo")
    with connect(proxy.listen) as sock:
        sock.sendall(b"ping")
        assert sock.recv(4) == b"ping"


def test_toxics_add_list_destroy(toxiproxy: Toxiproxy, echo: EchoServer):
    proxy = toxiproxy.create(upstream=echo.upstream, name="p")
    proxy.add_toxic(type="latency", attributes={"latency": 50, "jitter": 5})
    proxy.add_toxic(
        type="bandwidth", stream="upstream", name="slow", toxicity=0.5, attributes={"rate": 100}
    )
    toxics = proxy.toxics()
    assert set(toxics) == {"latency_downstream", "slow"}
    assert toxics["slow"].stream == "upstream" and toxics["slow"].toxicity == 0.5
    assert toxics["latency_downstream"].attributes == {"latency": 50, "jitter": 5}
    with pytest.raises(ProxyExists):  # the client maps every 409 to ProxyExists
        proxy.add_toxic(type="latency", attributes={"latency": 1})
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="no_such_toxic")
    assert proxy.destroy_toxic("slow") is True
    assert set(proxy.toxics()) == {"latency_downstream"}
    with pytest.raises(NotFound):
        proxy.destroy_toxic("slow")


def test_down_refuses_connections_then_recovers(toxiproxy: Toxiproxy, echo: EchoServer):
    proxy = toxiproxy.create(upstream=echo.upstream, name="p")
    with proxy.down():
        assert toxiproxy.get_proxy("p").enabled is False
        with pytest.raises(ConnectionRefusedError):
            connect(proxy.listen, timeout=2)
    with connect(proxy.listen) as sock:
        sock.sendall(b"back")
        assert sock.recv(4) == b"back"


def test_reset_and_version(toxiproxy: Toxiproxy, echo: EchoServer):
    proxy = toxiproxy.create(upstream=echo.upstream, name="p")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    assert toxiproxy.reset() is True
    assert toxiproxy.get_proxy("p").enabled is True
    assert proxy.toxics() == {}
    assert toxiproxy.running() is True
    assert b"version" in toxiproxy.version()


def test_populate_through_the_client(toxiproxy: Toxiproxy, echo: EchoServer):
    created = toxiproxy.populate(
        [
            {"name": "a", "upstream": echo.upstream, "listen": "127.0.0.1:0"},
            {"name": "b", "upstream": echo.upstream, "listen": "127.0.0.1:0"},
        ]
    )
    assert {p.name for p in created} == {"a", "b"}
    toxiproxy.destroy_all()
    assert toxiproxy.proxies() == {}
