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

Errors are ``{"error": message, "status": code}`` with that status, sent as Toxiproxy's Go
server sends them (``text/plain; charset=utf-8``, as Go's ``http.Error`` labels them).
Bodies are read and written as Go reads and writes JSON (``gojson``), paths are matched
as its router matches them (no trailing slash; unclean paths are redirected), and every
routed response carries an ``X-Toxiproxy-Request-Id``.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from sandbox.toxiproxy import errors, gojson
from sandbox.toxiproxy.http_server import Request, Response
from sandbox.toxiproxy.logs import log
from sandbox.toxiproxy.proxy import Proxy
from sandbox.toxiproxy.proxy_collection import ProxyCollection, ProxySpec, check_required
from sandbox.toxiproxy.request_ids import new_request_id
from sandbox.toxiproxy.toxic_collection import parse_toxic

VERSION = "2.12.0"

Params = list[str]
Route = Callable[[Request, Params], Awaitable[Response]]
TEXT = "text/plain; charset=utf-8"


def _json(status: int, value: Any) -> Response:
    return Response(status, gojson.dumps(value).encode())


def _text_error(status: int, text: str) -> Response:
    """What Go's ``http.Error`` sends."""
    return Response(status, f"{text}\n".encode(), TEXT, {"X-Content-Type-Options": "nosniff"})


def _parse(request: Request) -> Any:
    try:
        return gojson.parse(request.body)
    except gojson.GoJsonError as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None


def _decode(request: Request, target: gojson.GoType) -> dict[str, Any]:
    try:
        return gojson.decode(request.body, target) or {}
    except gojson.GoJsonError as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None


def clean_path(path: str) -> str:
    """The path Go's router serves (``//a/./b`` is ``/a/b``; a trailing slash is kept).

    >>> clean_path("/proxies//x/"), clean_path("/proxies")
    ('/proxies/x/', '/proxies')
    """
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    if cleaned.startswith("//"):
        cleaned = cleaned[1:]
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def populate_specs(body: Any) -> list[ProxySpec]:
    """The proxies of a populate body, checked as Toxiproxy checks them before creating
    any. Beyond Toxiproxy: an item's ``"toxics": [...]`` (checked here too)."""
    try:
        items = gojson.decode_value(body, gojson.POPULATE) or []
    except gojson.GoJsonError as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None
    specs = []
    for i, item in enumerate(items, start=1):
        item = item or {}
        check_required(item, f" at proxy {i}")
        specs.append(ProxySpec(item["name"], item.get("listen", ""), item["upstream"],
                               item.get("enabled", True)))
    for i, spec in enumerate(specs):
        raw = body[i].get("toxics") if isinstance(body[i], dict) else None
        if raw is not None:
            spec.toxics = _populate_toxics(raw, f" at proxy {i + 1}")
    return specs


def _populate_toxics(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise errors.BAD_REQUEST_BODY.joined(f"toxics{where} must be an array")
    entries = [parse_toxic(toxic) for toxic in raw]
    names = [entry.name for entry in entries]
    if len(set(names)) != len(names):
        raise errors.TOXIC_ALREADY_EXISTS.joined(f"duplicate toxic name{where}")
    return entries


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
        response = await self._route(request)
        log(
            "api_request",
            level="debug",
            method=request.method,
            path=request.path,
            status=response.status,
            request_id=response.headers.get("X-Toxiproxy-Request-Id"),
        )
        return response

    async def _route(self, request: Request) -> Response:
        raw_path, _, query = request.path.partition("?")
        path = unquote(raw_path.partition("#")[0]) or "/"
        cleaned = clean_path(path)
        if cleaned != path:
            location = cleaned + (f"?{query}" if query else "")
            return Response(301, b"", None, {"Location": location})
        segments = path[1:].split("/")
        shape = tuple("*" if i % 2 else s for i, s in enumerate(segments))
        methods = self._routes.get(shape) if all(segments) else None
        if methods is None:
            return _text_error(404, "404 page not found")
        handler = methods.get(request.method)
        if handler is None:
            return Response(405, b"", None)
        request_id = {"X-Toxiproxy-Request-Id": new_request_id()}
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            response = _text_error(403, "User agent not allowed")
        else:
            async with self._lock:
                try:
                    response = await handler(request, segments[1::2])
                except errors.ApiError as exc:
                    response = _text_error(exc.status, gojson.dumps(exc.to_json()))
                except Exception as exc:  # noqa: BLE001 -- a bug answers 500, not a hang-up
                    log("api_failed", level="error", path=request.path, error=repr(exc))
                    failure = {"error": f"internal error: {exc!r}", "status": 500}
                    response = _text_error(500, gojson.dumps(failure))
        response.headers.update(request_id)
        return response

    # --- proxies ----------------------------------------------------------------------
    async def proxy_index(self, request: Request, params: Params) -> Response:
        proxies = self.collection.proxies
        return _json(200, {name: proxies[name].to_json() for name in sorted(proxies)})

    async def proxy_create(self, request: Request, params: Params) -> Response:
        body = _decode(request, gojson.PROXY)
        check_required(body)
        proxy = Proxy(body["name"], body.get("listen", ""), body["upstream"])
        await self.collection.add(proxy, start=body.get("enabled", True))
        return _json(201, proxy.to_json())

    async def populate(self, request: Request, params: Params) -> Response:
        result = None
        try:
            result = await self.collection.populate(populate_specs(_parse(request)))
            error = result.error
        except errors.ApiError as exc:
            error = exc
        proxies = [proxy.to_json() for proxy in result.proxies] if result else []
        if error is None:
            return _json(201, {"proxies": proxies or None})
        log("populate_failed", level="warning", error=error.message)
        return _json(error.status, {**error.to_json(), "proxies": proxies or None})

    async def proxy_show(self, request: Request, params: Params) -> Response:
        return _json(200, self.collection.get(params[0]).to_json())

    async def proxy_update(self, request: Request, params: Params) -> Response:
        proxy = self.collection.get(params[0])
        body = _decode(request, gojson.PROXY)
        await proxy.update(
            body.get("listen", proxy.listen),
            body.get("upstream", proxy.upstream),
            body.get("enabled", proxy.enabled),
        )
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
        entry = toxics.add(parse_toxic(_parse(request), toxics))
        return _json(200, entry.to_json())

    async def toxic_show(self, request: Request, params: Params) -> Response:
        return _json(200, self.collection.get(params[0]).toxics.get(params[1]).to_json())

    async def toxic_update(self, request: Request, params: Params) -> Response:
        toxics = self.collection.get(params[0]).toxics
        toxics.get(params[1])
        return _json(200, toxics.update(params[1], _parse(request)).to_json())

    async def toxic_delete(self, request: Request, params: Params) -> Response:
        self.collection.get(params[0]).toxics.remove(params[1])
        return Response(204)

    async def version(self, request: Request, params: Params) -> Response:
        body = f'{{"version": "{VERSION}"}}\n'.encode()
        return Response(200, body, "application/json;charset=utf-8")
