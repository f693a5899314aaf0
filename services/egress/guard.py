"""The egress guard: which destinations may be reached from the webhook gateway.

A subscriber URL naming a private service (``http://postgres:5432``, an internal address)
would make the webhook gateway a door into the VPC (SSRF). A destination is refused when
any address its host resolves to lies in the private subnet(s) (``PRIVATE_SUBNET``) or in
loopback, link-local or unspecified ranges (an IPv4-mapped IPv6 address counts as the
IPv4 address it maps). The egress proxy checks every connection with it, resolving once
and connecting to the very address it checked; the webhooks service checks a URL when a
subscription is made (``services/webhooks/egress.py``), as feedback to the user.

>>> guard = EgressGuard("172.30.0.0/16")
>>> guard.refusal(["172.30.0.7"])
'172.30.0.7 is in a private network of the sandbox'
>>> guard.refusal(["::ffff:127.0.0.1"])
'127.0.0.1 is in a private network of the sandbox'
>>> guard.refusal(["172.31.0.1"]) is None
True
>>> EgressGuard("172.30.0.0/16", always_forbidden=()).refusal(["127.0.0.1"]) is None
True
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]

ALWAYS_FORBIDDEN = ("127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128")


class DestinationRefused(ValueError):
    """The URL's host resolves into a network the webhook gateway must not reach."""


class DestinationUnresolved(DestinationRefused):
    """The URL's host does not resolve (refused too: nothing to check)."""


class EgressGuard:
    """Refuses destinations in the private subnet(s) and the always-forbidden ranges.

    ``always_forbidden`` is there for tests that run a destination on 127.0.0.1.
    """

    def __init__(self, private_subnets: str | None = None, resolver: Resolver | None = None,
                 *, always_forbidden: Iterable[str] = ALWAYS_FORBIDDEN) -> None:
        names = [n for n in (private_subnets or "").replace(",", " ").split() if n]
        self._networks = [
            ipaddress.ip_network(n, strict=False) for n in (*names, *always_forbidden)
        ]
        self._resolve = resolver or resolve

    @classmethod
    def from_env(cls) -> EgressGuard:
        return cls(os.environ.get("PRIVATE_SUBNET"))

    def refusal(self, addresses: Iterable[str]) -> str | None:
        """Why these addresses may not be reached, or None when all may."""
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            mapped = getattr(address, "ipv4_mapped", None)
            address = mapped or address
            if any(address in network for network in self._networks):
                return f"{address} is in a private network of the sandbox"
        return None

    async def addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once; its addresses when every one may be reached.

        Raises DestinationUnresolved when it does not resolve, DestinationRefused when
        any address is forbidden. Connect to these addresses, not to ``host`` again: a
        second lookup may answer otherwise (DNS rebinding).
        """
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise DestinationUnresolved(f"{host} does not resolve: {exc}") from None
        if not addresses:
            raise DestinationUnresolved(f"{host} does not resolve")
        reason = self.refusal(addresses)
        if reason:
            raise DestinationRefused(reason)
        return list(dict.fromkeys(addresses))

    async def check(self, url: str) -> None:
        """Resolve the URL's host; raise DestinationRefused if it may not be reached."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        await self.addresses(host, port)


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
