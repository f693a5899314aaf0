"""`/internal/` answers only inside the private network, on every port of every service.

The gateway refuses `/internal/` from outside, but a service with a published port of its
own (the webhook gateway's public face) or a second network must refuse it too: this ASGI
middleware answers 404 problem+json to a request for an `/internal/` path whose peer
address is not in ``PRIVATE_SUBNET`` (the topology gives every service the private
network's subnet). The peer is the TCP connection's, never a header.

>>> guard = PrivateRoutes(None, "172.30.0.0/16")
>>> guard.allowed("/internal/alerts", "172.30.0.9"), guard.allowed("/internal/alerts", "172.31.0.1")
(True, False)
>>> guard.allowed("/v1/webhooks/subscriptions", "172.31.0.1")
True
"""

from __future__ import annotations

import ipaddress
import json
import os
from typing import Any

from .problem import PROBLEM_CONTENT_TYPE, problem_body

INTERNAL_PREFIX = "/internal/"
_NOT_FOUND = json.dumps(problem_body(404, "Not Found", "no route for this path")).encode()


class PrivateRoutes:
    """404 for `/internal/` paths unless the peer is in `subnet` (None: not enforced)."""

    def __init__(self, app: Any, subnet: str | None = None) -> None:
        self.app = app
        raw = subnet if subnet is not None else os.environ.get("PRIVATE_SUBNET", "")
        self._subnet = ipaddress.ip_network(raw.strip(), strict=False) if raw.strip() else None

    def allowed(self, path: str, peer: str | None) -> bool:
        """May a request for `path` from `peer` reach the app?"""
        if self._subnet is None or not (path.startswith(INTERNAL_PREFIX) or path == "/internal"):
            return True
        try:
            return peer is not None and ipaddress.ip_address(peer) in self._subnet
        except ValueError:
            return False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            if not self.allowed(scope.get("path", ""), client[0] if client else None):
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                                        (b"content-length", str(len(_NOT_FOUND)).encode())]})
                await send({"type": "http.response.body", "body": _NOT_FOUND})
                return
        await self.app(scope, receive, send)
