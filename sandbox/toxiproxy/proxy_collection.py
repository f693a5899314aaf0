"""The proxies of a server by name, and ``populate`` (create or replace many at once)."""

from __future__ import annotations

from typing import Any

from sandbox.toxiproxy import addresses, errors
from sandbox.toxiproxy.proxy import Proxy
from sandbox.toxiproxy.toxic_collection import ToxicEntry, parse_toxic


async def _start(proxy: Proxy) -> None:
    try:
        await proxy.start()
    except OSError as exc:
        raise errors.ApiError(f"listen {proxy.listen}: {exc.strerror or exc}", 500) from None


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key, "")
    if not isinstance(value, str):
        raise errors.BAD_REQUEST_BODY.joined(f"{key}{where} must be a string")
    return value


def parse_proxy(item: Any, where: str = "") -> tuple[str, str, str, bool | None]:
    """``(name, listen, upstream, enabled)`` of a proxy's JSON; enabled None if absent."""
    if not isinstance(item, dict):
        raise errors.BAD_REQUEST_BODY.joined(f"a proxy{where} must be a JSON object")
    name, listen = _text(item, "name", where), _text(item, "listen", where)
    upstream = _text(item, "upstream", where)
    enabled = item.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise errors.BAD_REQUEST_BODY.joined(f"enabled{where} must be a boolean")
    if not name:
        raise errors.MISSING_FIELD.joined(f"name{where}")
    if not upstream:
        raise errors.MISSING_FIELD.joined(f"upstream{where}")
    return name, listen, upstream, enabled


class ProxyCollection:
    """Every proxy of a server. Names are unique."""

    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}

    def get(self, name: str) -> Proxy:
        try:
            return self.proxies[name]
        except KeyError:
            raise errors.PROXY_NOT_FOUND from None

    async def add(self, proxy: Proxy, start: bool) -> None:
        if proxy.name in self.proxies:
            raise errors.PROXY_ALREADY_EXISTS
        if start:
            await _start(proxy)
        self.proxies[proxy.name] = proxy

    def remove(self, name: str) -> None:
        proxy = self.get(name)
        proxy.stop()
        proxy.toxics.reset()
        del self.proxies[name]

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic (``POST /reset``)."""
        for proxy in self.proxies.values():
            await _start(proxy)
            proxy.toxics.reset()

    async def populate(self, body: Any) -> list[Proxy]:
        """Create or replace proxies; a proxy whose addresses are unchanged is kept.

        Beyond Toxiproxy: an item may carry ``"toxics": [...]``; the proxy's toxics are
        then exactly those. Everything is validated before anything changes.
        """
        if not isinstance(body, list):
            raise errors.BAD_REQUEST_BODY.joined("populate takes a JSON array of proxies")
        plans: list[tuple[str, str, str, bool, list[ToxicEntry] | None, bool | None]] = []
        for i, item in enumerate(body, start=1):
            where = f" at proxy {i}"
            name, listen, upstream, enabled = parse_proxy(item, where)
            if any(plan[0] == name for plan in plans):
                raise errors.BAD_REQUEST_BODY.joined(f"duplicate proxy name {name!r}")
            if enabled is not False:
                addresses.split(listen or "127.0.0.1:0")
                addresses.split(upstream)
            toxics = self._parse_toxics(item.get("toxics"), where)
            plans.append((name, listen, upstream, enabled is not False, toxics, enabled))
        result = []
        for name, listen, upstream, start, toxics, enabled in plans:
            proxy = await self._add_or_replace(name, listen, upstream, start, enabled)
            if toxics is not None:
                proxy.toxics.reset()
                for entry in toxics:
                    proxy.toxics.add(entry)
            result.append(proxy)
        return result

    @staticmethod
    def _parse_toxics(value: Any, where: str) -> list[ToxicEntry] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise errors.BAD_REQUEST_BODY.joined(f"toxics{where} must be an array")
        entries = [parse_toxic(toxic) for toxic in value]
        names = [entry.name for entry in entries]
        if len(set(names)) != len(names):
            raise errors.TOXIC_ALREADY_EXISTS.joined(f"duplicate toxic name{where}")
        return entries

    async def _add_or_replace(
        self, name: str, listen: str, upstream: str, start: bool, enabled: bool | None
    ) -> Proxy:
        existing = self.proxies.get(name)
        if existing is not None:
            if existing.upstream == upstream and addresses.same_listen(
                existing.listen, listen or "127.0.0.1:0"
            ):
                if enabled is not None and enabled != existing.enabled:
                    await existing.update(existing.listen, upstream, enabled)
                return existing
            self.remove(name)
        proxy = Proxy(name, listen, upstream)
        await self.add(proxy, start)
        return proxy
