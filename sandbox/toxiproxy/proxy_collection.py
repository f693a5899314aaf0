"""The proxies of a server by name, and ``populate`` (create or replace many at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.toxiproxy import errors
from sandbox.toxiproxy.proxy import Proxy
from sandbox.toxiproxy.toxic_collection import ToxicEntry


@dataclass
class ProxySpec:
    """A proxy as a client asks for it (``POST /proxies``, an item of ``/populate``)."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: list[ToxicEntry] | None = None  # beyond Toxiproxy: populate's "toxics"


def check_required(fields: dict[str, Any], where: str = "") -> None:
    """Toxiproxy's checks, in its order: a name, then an upstream."""
    if not fields.get("name"):
        raise errors.MISSING_FIELD.joined(f"name{where}")
    if not fields.get("upstream"):
        raise errors.MISSING_FIELD.joined(f"upstream{where}")


@dataclass
class PopulateResult:
    """What ``populate`` did: the proxies set up, in order, and the error that stopped it."""

    proxies: list[Proxy]
    error: errors.ApiError | None = None


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
            await proxy.start()
        self.proxies[proxy.name] = proxy

    def remove(self, name: str) -> None:
        proxy = self.get(name)
        proxy.stop()
        proxy.toxics.reset()
        del self.proxies[name]

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic (``POST /reset``)."""
        for proxy in self.proxies.values():
            await proxy.start()
            proxy.toxics.reset()

    async def populate(self, specs: list[ProxySpec]) -> PopulateResult:
        """Create or replace proxies one after the other, as Toxiproxy does.

        A proxy of the same name whose listen address (resolved) and upstream are the ones
        asked for is kept as it is; otherwise it is stopped and replaced. Proxies not named
        are left alone. The first failure stops the rest: the result holds what was set up
        before it. Beyond Toxiproxy: a spec's ``toxics`` become the proxy's toxics.
        """
        result = PopulateResult([])
        for spec in specs:
            try:
                proxy = await self._add_or_replace(spec)
            except errors.ApiError as exc:
                result.error = exc
                return result
            if spec.toxics is not None:
                proxy.toxics.reset()
                for entry in spec.toxics:
                    proxy.toxics.add(entry)
            result.proxies.append(proxy)
        return result

    async def _add_or_replace(self, spec: ProxySpec) -> Proxy:
        existing = self.proxies.get(spec.name)
        if existing is not None:
            if not await existing.differs(spec.listen, spec.upstream):
                return existing
            existing.stop()  # stays listed, stopped, if the new one cannot start
        proxy = Proxy(spec.name, spec.listen, spec.upstream)
        if spec.enabled:
            await proxy.start()
        if existing is not None:
            existing.toxics.reset()
        self.proxies[spec.name] = proxy
        return proxy

