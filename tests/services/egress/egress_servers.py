"""Servers for the egress proxy's tests, all on 127.0.0.1 with ephemeral ports, in the
test's own event loop: the proxy, a recording HTTP destination, an echo server, a silent
one. Every test runs under ``run`` (a deadline: nothing here can hang a test)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from services.egress.guard import EgressGuard
from services.egress.proxy import EgressProxy

T = TypeVar("T")
PRIVATE = "10.99.0.0/16"


def run(coro: Coroutine[Any, Any, T], deadline: float = 10.0) -> T:
    """Run ``coro`` in a fresh loop; fail (TimeoutError) after ``deadline`` seconds."""

    async def bounded() -> T:
        async with asyncio.timeout(deadline):
            return await coro

    return asyncio.run(bounded())


class Names:
    """A resolver with fixed answers that counts its lookups; a name it does not know
    does not resolve (so nothing here ever asks a real DNS server)."""

    def __init__(self, **answers: list[str] | Callable[[int], list[str]]) -> None:
        self.answers = {name.replace("_", "."): a for name, a in answers.items()}
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answer = self.answers.get(host)
        if answer is None:
            raise OSError(-2, "Name or service not known")
        return answer(self.lookups.count(host)) if callable(answer) else list(answer)


def guard_for(names: Names) -> EgressGuard:
    """Refuses ``PRIVATE`` only: the destinations of these tests live on 127.0.0.1."""
    return EgressGuard(PRIVATE, resolver=names, always_forbidden=())


class RecordingOpener:
    """The proxy's opener, recording the (address, port) it was asked to connect to."""

    def __init__(self, inner: Callable[[str, int], Awaitable[Any]] | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self._inner = inner

    async def __call__(self, address: str, port: int) -> Any:
        self.calls.append((address, port))
        if self._inner is not None:
            return await self._inner(address, port)
        return await asyncio.open_connection(address, port)


@contextlib.asynccontextmanager
async def running_proxy(guard: EgressGuard, **options: Any) -> AsyncIterator[EgressProxy]:
    proxy = EgressProxy(guard, **options)
    await proxy.start("127.0.0.1", 0)
    try:
        yield proxy
    finally:
        await proxy.close()


@dataclass
class Received:
    head: str
    body: bytes

    @property
    def request_line(self) -> str:
        return self.head.split("\r\n", 1)[0]

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


@dataclass
class Destination:
    """An HTTP/1.1 server recording each request (``Content-Length`` bodies) and answering
    ``status`` with ``body``; it keeps the connection open unless asked to close, as
    servers do. ``respond=False``: it reads the request and never answers."""

    status: int = 200
    body: bytes = b"ok"
    respond: bool = True
    received: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = 0
                for line in head.split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                request = Received(head, await reader.readexactly(length))
                self.received.append(request)
                if not self.respond:
                    await asyncio.sleep(3600)
                writer.write(f"HTTP/1.1 {self.status} X\r\nContent-Length: {len(self.body)}\r\n"
                             f"Keep-Alive: timeout=5\r\n\r\n".encode() + self.body)
                await writer.drain()
                if (request.header("connection") or "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> Self:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


@contextlib.asynccontextmanager
async def tcp_server(handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter],
                                       Awaitable[None]]) -> AsyncIterator[int]:
    """A raw TCP server on 127.0.0.1; yields its port."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    writer.close()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        await reader.read()  # until the peer closes
    writer.close()


async def raw_exchange(port: int, data: bytes) -> tuple[asyncio.StreamReader,
                                                         asyncio.StreamWriter, bytes]:
    """Send ``data`` to the proxy; the streams and the response head it answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    return reader, writer, head
