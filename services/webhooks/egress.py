"""Where the webhook gateway may deliver: never into the private subnet.

The webhook gateway sits on both networks, so a subscriber URL naming a private service
(``http://postgres:5432``, an internal address) would make it a door into the VPC (SSRF).
A destination is refused when any address its host resolves to lies in the private
subnet (``PRIVATE_SUBNET``) or in loopback, link-local or unspecified ranges. It is checked
when a subscription is made and again before every delivery (the name may resolve
elsewhere by then).

>>> guard = EgressGuard("172.30.0.0/16")
>>> guard.refusal(["172.30.0.7"])
'172.30.0.7 is in a private network of the sandbox'
>>> guard.refusal(["172.31.0.1"]) is None
True
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]

ALWAYS_FORBIDDEN = ("127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128")


class DestinationRefused(ValueError):
    """The URL's host resolves into a network the webhook gateway must not reach."""


class EgressGuard:
    """Refuses destinations in the private subnet(s) and the always-forbidden ranges."""

    def __init__(self, private_subnets: str | None = None, resolver: Resolver | None = None) -> None:
        names = [n for n in (private_subnets or "").replace(",", " ").split() if n]
        self._networks = [ipaddress.ip_network(n, strict=False) for n in (*names, *ALWAYS_FORBIDDEN)]
        self._resolve = resolver or resolve

    @classmethod
    def from_env(cls) -> EgressGuard:
        return cls(os.environ.get("PRIVATE_SUBNET"))

    def refusal(self, addresses: Iterable[str]) -> str | None:
        """Why these addresses may not be reached, or None when all may."""
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if any(address in network for network in self._networks):
                return f"{address} is in a private network of the sandbox"
        return None

    async def check(self, url: str) -> None:
        """Resolve the URL's host; raise DestinationRefused if it may not be reached."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise DestinationRefused(f"{host} does not resolve: {exc}") from None
        reason = self.refusal(addresses)
        if reason:
            raise DestinationRefused(reason)


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    return [str(info[4][0]) for info in infos]
