"""The egress guard: which destinations may be reached from the webhook gateway.

A subscriber URL naming a service of the sandbox (``http://postgres:5432``, the gateway,
the proxy API, an address of the sandbox's networks) would make the webhook gateway a door
into the sandbox (SSRF). A destination is refused when any address its host resolves to
lies in

- a network of the sandbox (``SANDBOX_SUBNETS``: the private and the public one; compose
  passes ``${NETWORK_PRIVATE_SUBNET} ${NETWORK_PUBLIC_SUBNET}``),
- loopback, link-local, unspecified ("this network"), multicast or broadcast ranges
  (``ALWAYS_FORBIDDEN``),
- the guard's own addresses (``own_addresses``: egress refuses itself on the ``outside``
  network, the simulated internet, which it may otherwise reach).

Every spelling counts: the host is read as a number first, as the C library would
(``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``, a trailing dot), and an IPv6
address that carries an IPv4 one (IPv4-mapped ``::ffff:127.0.0.1``, IPv4-compatible,
NAT64 ``64:ff9b::/96``, 6to4) is judged by that IPv4 address too. A refusal never names
the address: it says "an address of the sandbox".

The egress proxy checks every connection with it, resolving once and connecting to the
very address it checked; the webhooks service checks a URL when a subscription is made
(``services/webhooks/egress.py``), as feedback to the user.

>>> guard = EgressGuard("172.30.0.0/16")
>>> guard.refusal(["172.30.0.7"])
'an address of the sandbox'
>>> guard.refusal(["::ffff:127.0.0.1"])
'an address of the sandbox'
>>> guard.refusal(["172.31.0.1"]) is None
True
>>> EgressGuard("172.30.0.0/16", always_forbidden=()).refusal(["127.0.0.1"]) is None
True
>>> numeric_host("0x7f.1"), numeric_host("2130706433"), numeric_host("[::ffff:7f00:1]")
('127.0.0.1', '127.0.0.1', '::ffff:7f00:1')
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALWAYS_FORBIDDEN = (
    "127.0.0.0/8", "::1/128",            # loopback
    "169.254.0.0/16", "fe80::/10",       # link-local
    "0.0.0.0/8", "::/128",               # unspecified, "this network"
    "224.0.0.0/4", "ff00::/8",           # multicast
    "255.255.255.255/32",                # broadcast
)
REFUSED = "an address of the sandbox"
"""What a refusal says instead of the address (never revealed)."""
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class DestinationRefused(ValueError):
    """The URL's host resolves into a network the webhook gateway must not reach."""


class DestinationUnresolved(DestinationRefused):
    """The URL's host does not resolve (refused too: nothing to check)."""


def numeric_host(host: str) -> str | None:
    """The address ``host`` spells when it is a number in any form the C library reads
    (dotted, shortened, decimal, octal or hex parts, a trailing dot; IPv6 with or without
    brackets and zone), or None for a name.

    >>> [numeric_host(h) for h in ("0177.0.0.1", "127.0.0.1.", "0", "example.com", "::")]
    ['127.0.0.1', '127.0.0.1', '0.0.0.0', None, '::']
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]
    if ":" in text:
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            return None
    text = text.removesuffix(".")
    if not text or not all(c in "0123456789abcdefABCDEFxX." for c in text):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(text))
    except OSError:
        return None


def judged_as(address: Address) -> list[Address]:
    """The address and any IPv4 address it carries (mapped, compatible, NAT64, 6to4).

    >>> [str(a) for a in judged_as(ipaddress.ip_address("64:ff9b::7f00:1"))]
    ['64:ff9b::7f00:1', '127.0.0.1']
    """
    out: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in NAT64 or address in IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            out.append(embedded)
    return out


def own_addresses() -> list[str]:
    """The IPv4 addresses of this host's interfaces (Linux; empty elsewhere)."""
    found: list[str] = []
    try:
        import fcntl
        import struct
        names = [name for _, name in socket.if_nameindex()]
    except (ImportError, OSError):
        return found
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for name in names:
            with contextlib.suppress(OSError):
                packed = fcntl.ioctl(sock.fileno(), 0x8915,  # SIOCGIFADDR
                                     struct.pack("256s", name[:15].encode()))
                found.append(socket.inet_ntoa(packed[20:24]))
    return found


def subnets(text: str | None) -> list[str]:
    """Subnets listed with spaces or commas.

    >>> subnets("10.0.0.0/24, 10.1.0.0/24 ")
    ['10.0.0.0/24', '10.1.0.0/24']
    """
    return [n for n in (text or "").replace(",", " ").split() if n]


class EgressGuard:
    """Refuses the sandbox's subnets, the always-forbidden ranges and ``own`` addresses.

    ``always_forbidden`` is there for tests that run a destination on 127.0.0.1.
    """

    def __init__(self, sandbox_subnets: str | None = None, resolver: Resolver | None = None,
                 *, always_forbidden: Iterable[str] = ALWAYS_FORBIDDEN,
                 own: Iterable[str] = ()) -> None:
        self._networks = [
            ipaddress.ip_network(n, strict=False)
            for n in (*subnets(sandbox_subnets), *always_forbidden, *own)
        ]
        self._resolve = resolver or resolve

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EgressGuard:
        """From ``SANDBOX_SUBNETS`` (and ``PRIVATE_SUBNET``, when set, as well)."""
        e = os.environ if environ is None else environ
        return cls(" ".join(subnets(e.get("SANDBOX_SUBNETS")) + subnets(e.get("PRIVATE_SUBNET"))))

    def refused(self, text: str) -> bool:
        """Whether one address (any spelling of it) may not be reached."""
        spelled = numeric_host(text)
        if spelled is None:
            return True  # not an address at all: nothing to connect to
        address = ipaddress.ip_address(spelled)
        return any(a in network for a in judged_as(address) for network in self._networks
                   if a.version == network.version)

    def refusal(self, addresses: Iterable[str]) -> str | None:
        """Why these addresses may not be reached (never naming them), or None when all may."""
        for text in addresses:
            if self.refused(text):
                return REFUSED
        return None

    async def addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once; its addresses when every one may be reached.

        A host spelled as a number is that address (not looked up). Raises
        DestinationUnresolved when it does not resolve, DestinationRefused when any
        address is forbidden. Connect to these addresses, not to ``host`` again: a second
        lookup may answer otherwise (DNS rebinding).
        """
        spelled = numeric_host(host)
        if spelled is not None:
            addresses = [spelled]
        else:
            try:  # `name.` is `name`: one spelling, one answer
                addresses = await self._resolve(host.removesuffix("."), port)
            except OSError as exc:
                raise DestinationUnresolved(f"{host} does not resolve: {exc}") from None
            if not addresses:
                raise DestinationUnresolved(f"{host} does not resolve")
        if self.refusal(addresses):
            what = "is" if spelled is not None else "resolves to"
            raise DestinationRefused(f"{host} {what} {REFUSED}")
        return list(dict.fromkeys(addresses))

    async def check(self, url: str) -> None:
        """Resolve the URL's host; raise DestinationRefused if it may not be reached."""
        problem = url_problem(url)
        if problem:
            raise DestinationRefused(problem)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        await self.addresses(host, port)


def url_problem(url: str) -> str | None:
    """What makes ``url`` unfit as a destination before any lookup, or None.

    Credentials (``user@host``) are refused: they hide the host from a reader
    (``http://example.com@127.0.0.1/``) and would be sent along.

    >>> url_problem("http://example.com@127.0.0.1/")
    'credentials (user@) are not allowed in the url'
    >>> url_problem("http://sub.example/hook") is None
    True
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if "@" in parts.netloc or parts.username is not None:
        return "credentials (user@) are not allowed in the url"
    if "\\" in parts.netloc or any(c.isspace() or ord(c) < 32 for c in url):
        return "the url has characters that are not allowed in it"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
