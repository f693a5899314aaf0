"""Conventions kept true: every toxic is documented and toggled live in the fidelity
suite; addresses are written as Toxiproxy writes them."""

from __future__ import annotations

import asyncio
import re

import pytest

from sandbox.toxiproxy import addresses
from sandbox.toxiproxy.toxics import toxic_types
from tests.toxiproxy.netutil import ROOT
from tests.toxiproxy.test_toxiproxy_fidelity import CLOSES_WHEN_REMOVED, TOGGLED


def test_every_toxic_is_documented_and_toggled_live():
    doc = (ROOT / "docs" / "CREATING_TOXICS.md").read_text()
    toggled = {name for name, _ in TOGGLED} | set(CLOSES_WHEN_REMOVED)
    for toxic_type in toxic_types():
        assert f"| `{toxic_type}` |" in doc, toxic_type
        assert toxic_type in toggled, toxic_type
        assert (ROOT / "sandbox" / "toxiproxy" / "toxics" / f"{toxic_type}.py").is_file()


def test_addresses_split_and_join_as_go_does():
    assert addresses.split_host_port("127.0.0.1:8474") == ("127.0.0.1", "8474")
    assert addresses.split_host_port("[::1]:0") == ("::1", "0")
    assert addresses.split_host_port(":5432") == ("", "5432")
    assert addresses.join("::1", 80) == "[::1]:80"
    for bad, why in [("nohost", "missing port in address"), ("a:b:1", "too many colons in address"),
                     ("[::1", "missing ']' in address")]:
        with pytest.raises(addresses.AddressError, match=re.escape(f"address {bad}: {why}")):
            addresses.split_host_port(bad)


def test_a_name_is_bound_once_so_port_zero_gives_one_port():
    async def run() -> str:
        sock, bound = await addresses.listening_socket("localhost:0")
        sock.close()
        return bound

    bound = asyncio.run(run())
    assert bound.startswith("127.0.0.1:") and not bound.endswith(":0")


def test_resolve_writes_listen_addresses_as_go_compares_them():
    async def run(address: str) -> str:
        return await addresses.resolve(address)

    assert asyncio.run(run("")) == ":0"
    assert asyncio.run(run("localhost:0")) == "127.0.0.1:0"
    assert asyncio.run(run("[::]:80")) == "[::]:80"
    with pytest.raises(addresses.AddressError, match="address 99999: invalid port"):
        asyncio.run(run("127.0.0.1:99999"))
