"""Reaching a destination: resolve once, check with the guard, connect to that address.

The name is resolved once; the connection goes to one of the addresses that were checked
(in the resolver's order), never to the name again, so a rebinding DNS answer between
the check and the connection cannot lead elsewhere. Every step is bounded by the connect
timeout. A failure is a ``NotReached``: the status, the RFC 9209 error and the reason the
proxy answers with.

>>> async def resolver(host, port): return ["192.0.2.1"]
>>> async def opener(address, port): raise ConnectionRefusedError(111, "refused")
>>> guard = EgressGuard(always_forbidden=(), resolver=resolver)
>>> try: asyncio.run(open_destination(guard, "sub", 80, connect_timeout=1, opener=opener))
... except NotReached as exc: print(exc.status, exc.error)
502 connection_refused
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .guard import DestinationRefused, DestinationUnresolved, EgressGuard

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Opener = Callable[[str, int], Awaitable[Streams]]


class NotReached(Exception):
    """The destination may not or could not be reached; what to answer the client."""

    def __init__(self, status: int, error: str, detail: str, outcome: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.outcome = outcome


@dataclass(frozen=True)
class Destination:
    """An open connection to ``address`` (one the guard checked) on ``port``."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str
    port: int


async def _open(host: str, port: int) -> Streams:
    return await asyncio.open_connection(host, port)


async def open_destination(guard: EgressGuard, host: str, port: int, *, connect_timeout: float,
                           opener: Opener = _open) -> Destination:
    """Resolve ``host`` once, refuse what the guard refuses, connect to a checked address."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + connect_timeout
    where = f"{host}:{port}"
    try:
        async with asyncio.timeout(connect_timeout):
            addresses = await guard.addresses(host, port)
    except TimeoutError:
        raise NotReached(504, "dns_timeout", f"{host} did not resolve within "
                         f"{connect_timeout:g}s", "dns_timeout") from None
    except DestinationUnresolved as exc:
        raise NotReached(502, "dns_error", str(exc), "unresolved") from None
    except DestinationRefused as exc:
        raise NotReached(403, "destination_ip_prohibited", f"{where} refused: {exc}",
                         "refused") from None
    failures = []
    for address in addresses:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                reader, writer = await opener(address, port)
        except TimeoutError:
            break
        except OSError as exc:
            failures.append(f"{address}: {exc.strerror or exc}")
            continue
        return Destination(reader, writer, address, port)
    if not failures:
        raise NotReached(504, "connection_timeout",
                         f"{where} did not accept a connection within {connect_timeout:g}s",
                         "timeout")
    raise NotReached(502, "connection_refused", f"{where} unreachable ({'; '.join(failures)})",
                     "unreachable")
