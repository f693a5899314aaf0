"""Conventions kept true: every toxic is documented and toggled live in the fidelity
suite; addresses are written as Toxiproxy writes them."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.toxiproxy import addresses, errors
from sandbox.toxiproxy.toxics import toxic_types
from tests.toxiproxy.netutil import ROOT
from tests.toxiproxy.test_toxiproxy_fidelity import TOGGLED


def test_every_toxic_is_documented_and_toggled_live():
    doc = (ROOT / "docs" / "CREATING_TOXICS.md").read_text()
    toggled = {name for name, _ in TOGGLED}
    for toxic_type in toxic_types():
        assert f"| `{toxic_type}` |" in doc, toxic_type
        assert toxic_type in toggled, toxic_type
        assert (ROOT / "sandbox" / "toxiproxy" / "toxics" / f"{toxic_type}.py").is_file()


def test_addresses_split_and_join():
    assert addresses.split("127.0.0.1:8474") == ("127.0.0.1", 8474)
    assert addresses.split("[::1]:0") == ("::1", 0)
    assert addresses.split(":5432") == (None, 5432)
    assert addresses.join("::1", 80) == "[::1]:80"
    for bad in ("nohost", "host:port", "h:70000"):
        with pytest.raises(errors.ApiError):
            addresses.split(bad)


def test_a_name_is_bound_once_so_port_zero_gives_one_port():
    async def run() -> str:
        sock, bound = await addresses.listening_socket("localhost", 0)
        sock.close()
        return bound

    bound = asyncio.run(run())
    assert bound.startswith(("127.0.0.1:", "[::1]:")) and not bound.endswith(":0")


def test_same_listen_accepts_port_zero_for_the_same_host():
    assert addresses.same_listen("127.0.0.1:4000", "127.0.0.1:0")
    assert not addresses.same_listen("127.0.0.1:4000", "0.0.0.0:0")
    assert not addresses.same_listen("127.0.0.1:4000", "127.0.0.1:4001")
