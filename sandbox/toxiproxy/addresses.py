"""``host:port`` strings as Toxiproxy (Go's net package) reads and writes them.

Errors carry Go's wording (``address nohost: missing port in address``), since clients
see them in API errors. Writing: ``[v6]:port`` for IPv6, ``[::]:port`` for a socket on
every interface (Go listens dual-stack there, and so do we).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket


class AddressError(ValueError):
    """An address Go's net package would refuse; the text is Go's."""


def split_host_port(address: str) -> tuple[str, str]:
    """Go's ``net.SplitHostPort``.

    >>> split_host_port("[::1]:8474")
    ('::1', '8474')
    >>> split_host_port("nohost")
    Traceback (most recent call last):
    ...
    sandbox.toxiproxy.addresses.AddressError: address nohost: missing port in address
    """

    def fail(why: str) -> AddressError:
        return AddressError(f"address {address}: {why}")

    colon = address.rfind(":")
    if colon < 0:
        raise fail("missing port in address")
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise fail("missing ']' in address")
        if end + 1 == len(address):
            raise fail("missing port in address")
        if end + 1 != colon:
            raise fail("too many colons in address" if address[end + 1] == ":"
                       else "missing port in address")
        host, rest_from, close_from = address[1:end], 1, end + 1
    else:
        host, rest_from, close_from = address[:colon], 0, 0
        if ":" in host:
            raise fail("too many colons in address")
    if "[" in address[rest_from:]:
        raise fail("unexpected '[' in address")
    if "]" in address[close_from:]:
        raise fail("unexpected ']' in address")
    return host, address[colon + 1 :]


def _port(port: str) -> int:
    if port == "":
        return 0
    if port.isdigit():
        if int(port) > 65535:
            raise AddressError(f"address {port}: invalid port")
        return int(port)
    try:
        return socket.getservbyname(port, "tcp")
    except OSError:
        raise AddressError(f"lookup tcp/{port}: unknown port") from None


def join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


async def _lookup(host: str) -> str:
    """One address for a name, IPv4 first (as Go chooses for ``tcp``)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        infos = []
    if not infos:
        raise AddressError(f"lookup {host}: no such host")
    _family, _, _, _, sockaddr = min(infos, key=lambda info: info[0] != socket.AF_INET)
    return str(sockaddr[0])


async def resolve(address: str) -> str:
    """Go's ``net.ResolveTCPAddr("tcp", address).String()``: ``""`` is ``":0"``,
    ``"localhost:0"`` is ``"127.0.0.1:0"``; proxies compare listen addresses this way."""
    if address == "":
        return ":0"
    host, port = split_host_port(address)
    number = _port(port)
    if host == "":
        return f":{number}"
    ip = host if _literal(host) is not None else await _lookup(host)
    return join(ip, number)


async def listening_socket(address: str) -> tuple[socket.socket, str]:
    """A listening socket as Go's ``net.Listen("tcp", address)`` opens it, and the
    address it is bound to. Raises AddressError (Go's text) or OSError."""
    host, port_text = split_host_port(address) if address else ("", "0")
    port = _port(port_text)
    ip = host if not host or _literal(host) is not None else await _lookup(host)
    literal = _literal(ip) if ip else None
    if literal is None or literal.is_unspecified:
        if socket.has_dualstack_ipv6():
            sock = socket.create_server(
                ("", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=1024
            )
            return sock, f"[::]:{sock.getsockname()[1]}"
        sock = socket.create_server(("0.0.0.0", port), backlog=1024)
        return sock, f"0.0.0.0:{sock.getsockname()[1]}"
    family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
    sock = socket.create_server((ip, port), family=family, backlog=1024)
    bound = sock.getsockname()
    return sock, join(bound[0], bound[1])


def listen_error(address: str, exc: Exception) -> str:
    """The text Go's ``net.Listen`` fails with (``listen tcp 127.0.0.1:80: bind: ...``)."""
    if isinstance(exc, AddressError):
        return f"listen tcp: {exc}"
    if isinstance(exc, OSError) and exc.errno is not None:
        text = os.strerror(exc.errno).lower()
    else:
        text = str(exc)
    return f"listen tcp {address}: bind: {text}"
