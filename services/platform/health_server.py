"""A worker's health and metrics endpoint: a small HTTP/1.1 server on asyncio.

Workers serve only ``GET /health/live``, ``GET /health/ready`` and ``GET /metrics``; a
web framework would cost each of them a third of a second of CPU at every start.

>>> server = HealthServer(lambda: {"database": check_db})   # doctest: +SKIP
>>> await server.start("0.0.0.0", 8001)                     # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .health import AsyncCheck, run_checks

Checks = Callable[[], Mapping[str, AsyncCheck]]
REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class HealthServer:
    """Answers the three endpoints; ``checks()`` may raise while the worker starts (503)."""

    def __init__(self, checks: Checks) -> None:
        self._checks = checks
        self._server: asyncio.base_events.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def respond(self, method: str, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a request line; the routing, without sockets."""
        if method != "GET":
            return 405, "application/json", b'{"status": "method not allowed"}'
        path = path.split("?", 1)[0]
        if path == "/health/live":
            return 200, "application/json", b'{"status": "ok"}'
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest()
        if path != "/health/ready":
            return 404, "application/json", b'{"status": "not found"}'
        try:
            current = self._checks()
        except Exception as exc:  # noqa: BLE001 - not started yet
            body = {"status": "starting", "checks": {"startup": str(exc)}}
            return 503, "application/json", json.dumps(body).encode()
        ok, results = await run_checks(current)
        body = {"status": "ok" if ok else "unavailable", "checks": results}
        return (200 if ok else 503), "application/json", json.dumps(body).encode()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, path, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            status, ctype, body = await self.respond(method, path)
            head = (
                f"HTTP/1.1 {status} {REASONS.get(status, '')}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError,
                ConnectionError):
            pass
        finally:
            writer.close()
