"""The egress proxy server: one request (or one tunnel) per client connection.

::

    read the head (head timeout) ── 400 malformed / not a proxy request
    resolve once, check, connect ── 403 refused, 502 unresolved/unreachable, 504 timeout
    CONNECT: 200, then a tunnel │ http://...: origin-form head, the response relayed
    both ways until the destination closes, or nothing moves for the idle timeout

At most ``max_connections`` clients are served at once; one more is answered 503. Every
connection is logged as one JSON line (``egress.forwarded`` / ``egress.refused`` /
``egress.failed``) under the request's trace id when it carries one.

>>> proxy = EgressProxy(EgressGuard("172.30.0.0/16"))            # doctest: +SKIP
>>> await proxy.start("0.0.0.0", 3128)                            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter

from services.platform.logging import get_logger
from services.platform.tracing import mark_error, span_from

from .answers import CONNECTED, answer
from .guard import EgressGuard
from .relay import Traffic, relay
from .request import BadRequest, ProxyRequest, parse_head, upstream_head
from .upstream import NotReached, Opener, open_destination

HEAD_LIMIT = 65536
CONNECTIONS = Counter(
    "egress_connections_total", "Client connections served by the egress proxy",
    ["kind", "outcome"],
)
log = get_logger()


class EgressProxy:
    """An HTTP forward proxy that reaches only what ``guard`` allows.

    ``opener(address, port)`` opens the connection to a checked address (tests replace it).
    """

    def __init__(self, guard: EgressGuard, *, connect_timeout: float = 5.0,
                 idle_timeout: float = 30.0, head_timeout: float = 10.0,
                 max_connections: int = 64, opener: Opener | None = None) -> None:
        self._guard = guard
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout
        self._head_timeout = head_timeout
        self._max = max_connections
        self._opener = opener
        self._active = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active(self) -> int:
        """Clients being served now."""
        return self._active

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._accept, host, port, limit=HEAD_LIMIT)

    async def close(self) -> None:
        """Stop listening and end the connections in progress."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def check(self) -> None:
        """Readiness: the listener accepts a connection (it is closed at once, unlogged)."""
        if self._server is None or not self._server.is_serving():
            raise ConnectionError("not listening")
        _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._active += 1
        try:
            if self._active > self._max:
                CONNECTIONS.labels("any", "overloaded").inc()
                log.warning("egress.overloaded", max_connections=self._max)
                writer.write(answer(503, "connection_limit_reached",
                                    f"egress serves at most {self._max} connections at once; "
                                    "retry later"))
                await writer.drain()
                return
            await self._serve(reader, writer)
        except OSError:
            pass  # the client went away
        finally:
            self._active -= 1
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_head(self, reader: asyncio.StreamReader) -> bytes | None:
        """The request head; None for a connection closed before sending anything."""
        try:
            async with asyncio.timeout(self._head_timeout):
                return await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial.strip():
                return None
            raise BadRequest("the connection closed in the middle of the request head") from None
        except asyncio.LimitOverrunError:
            raise BadRequest(f"request head larger than {HEAD_LIMIT} bytes") from None
        except TimeoutError:
            raise BadRequest(f"no complete request head within {self._head_timeout:g}s") from None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            head = await self._read_head(reader)
            if head is None:
                return
            request = parse_head(head)
        except BadRequest as exc:
            CONNECTIONS.labels("unknown", "bad_request").inc()
            log.warning("egress.bad_request", reason=str(exc))
            writer.write(answer(400, "http_request_error", str(exc)))
            await writer.drain()
            return
        # a plain HTTP request carries its caller's traceparent; a tunnel's head does not
        carrier = None if request.tunnel else dict(request.headers)
        name = f"egress {'CONNECT' if request.tunnel else request.method}"
        with span_from(carrier, name, kind=SpanKind.SERVER, attributes={
                "server.address": request.host, "server.port": request.port,
                "http.request.method": request.method}):
            await self._forward(request, reader, writer, started)

    async def _forward(self, request: ProxyRequest, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter, started: float) -> None:
        kind = "connect" if request.tunnel else "http"
        fields: dict[str, Any] = {"kind": kind, "method": request.method,
                                  "host": request.host, "port": request.port}
        opener = {"opener": self._opener} if self._opener else {}
        try:
            dest = await open_destination(self._guard, request.host, request.port,
                                          connect_timeout=self._connect_timeout, **opener)
        except NotReached as exc:
            CONNECTIONS.labels(kind, exc.outcome).inc()
            event = "egress.refused" if exc.status == 403 else "egress.failed"
            log.warning(event, **fields, status=exc.status, reason=exc.detail)
            mark_error(trace.get_current_span(), f"{exc.status}: {exc.detail}")
            writer.write(answer(exc.status, exc.error, exc.detail))
            await writer.drain()
            return
        fields["address"] = dest.address
        try:
            if request.tunnel:
                writer.write(CONNECTED)
                await writer.drain()
            else:
                dest.writer.write(upstream_head(request))
            traffic = await relay(reader, writer, dest.reader, dest.writer,
                                  idle_timeout=self._idle_timeout, http=not request.tunnel)
        finally:
            dest.writer.close()
            with contextlib.suppress(Exception):
                await dest.writer.wait_closed()
        self._finish(kind, request, writer, traffic, fields, started)

    def _finish(self, kind: str, request: ProxyRequest, writer: asyncio.StreamWriter,
                traffic: Traffic, fields: dict[str, Any], started: float) -> None:
        elapsed_ms = round((asyncio.get_running_loop().time() - started) * 1000, 1)
        fields.update(bytes_up=traffic.up, bytes_down=traffic.down, ended=traffic.ended,
                      duration_ms=elapsed_ms)
        if not request.tunnel and traffic.status is None and traffic.down == 0:
            # nothing answered yet: the proxy answers for the destination
            status, error = (504, "http_response_timeout") if traffic.ended == "idle" else (
                502, "http_response_incomplete")
            detail = (f"{request.authority} sent no response within {self._idle_timeout:g}s"
                      if status == 504 else f"{request.authority} closed without a response")
            CONNECTIONS.labels(kind, "no_response").inc()
            log.warning("egress.failed", **fields, status=status, reason=detail)
            if not writer.is_closing():
                writer.write(answer(status, error, detail))
            return
        CONNECTIONS.labels(kind, "forwarded").inc()
        log.info("egress.forwarded", **fields, status=traffic.status)
