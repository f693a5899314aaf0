"""Toxiproxy 2.x's REST API: routes to handlers named resource + verb, as in its api.go.

| method         | path                              | handler        | success |
| -------------- | --------------------------------- | -------------- | ------- |
| GET            | /proxies                          | proxy_index    | 200     |
| POST           | /proxies                          | proxy_create   | 201     |
| POST           | /populate                         | populate       | 201     |
| GET            | /proxies/{proxy}                  | proxy_show     | 200     |
| POST, PATCH    | /proxies/{proxy}                  | proxy_update   | 200     |
| DELETE         | /proxies/{proxy}                  | proxy_delete   | 204     |
| GET            | /proxies/{proxy}/toxics           | toxic_index    | 200     |
| POST           | /proxies/{proxy}/toxics           | toxic_create   | 200     |
| GET            | /proxies/{proxy}/toxics/{toxic}   | toxic_show     | 200     |
| POST, PATCH    | /proxies/{proxy}/toxics/{toxic}   | toxic_update   | 200     |
| DELETE         | /proxies/{proxy}/toxics/{toxic}   | toxic_delete   | 204     |
| POST           | /reset                            | reset_state    | 204     |
| GET            | /version                          | version        | 200     |

Errors are ``{"error": message, "status": code}`` with that status.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from sandbox.toxiproxy import errors
from sandbox.toxiproxy.http_server import Request, Response
from sandbox.toxiproxy.logs import log
from sandbox.toxiproxy.proxy import Proxy
from sandbox.toxiproxy.proxy_collection import ProxyCollection, parse_proxy
from sandbox.toxiproxy.toxic_collection import parse_toxic

VERSION = "2.12.0+sandbox"

Params = list[str]
Route = Callable[[Request, Params], Awaitable[Response]]


def _json(status: int, value: Any) -> Response:
    return Response(status, json.dumps(value).encode() + b"\n")


def _body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None


class ToxiproxyApi:
    """Answers API requests against a ``ProxyCollection``; one request at a time."""

    def __init__(self, collection: ProxyCollection) -> None:
        self.collection = collection
        self._lock = asyncio.Lock()
        self._routes: dict[tuple[str, ...], dict[str, Route]] = {
            ("reset",): {"POST": self.reset_state},
            ("proxies",): {"GET": self.proxy_index, "POST": self.proxy_create},
            ("populate",): {"POST": self.populate},
            ("proxies", "*"): {
                "GET": self.proxy_show,
                "POST": self.proxy_update,
                "PATCH": self.proxy_update,
                "DELETE": self.proxy_delete,
            },
            ("proxies", "*", "toxics"): {"GET": self.toxic_index, "POST": self.toxic_create},
            ("proxies", "*", "toxics", "*"): {
                "GET": self.toxic_show,
                "POST": self.toxic_update,
                "PATCH": self.toxic_update,
                "DELETE": self.toxic_delete,
            },
            ("version",): {"GET": self.version},
        }

    async def __call__(self, request: Request) -> Response:
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return Response(403, b"User agent not allowed\n", "text/plain")
        segments = [unquote(s) for s in urlsplit(request.path).path.strip("/").split("/")]
        shape = tuple("*" if i % 2 else s for i, s in enumerate(segments))
        methods = self._routes.get(shape)
        if methods is None:
            return Response(404, b"404 page not found\n", "text/plain")
        handler = methods.get(request.method)
        if handler is None:
            return Response(405, b"", "text/plain")
        params = segments[1::2]
        async with self._lock:
            try:
                response = await handler(request, params)
            except errors.ApiError as exc:
                response = _json(exc.status, exc.to_json())
        log(
            "api_request",
            level="debug",
            method=request.method,
            path=request.path,
            status=response.status,
        )
        return response

    # --- proxies ----------------------------------------------------------------------
    async def proxy_index(self, request: Request, params: Params) -> Response:
        return _json(200, {name: p.to_json() for name, p in self.collection.proxies.items()})

    async def proxy_create(self, request: Request, params: Params) -> Response:
        name, listen, upstream, enabled = parse_proxy(_body(request))
        proxy = Proxy(name, listen, upstream)
        await self.collection.add(proxy, start=enabled is not False)
        return _json(201, proxy.to_json())

    async def populate(self, request: Request, params: Params) -> Response:
        try:
            proxies = await self.collection.populate(_body(request))
        except errors.ApiError as exc:
            log("populate_failed", level="warning", error=exc.message)
            return _json(exc.status, {**exc.to_json(), "proxies": []})
        return _json(201, {"proxies": [proxy.to_json() for proxy in proxies]})

    async def proxy_show(self, request: Request, params: Params) -> Response:
        return _json(200, self.collection.get(params[0]).to_json())

    async def proxy_update(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params[0])
        body = _body(request)
        if not isinstance(body, dict):
            raise errors.BAD_REQUEST_BODY.joined("a proxy must be a JSON object")
        listen = body.get("listen", proxy.listen)
        upstream = body.get("upstream", proxy.upstream)
        enabled = body.get("enabled", proxy.enabled)
        if not (
            isinstance(listen, str) and isinstance(upstream, str) and isinstance(enabled, bool)
        ):
            raise errors.BAD_REQUEST_BODY.joined("listen, upstream: strings; enabled: boolean")
        try:
            await proxy.update(listen or proxy.listen, upstream or proxy.upstream, enabled)
        except OSError as exc:
            raise errors.ApiError(f"listen {proxy.listen}: {exc.strerror or exc}", 500) from None
        return _json(200, proxy.to_json())

    async def proxy_delete(self, request: Request, params: Params) -> Response:
        self.collection.remove(params[0])
        return Response(204)

    async def reset_state(self, request: Request, params: Params) -> Response:
        await self.collection.reset()
        return Response(204)

    # --- toxics -----------------------------------------------------------------------
    async def toxic_index(self, request: Request, params: Params) -> Response:
        toxics = self.collection.get(params[0]).toxics
        return _json(200, [entry.to_json() for entry in toxics.entries()])

    async def toxic_create(self, request: Request, params: Params) -> Response:
        toxics = self.collection.get(params[0]).toxics
        entry = toxics.add(parse_toxic(_body(request)))
        return _json(200, entry.to_json())

    async def toxic_show(self, request: Request, params: Params) -> Response:
        return _json(200, self.collection.get(params[0]).toxics.get(params[1]).to_json())

    async def toxic_update(self, request: Request, params: Params) -> Response:
        toxics = self.collection.get(params[0]).toxics
        return _json(200, toxics.update(params[1], _body(request)).to_json())

    async def toxic_delete(self, request: Request, params: Params) -> Response:
        self.collection.get(params[0]).toxics.remove(params[1])
        return Response(204)

    async def version(self, request: Request, params: Params) -> Response:
        return Response(
            200, json.dumps({"version": VERSION}).encode() + b"\n", "application/json;charset=utf-8"
        )
