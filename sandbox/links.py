"""Links: the topology's connections that go through the proxy (Toxiproxy's API).

Declared in the compose file, once per connection, on the service that opens it::

    x-sandbox:                                  # top level: the proxy service
      proxy: {service: toxiproxy, api_port: 8474, first_port: 20000}
    services:
      catalog-worker:
        x-sandbox: {image: python, links: ["postgres:5432", "broker:5672"]}

Each link is named ``<source>-><target>`` (``catalog-worker->postgres``: a worker has its
own links, so chaos can hit the worker alone) and gets one proxy port, ``first_port`` +
its index in name order. Interpolation variables (``KEY`` = upper case, ``-`` -> ``_``):

    LINK_<SOURCE>_<TARGET>_HOST / _PORT   everywhere: the proxy's host and the link's port
    LINK_TO_<TARGET>_HOST / _PORT         inside a service's own block: its link to TARGET
    SANDBOX_LINKS_JSON                    the proxy's populate config (a JSON array)
    SANDBOX_LINK_COUNT                    how many links there are

>>> proxy = ProxySpec("toxiproxy", first_port=20000)
>>> [l.name for l in allocate({"web": [("db", 5432)], "app": [("db", 5432)]}, proxy)]
['app->db', 'web->db']
>>> local_variables(allocate({"web": [("db", 5432)]}, proxy), "web", proxy)
{'LINK_TO_DB_HOST': 'toxiproxy', 'LINK_TO_DB_PORT': '20000'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.errors import TopologyError

LINK_REFERENCE = re.compile(r"\$\{?(LINK_[A-Za-z0-9_]*_(?:HOST|PORT))\b")
_FIX_SPEC = 'write links as ["TARGET:PORT", ...], e.g. ["postgres:5432"]'


@dataclass(frozen=True)
class ProxySpec:
    """``x-sandbox.proxy``: the service running the proxy and where link ports start."""

    service: str
    api_port: int = 8474
    first_port: int = 20000


@dataclass(frozen=True)
class Link:
    """``source`` reaches ``target:target_port`` through the proxy's ``listen_port``."""

    source: str
    target: str
    target_port: int
    listen_port: int

    @property
    def name(self) -> str:
        return f"{self.source}->{self.target}"

    @property
    def upstream(self) -> str:
        return f"{self.target}:{self.target_port}"

    @property
    def listen(self) -> str:
        return f"0.0.0.0:{self.listen_port}"


def key(name: str) -> str:
    """``catalog-worker`` -> ``CATALOG_WORKER`` (the form names take in variables)."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _port(value: Any, where: str, fix: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise TopologyError(f"{where}: {value!r} is not a port number", fix)
    return port


def parse_proxy(raw: Any, where: str) -> ProxySpec | None:
    """The top-level ``x-sandbox.proxy`` mapping (None when absent)."""
    if raw is None:
        return None
    fix = "write `proxy: {service: toxiproxy, api_port: 8474, first_port: 20000}`"
    if not isinstance(raw, dict) or not raw.get("service"):
        raise TopologyError(f"{where}: must be a mapping naming the proxy's service", fix)
    return ProxySpec(
        str(raw["service"]),
        _port(raw.get("api_port", 8474), f"{where}.api_port", fix),
        _port(raw.get("first_port", 20000), f"{where}.first_port", fix),
    )


def parse_links(raw: Any, where: str) -> list[tuple[str, int]]:
    """A service's ``x-sandbox.links``: ``["postgres:5432", ...]`` -> [(target, port)]."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TopologyError(f"{where}: must be a list", _FIX_SPEC)
    found: list[tuple[str, int]] = []
    for i, spec in enumerate(raw):
        target, sep, port = str(spec).rpartition(":")
        if not sep or not target:
            raise TopologyError(f"{where}[{i}]: bad link {spec!r}", _FIX_SPEC)
        if any(t == target for t, _ in found):
            raise TopologyError(
                f"{where}[{i}]: a second link to {target}", "declare one link per target"
            )
        found.append((target, _port(port, f"{where}[{i}]", _FIX_SPEC)))
    return found


def allocate(declared: Mapping[str, Iterable[tuple[str, int]]], proxy: ProxySpec) -> tuple[Link, ...]:
    """One proxy port per link, ``first_port`` upwards in the order of the links' names."""
    pairs = sorted(
        ((source, target, port) for source, targets in declared.items() for target, port in targets),
        key=lambda p: f"{p[0]}->{p[1]}",
    )
    return tuple(
        Link(source, target, port, proxy.first_port + i)
        for i, (source, target, port) in enumerate(pairs)
    )


def validate(links: tuple[Link, ...], proxy: ProxySpec | None, services: Iterable[str],
             file: object) -> None:
    """Targets exist, the proxy is a service and no link of its own, names stay distinct."""
    names = set(services)
    if links and proxy is None:
        raise TopologyError(
            f"{file}: services declare x-sandbox.links but no proxy is declared",
            "add `x-sandbox: {proxy: {service: toxiproxy}}` at the top level",
        )
    if proxy is None:
        return
    if proxy.service not in names:
        raise TopologyError(
            f"{file}: x-sandbox.proxy.service: unknown service {proxy.service!r}",
            f"use one of {sorted(names)}",
        )
    last = proxy.first_port + len(links) - 1
    if last > 65535:
        raise TopologyError(
            f"{file}: x-sandbox.proxy.first_port: {len(links)} links do not fit from "
            f"{proxy.first_port}", "lower first_port",
        )
    if links and proxy.first_port <= proxy.api_port <= last:
        raise TopologyError(
            f"{file}: x-sandbox.proxy: link ports {proxy.first_port}-{last} overlap the API "
            f"port {proxy.api_port}", "move first_port",
        )
    seen: dict[str, str] = {}
    for link in links:
        where = f"{file}: services.{link.source}.x-sandbox.links"
        if link.target not in names:
            raise TopologyError(
                f"{where}: unknown service {link.target!r}", f"use one of {sorted(names)}"
            )
        if proxy.service in (link.source, link.target) or link.source == link.target:
            raise TopologyError(
                f"{where}: link {link.name} cannot involve the proxy or loop to itself",
                "remove it",
            )
        prefix = f"LINK_{key(link.source)}_{key(link.target)}"
        if prefix in seen:
            raise TopologyError(
                f"{where}: links {seen[prefix]} and {link.name} share variables {prefix}_*",
                "rename one of the services",
            )
        seen[prefix] = link.name


def link_variables(links: tuple[Link, ...], proxy: ProxySpec | None) -> dict[str, str]:
    """The global variables: every link's host and port, the populate config, the count."""
    if proxy is None:
        return {}
    variables = {}
    for link in links:
        prefix = f"LINK_{key(link.source)}_{key(link.target)}"
        variables[f"{prefix}_HOST"] = proxy.service
        variables[f"{prefix}_PORT"] = str(link.listen_port)
    variables["SANDBOX_LINKS_JSON"] = json.dumps(populate_config(links))
    variables["SANDBOX_LINK_COUNT"] = str(len(links))
    return variables


def local_variables(links: tuple[Link, ...], source: str, proxy: ProxySpec | None) -> dict[str, str]:
    """``LINK_TO_<TARGET>_HOST/_PORT`` for the links of ``source`` (its own block only)."""
    if proxy is None:
        return {}
    variables = {}
    for link in links:
        if link.source == source:
            variables[f"LINK_TO_{key(link.target)}_HOST"] = proxy.service
            variables[f"LINK_TO_{key(link.target)}_PORT"] = str(link.listen_port)
    return variables


def populate_config(links: tuple[Link, ...]) -> list[dict[str, Any]]:
    """The proxy's populate JSON (Toxiproxy's ``-config`` file / ``POST /populate``)."""
    return [
        {"name": link.name, "listen": link.listen, "upstream": link.upstream, "enabled": True}
        for link in links
    ]


def references(node: Any) -> set[str]:
    """The ``LINK_*_HOST`` / ``LINK_*_PORT`` variables a raw (not interpolated) tree uses."""
    if isinstance(node, str):
        return set(LINK_REFERENCE.findall(node))
    if isinstance(node, dict):
        return set().union(*(references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(references(v) for v in node))
    return set()
