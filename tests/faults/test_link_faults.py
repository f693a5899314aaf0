"""LinkFaults against the project's own proxy server, on 127.0.0.1."""


import pytest

from sandbox.errors import SandboxError
from sandbox.faults.links import LinkFaults, UnknownName
from sandbox.faults.spec import parse_fault
from tests.toxiproxy.netutil import proxy_with_links


@pytest.fixture
def faults(tmp_path):
    with proxy_with_links(tmp_path, ("catalog->postgres", "gateway->catalog")) as server:
        yield LinkFaults(server.url)


def test_add_list_remove_a_latency_fault(faults):
    fault_id = faults.add("catalog->postgres", parse_fault(["latency=300ms", "jitter=50ms"]))
    assert fault_id == "catalog->postgres/latency_downstream"
    [row] = faults.list()
    assert row["id"] == fault_id and row["attributes"] == {"latency": 300, "jitter": 50}
    assert faults.proxies()["catalog->postgres"]["toxics"][0]["type"] == "latency"
    faults.remove(fault_id)
    assert faults.list() == []


def test_down_and_clear(faults):
    assert faults.add("gateway->catalog", parse_fault(["down"])) == "gateway->catalog/down"
    faults.add("catalog->postgres", parse_fault(["timeout=1s"]), stream="upstream")
    assert faults.proxies()["gateway->catalog"]["enabled"] is False
    assert {r["id"] for r in faults.list()} == {"gateway->catalog/down",
                                                "catalog->postgres/timeout_upstream"}
    faults.clear()
    assert faults.list() == [] and faults.proxies()["gateway->catalog"]["enabled"] is True


def test_unknown_link_or_id_lists_the_valid_names(faults):
    with pytest.raises(UnknownName) as caught:
        faults.add("catalog->redis", parse_fault(["latency=1ms"]))
    assert "catalog->postgres, gateway->catalog" in caught.value.one_line()
    with pytest.raises(UnknownName, match="there is none"):
        faults.remove("catalog->postgres/latency_downstream")


def test_the_same_fault_twice_says_how_to_remove_the_first(faults):
    faults.add("catalog->postgres", parse_fault(["latency=5ms"]))
    with pytest.raises(SandboxError, match="sandbox fault rm catalog->postgres/latency_downstream"):
        faults.add("catalog->postgres", parse_fault(["latency=9ms"]))


def test_a_fault_block_removes_its_fault_even_when_the_block_fails(faults):
    from sandbox.faults.api import Faults

    api = Faults(faults)
    with api.latency("catalog->postgres", ms=300, jitter=50) as fault_id:
        assert [r["id"] for r in faults.list()] == [fault_id]
        assert faults.list()[0]["attributes"] == {"latency": 300, "jitter": 50}
    assert faults.list() == []
    with pytest.raises(RuntimeError), api.down("gateway->catalog"):
        assert faults.proxies()["gateway->catalog"]["enabled"] is False
        raise RuntimeError("the test failed inside the block")
    assert faults.proxies()["gateway->catalog"]["enabled"] is True
    with pytest.raises(KeyboardInterrupt), api.timeout("catalog->postgres", ms=100):
        raise KeyboardInterrupt
    assert faults.list() == []
