"""A proxy: a listening socket; each accepted client gets an upstream connection and two
links (``upstream``: client -> upstream, ``downstream``: upstream -> client)."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from sandbox.toxiproxy import addresses, errors
from sandbox.toxiproxy.link import Link
from sandbox.toxiproxy.logs import log
from sandbox.toxiproxy.toxic_collection import ToxicCollection

READ_SIZE = 256 * 1024
WRITE_HIGH_WATER = 1 << 20
CONNECT_TIMEOUT = 10.0


class _ReadBuffer:
    """One read buffer for every socket of the process: a read is handed on synchronously,
    so the buffer is free again before the next read. When a transport keeps a view of it
    (a write that could not be sent at once; Python 3.12 buffers views, not copies), the
    transport keeps that buffer and the next reads get a new one."""

    view = memoryview(bytearray(READ_SIZE))

    @classmethod
    def release_if_kept(cls, data: memoryview | bytes, transport: asyncio.Transport) -> None:
        if (
            isinstance(data, memoryview)
            and data.obj is cls.view.obj
            and transport.get_write_buffer_size()
        ):
            cls.view = memoryview(bytearray(READ_SIZE))


class SocketEndpoint(asyncio.BufferedProtocol):
    """One socket of a proxied connection: feeds the link reading from it, and is the
    destination of the link writing to it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.link_out: Link | None = None  # reads from this socket
        self.link_in: Link | None = None  # writes to this socket
        self.connection: Connection | None = None
        self.closed = False
        # read before its link exists: Python before 3.11.5 (Debian bookworm's 3.11.2)
        # starts reading a transport that connection_made paused, so a client's first
        # bytes can arrive while the upstream connection is still being opened
        self.early: bytearray | None = None
        self.early_eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _ReadBuffer.view

    def buffer_updated(self, nbytes: int) -> None:
        if self.link_out is not None:
            self.link_out.feed(_ReadBuffer.view[:nbytes])
        else:
            self.early = (self.early or bytearray()) + _ReadBuffer.view[:nbytes]

    def eof_received(self) -> bool:
        if self.link_out is not None:
            self.link_out.feed_eof()
        else:
            self.early_eof = True
        return True  # the socket closes when the other direction has finished

    def feed_early(self) -> None:
        """Hand what was read before the link existed to the link, once it exists."""
        if self.link_out is None:
            return
        if self.early:
            data, self.early = self.early, None
            self.link_out.feed(memoryview(bytes(data)))
        if self.early_eof:
            self.early_eof = False
            self.link_out.feed_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.link_out is not None:
            self.link_out.feed_eof()
        if self.connection is not None:
            self.connection.endpoint_lost()

    def pause_writing(self) -> None:
        if self.link_in is not None:
            self.link_in.dest_full(True)

    def resume_writing(self) -> None:
        if self.link_in is not None:
            self.link_in.dest_full(False)

    # --- what a Link uses -------------------------------------------------------------
    def write(self, data: memoryview | bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
            _ReadBuffer.release_if_kept(data, self.transport)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def set_reading(self, reading: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if reading:
            self.transport.resume_reading()
        else:
            self.transport.pause_reading()

    def abort(self, reset: bool = False) -> None:
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if reset and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


class Connection:
    """A client, its upstream connection and the two links between them."""

    def __init__(self, proxy: Proxy, client: SocketEndpoint, upstream: SocketEndpoint) -> None:
        self.proxy = proxy
        self.client, self.upstream = client, upstream
        self.up = Link("upstream", client, upstream, self._link_done, self.reset)
        self.down = Link("downstream", upstream, client, self._link_done, self.reset)
        client.link_out, client.link_in, client.connection = self.up, self.down, self
        upstream.link_out, upstream.link_in, upstream.connection = self.down, self.up, self
        self._finished = False
        proxy.toxics.attach(self.up)
        proxy.toxics.attach(self.down)

    def _link_done(self, link: Link) -> None:
        if self.client.closed and self.upstream.closed:
            self._finish()

    def endpoint_lost(self) -> None:
        if self.client.closed and self.upstream.closed:
            self._finish()

    def reset(self) -> None:
        """Close both sockets at once with a TCP RST."""
        self.abort(reset=True)

    def abort(self, reset: bool = False) -> None:
        self.up.stop()
        self.down.stop()
        self.client.abort(reset)
        self.upstream.abort(reset)
        self._finish()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self.up.stop()
        self.down.stop()
        self.proxy.toxics.detach(self.up)
        self.proxy.toxics.detach(self.down)
        self.proxy.connections.discard(self)


class Proxy:
    """A named proxy from ``listen`` to ``upstream`` with its toxics."""

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        self.name = name
        self.listen = listen  # as given until started, then the bound address
        self.upstream = upstream
        self.enabled = False
        self.toxics = ToxicCollection()
        self.connections: set[Connection] = set()
        self._accepting: set[SocketEndpoint] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "Logger": {},  # Toxiproxy's JSON shows its (empty) logger field; so does ours
            "toxics": [entry.to_json() for entry in self.toxics.entries()],
        }

    async def start(self) -> None:
        """Listen (``listen`` then holds the bound address, so a restart keeps the port).

        Raises ApiError (500, Go's text) when the address cannot be listened on."""
        if self.enabled:
            return
        try:
            sock, self.listen = await addresses.listening_socket(self.listen)
        except (OSError, addresses.AddressError) as exc:
            shown = self.listen
            if not isinstance(exc, addresses.AddressError):
                shown = await addresses.resolve(self.listen)
            raise errors.ApiError(addresses.listen_error(shown, exc), 500) from None
        self._server = await asyncio.get_running_loop().create_server(self._new_client, sock=sock)
        self.enabled = True
        log("proxy_started", proxy=self.name, listen=self.listen, upstream=self.upstream)

    async def differs(self, listen: str, upstream: str) -> bool:
        """Toxiproxy's test for a changed proxy: ``listen`` resolved is not the address
        listened on (so port 0 always differs), or the upstream is another. Raises
        ApiError (500, Go's text) when ``listen`` cannot be resolved."""
        try:
            resolved = await addresses.resolve(listen)
        except addresses.AddressError as exc:
            raise errors.ApiError(str(exc), 500) from None
        return resolved != self.listen or upstream != self.upstream

    def stop(self) -> None:
        """Stop listening and drop every connection."""
        if not self.enabled:
            return
        self.enabled = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for endpoint in list(self._accepting):
            endpoint.abort()
        for connection in list(self.connections):
            connection.abort()
        log("proxy_stopped", proxy=self.name, listen=self.listen)

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Toxiproxy's semantics: a changed address restarts the proxy."""
        if await self.differs(listen, upstream):
            self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            self.stop()

    def _new_client(self) -> SocketEndpoint:
        return _ClientEndpoint(self)

    async def connect_upstream(self, client: SocketEndpoint) -> None:
        loop = asyncio.get_running_loop()
        try:
            host, port = addresses.split_host_port(self.upstream)
            _, upstream = await asyncio.wait_for(
                loop.create_connection(SocketEndpoint, host or "127.0.0.1", int(port or 0)),
                CONNECT_TIMEOUT,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            log(
                "upstream_unreachable",
                level="warning",
                proxy=self.name,
                upstream=self.upstream,
                error=str(exc) or type(exc).__name__,
            )
            client.close()
            return
        finally:
            self._accepting.discard(client)
        if client.closed or not self.enabled:
            upstream.abort()
            client.abort()
            return
        self.connections.add(Connection(self, client, upstream))
        client.feed_early()
        upstream.feed_early()
        client.set_reading(True)
        log(
            "client_accepted",
            level="debug",
            proxy=self.name,
            client=str(client.transport.get_extra_info("peername") if client.transport else ""),
        )


class _ClientEndpoint(SocketEndpoint):
    """The client side: reading waits until the upstream connection is open."""

    def __init__(self, proxy: Proxy) -> None:
        super().__init__()
        self._proxy = proxy

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert self.transport is not None
        if not self._proxy.enabled:
            self.transport.abort()
            return
        self.transport.pause_reading()
        self._proxy._accepting.add(self)
        task = asyncio.get_running_loop().create_task(self._proxy.connect_upstream(self))
        self._proxy._tasks.add(task)
        task.add_done_callback(self._proxy._tasks.discard)
