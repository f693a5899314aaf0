"""A deadline on every request of an async service: past it, 504 problem+json.

A request that waits on a dependency which hangs (a database connection that carries no
data, say) would otherwise hold its client until the gateway gives up. The work is
cancelled at the deadline (a database connection cancelled mid-query is discarded by its
pool) and the client gets a 504 while the gateway still waits, under its own 10 s.

>>> app.add_middleware(RequestDeadline, seconds=8.0)       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .logging import get_logger
from .problem import PROBLEM_CONTENT_TYPE, problem_body

REQUEST_DEADLINE_S = 8.0
log = get_logger()

Scope = dict[str, Any]
Message = dict[str, Any]


class RequestDeadline:
    """Pure ASGI middleware: ``seconds`` per HTTP request, then 504 (if nothing was sent)."""

    def __init__(self, app: Any, seconds: float = REQUEST_DEADLINE_S) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, tracked_send), self.seconds)
        except TimeoutError:
            log.warning("request.deadline", path=scope.get("path"), seconds=self.seconds,
                        response_started=started)
            if started:  # the answer is under way: nothing better to say than to stop
                return
            body = json.dumps(problem_body(
                504, "Gateway Timeout",
                f"no answer within the service's deadline of {self.seconds:g} s")).encode()
            await send({"type": "http.response.start", "status": 504,
                        "headers": [(b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
