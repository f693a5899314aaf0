"""A small HTTP/1.1 server on asyncio streams: keep-alive, Content-Length and chunked
request bodies. Enough for a JSON API; no TLS, no pipelining guarantees beyond order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

MAX_BODY = 16 * 1024 * 1024


@dataclass
class Request:
    """A parsed request; header names are lower case."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Response:
    """A response; a 204 is sent without a body. Headers are sent as Go's net/http sends
    them (sorted, then ``Date`` and ``Content-Length``), since Toxiproxy is a Go server."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(Exception):
    pass


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        total = 0
        while True:
            size_line = await reader.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise BadRequest("body too large")
            parts.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0") or "0")
    if length < 0 or length > MAX_BODY:
        raise BadRequest("bad content-length")
    return await reader.readexactly(length) if length else b""


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[Request, str] | None:
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):
        line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise BadRequest("bad request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":  # curl, for bodies over 1 KiB
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        body = await _read_body(reader, headers)
    except ValueError:
        raise BadRequest("bad body framing") from None
    return Request(method.upper(), target, headers, body), version


def _encode(
    response: Response, keep_alive: bool, version: str = "HTTP/1.1", method: str = "GET"
) -> bytes:
    reason = HTTPStatus(response.status).phrase
    head = [f"HTTP/1.1 {response.status} {reason}"]
    headers = dict(response.headers)
    if response.content_type is not None and response.status != 204:
        headers["Content-Type"] = response.content_type
    head += [f"{name}: {value}" for name, value in sorted(headers.items())]
    head.append("Date: " + formatdate(usegmt=True))
    if response.status != 204 and not (method == "HEAD" and not response.body):
        head.append(f"Content-Length: {len(response.body)}")
    if not keep_alive:
        head.append("Connection: close")
    elif version != "HTTP/1.1":
        head.append("Connection: keep-alive")
    body = b"" if response.status == 204 or method == "HEAD" else response.body
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _serve_connection(
    handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                parsed = await _read_request(reader, writer)
            except BadRequest:
                bad = Response(400, b"400 Bad Request", "text/plain; charset=utf-8")
                writer.write(_encode(bad, False))
                break
            if parsed is None:
                break
            request, version = parsed
            connection = request.headers.get("connection", "").lower()
            keep_alive = (
                connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
            )
            response = await handler(request)
            writer.write(_encode(response, keep_alive, version, request.method))
            await writer.drain()
            if not keep_alive:
                break
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve(handler: Handler, host: str, port: int) -> asyncio.Server:
    """Start serving ``handler`` on ``host:port`` (port 0: an ephemeral one)."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _serve_connection(handler, reader, writer)
        except asyncio.CancelledError:  # the loop is shutting down with a keep-alive open
            writer.close()

    return await asyncio.start_server(on_connection, host, port, reuse_address=True)
