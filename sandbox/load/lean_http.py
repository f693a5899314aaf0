"""The load generator's HTTP/1.1 client: kept-alive connections, httptools parsing, no frills.

A load generator on the same 2 cores as the system it measures must spend little CPU
per request, or it measures itself. httpx spends milliseconds per request here (its
request and response models, its pool's locks); this client speaks HTTP/1.1 with an
``asyncio.Protocol`` per connection and httptools' parser, and keeps up to
``max_connections`` connections alive for reuse.

It answers the part of httpx's ``AsyncClient`` that journeys use (``get``, ``post``,
``request`` with ``headers``, ``json`` or ``content``; a response's ``status_code``,
``headers``, ``content``, ``text``, ``json()``, ``raise_for_status()``), and it raises
httpx's exceptions, so that journeys and ``error_kind`` read the same either way:

    could not connect                       httpx.ConnectError      "connect"
    no answer within ``timeout_s``          httpx.ReadTimeout       "timeout"
    the connection broke, a malformed reply httpx.RemoteProtocolError "transport"

A request on a kept-alive connection that the server had closed meanwhile is sent
again once on a new connection, when nothing of an answer had come back.

>>> async def main():                                                 # doctest: +SKIP
...     async with LeanClient("http://127.0.0.1:8080", timeout_s=5) as http:
...         return (await http.get("/health")).status_code
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import httptools
import httpx
import orjson

USER_AGENT = b"sandbox-load"


class Headers(Mapping[str, str]):
    """A response's headers, looked up without regard to case (the last value wins)."""

    def __init__(self, pairs: list[tuple[bytes, bytes]]) -> None:
        self._pairs = pairs
        self._by_name = {name.decode("latin-1").lower(): value.decode("latin-1")
                         for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        return self._by_name[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


class LeanResponse:
    """An answer: status, headers and the whole body."""

    __slots__ = ("content", "headers", "method", "status_code", "url")

    def __init__(self, status_code: int, headers: Headers, content: bytes, method: str,
                 url: str) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content
        self.method, self.url = method, url

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return orjson.loads(self.content)

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def raise_for_status(self) -> LeanResponse:
        if not self.is_success:
            request = httpx.Request(self.method, self.url)
            raise httpx.HTTPStatusError(f"{self.status_code} for {self.method} {self.url}",
                                        request=request, response=self)  # type: ignore[arg-type]
        return self

    def __repr__(self) -> str:
        return f"<LeanResponse [{self.status_code}]>"


class _Connection(asyncio.Protocol):
    """One TCP connection; one request at a time (no pipelining)."""

    def __init__(self) -> None:
        self.transport: Any = None  # asyncio's or uvloop's (not a subclass of asyncio's)
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]] | None = None
        self.lost = False
        self.used = 0  # requests answered on this connection
        self.got_bytes = False  # something of the current answer came back
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self.keep_alive = True

    # --- asyncio.Protocol ------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"a malformed answer: {exc}"))

    def eof_received(self) -> bool | None:
        self._lose()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lose()

    def _lose(self) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            # answers carry a length or are chunked: one cut short is a broken answer
            self._fail(httpx.RemoteProtocolError("the server closed the connection"))

    # --- httptools callbacks -----------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is None or self.waiter.done():
            return
        self.keep_alive = self.parser.should_keep_alive()
        self.used += 1
        self.waiter.set_result((self.parser.get_status_code(), self._headers,
                                b"".join(self._body)))

    # --- use ---------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        self.keep_alive = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def send(self, data: bytes) -> asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.got_bytes, self._headers, self._body = False, [], []
        self.parser = httptools.HttpResponseParser(self)
        self.transport.write(data)
        return self.waiter

    @property
    def reusable(self) -> bool:
        return self.keep_alive and not self.lost and self.transport is not None \
            and not self.transport.is_closing()

    def close(self) -> None:
        self.keep_alive = False
        if self.transport is not None:
            self.transport.close()


class LeanClient:
    """``async with LeanClient(base_url, timeout_s, max_connections) as http:``."""

    def __init__(self, base_url: str, timeout_s: float = 10.0, max_connections: int = 100,
                 on_request: Any = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the lean client speaks plain http to a host: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.host_header = parts.netloc.encode("ascii")
        self.timeout_s = timeout_s
        self.on_request = on_request  # called once per request sent (a counter)
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(max_connections)
        self._open: set[_Connection] = set()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()

    async def get(self, url: str, **kwargs: Any) -> LeanResponse:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> LeanResponse:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> LeanResponse:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> LeanResponse:
        return await self.request("DELETE", url, **kwargs)

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      json: Any = None, content: bytes | str | None = None) -> LeanResponse:
        data = self._encode(method, url, headers, json, content)
        if self.on_request is not None:
            self.on_request()
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout_s):
                    status, pairs, body = await self._exchange(data)
            except TimeoutError:
                raise httpx.ReadTimeout(f"no answer within {self.timeout_s:g} s") from None
        return LeanResponse(status, Headers(pairs), body, method, self.base_url + url)

    def _encode(self, method: str, url: str, headers: Mapping[str, str] | None, json: Any,
                content: bytes | str | None) -> bytes:
        lines = [f"{method} {self.prefix}{url} HTTP/1.1".encode("ascii"),
                 b"Host: " + self.host_header, b"User-Agent: " + USER_AGENT]
        body = b""
        if json is not None:
            body = orjson.dumps(json)
            lines.append(b"Content-Type: application/json")
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: %d" % len(body))
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode("latin-1"))
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    async def _exchange(self, data: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the least likely closed
            if not connection.reusable:
                self._drop(connection)
                continue
            try:
                return self._settle(connection, await connection.send(data))
            except httpx.RemoteProtocolError:
                self._drop(connection)
                if connection.got_bytes:
                    raise
                # closed by the server while idle: sent again on a new connection
            except BaseException:
                self._drop(connection)
                raise
        connection = await self._connect()
        try:
            return self._settle(connection, await connection.send(data))
        except BaseException:
            self._drop(connection)
            raise

    def _settle(self, connection: _Connection, answer: tuple[int, list[tuple[bytes, bytes]],
                                                             bytes]
                ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if connection.reusable:
            self._idle.append(connection)
        else:
            self._drop(connection)
        return answer

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, self.host, self.port)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {self.host}:{self.port}: "
                                     f"{exc.strerror or exc}") from None
        self._open.add(connection)
        return connection

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._open.discard(connection)
