"""``host:port`` strings as Toxiproxy writes them (``[v6]:port`` for IPv6)."""

from __future__ import annotations

import asyncio
import socket

from sandbox.toxiproxy import errors


def split(address: str) -> tuple[str | None, int]:
    """``"127.0.0.1:80"`` -> ``("127.0.0.1", 80)``; an empty host means every interface.

    >>> split("[::1]:8474")
    ('::1', 8474)
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise errors.ApiError(f"invalid address {address!r}: want host:port", 400)
    host = host.strip("[]")
    return (host or None), int(port)


def join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def same_listen(current: str, requested: str) -> bool:
    """Whether ``requested`` names the socket ``current`` is bound to (port 0: any port)."""
    if current == requested:
        return True
    try:
        cur_host, _ = split(current)
        req_host, req_port = split(requested)
    except errors.ApiError:
        return False
    return req_port == 0 and cur_host == req_host


async def listening_socket(host: str | None, port: int) -> tuple[socket.socket, str]:
    """One listening socket for ``host:port`` and the address it is bound to.

    A name is resolved to one address (IPv4 first), so ``localhost:0`` gets one ephemeral
    port, not one per address; no host means every interface (dual-stack when possible).
    """
    if host is None:
        if socket.has_dualstack_ipv6():
            sock = socket.create_server(
                ("", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=1024
            )
            return sock, f"[::]:{sock.getsockname()[1]}"
        host = "0.0.0.0"
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"cannot resolve {host}")
    family, _, _, _, sockaddr = min(infos, key=lambda info: info[0] != socket.AF_INET)
    sock = socket.create_server(sockaddr[:2], family=family, backlog=1024)
    bound = sock.getsockname()
    return sock, join(bound[0], bound[1])
