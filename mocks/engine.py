"""A respx mock of one service, driven by its contract.

    request ──► respx route of the operation ──► ServiceMock._effect
                  │ 404/405 problem when no operation serves it
                  ├─ override: timeout / refused / delay / fixed answer
                  ├─ the request checked: the real service's 422 (or 401) problem
                  ├─ plug-in answer, else the collections (create / read / list)
                  ├─ else a body generated from the response schema (seeded)
                  ├─ the answer checked against the contract (ContractViolation)
                  └─ recorded (pacts) ──► httpx.Response

>>> from mocks import ServiceMock
>>> import httpx
>>> with ServiceMock("catalog", seed=1) as catalog:                 # doctest: +SKIP
...     httpx.get("http://catalog:8000/internal/products/SKU-1").json()["sku"]
'SKU-1'
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs

import httpx
import respx

from . import recording
from .errors import ContractViolation
from .fakedata import FakeData
from .openapi import Operation, ServiceContract
from .overrides import Override, RouteOverride
from .plugins import Answer, Call, ServicePlugin, plugin_for
from .state import Collection, Store, merge
from .validation import NO_BODY, Exchange, needs_identity, request_problems, response_problems

PROBLEM_TYPE = "application/problem+json"
_ASYNC = contextvars.ContextVar("mocks_async_request", default=False)


class _Router(respx.MockRouter):
    """A respx router that tells its side effects whether the client is async."""

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _ASYNC.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _ASYNC.reset(token)


@dataclass(frozen=True)
class Served:
    """One request a mock served: the operation (None: no such route) and the answer."""

    operation: str | None
    request: Exchange
    status: int | None
    body: Any
    headers: dict[str, str]


def reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status: int, detail: str) -> Answer:
    """The services' problem+json (``services/platform/problem.py``)."""
    title = "Unprocessable Content" if status == 422 else reason(status)
    return Answer(status, {"type": "about:blank", "title": title, "status": status,
                           "detail": detail}, {"content-type": PROBLEM_TYPE})


class ServiceMock:
    """Every route of a service's contract, served by a respx router at ``base_url``.

    ``with ServiceMock("catalog") as catalog:`` starts it (fresh state, no overrides);
    ``catalog.route("GET /internal/products/{sku}").respond(503)`` overrides one answer;
    ``catalog.store`` holds what was created; ``catalog.served`` lists every request.
    """

    def __init__(self, service: str | ServicePlugin, *, base_url: str | None = None,
                 seed: int = 0, contracts_dir: Path | str | None = None,
                 contract: ServiceContract | None = None, consumer: str | None = None) -> None:
        self.plugin = plugin_for(service) if isinstance(service, str) else service
        self.name = self.plugin.name
        self.base_url = (base_url or self.plugin.base_url).rstrip("/")
        self.seed = seed
        self.consumer = consumer
        self.contract = contract or ServiceContract.load(self.name, contracts_dir)
        self.fake = FakeData(self.contract.checker, seed)
        self.store = Store()
        self.served: list[Served] = []
        self.violations: list[ContractViolation] = []
        self._overrides: list[Override] = []
        self._options = {"base_url": base_url, "seed": seed, "contracts_dir": contracts_dir,
                         "consumer": consumer}
        self.router = _Router(assert_all_called=False, assert_all_mocked=True,
                              base_url=self.base_url)
        for op in self.contract.operations:
            self.router.route(name=op.key, method=op.method,
                              path__regex="^" + op.pattern.pattern + "$").side_effect = (
                lambda request, _op=op, **_: self._effect(request, _op))
        self.router.route(name=f"{self.name} (no such route)").side_effect = (
            lambda request, **_: self._effect(request, None))

    def __call__(self, **options: Any) -> ServiceMock:
        """A new mock of the same service with other options (``base_url=``, ``seed=``...)."""
        return ServiceMock(self.plugin.name, **{**self._options, **options})

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Self:
        self.reset()
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop(quiet=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget state, overrides, served requests and violations."""
        self.store.clear()
        self.served.clear()
        self.violations.clear()
        self._overrides.clear()
        self.router.reset()

    # --- overrides and state -----------------------------------------------------------
    def route(self, key: str, **path_params: str) -> RouteOverride:
        """The override handle of operation ``key`` (``"GET /internal/products/{sku}"``),
        optionally only for these path parameters."""
        return RouteOverride(self._overrides, self.contract.operation(key), path_params)

    def collection(self, name: str) -> Collection:
        for c in self.plugin.collections:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} keeps no {name!r}; it keeps: "
                       + ", ".join(c.name for c in self.plugin.collections))

    def add(self, collection: str, **fields: Any) -> dict[str, Any]:
        """Put an item in a collection (a seed product, a payment the worker made),
        generated from the schema of the collection's read or list answer, ``fields`` laid
        over it; returns the stored item."""
        coll = self.collection(collection)
        known = {op.key for op in self.contract.operations}
        op_key = next((k for k in (*coll.read, *coll.lists, coll.create) if k in known), None)
        if op_key is None:  # kept by the service, never answered as such (auth's tokens)
            self.store.put(coll, fields)
            return dict(fields)
        op = self.contract.operation(op_key)
        item = self.fake.value(self._schema(op, op.success_status()),
                               key=f"add|{collection}|{sorted(fields.items())!r}")
        if op_key in coll.lists:
            item = (item.get(coll.list_field) or [{}])[0]
        item = merge(item, fields)
        self.store.put(coll, item)
        return item

    def calls(self, key: str) -> list[Served]:
        """The requests served by operation ``key``."""
        return [s for s in self.served if s.operation == key]

    # --- serving -----------------------------------------------------------------------
    def _effect(self, request: httpx.Request, op: Operation | None) -> Any:
        ex = _exchange(request)
        if op is None:
            found = self.contract.find(ex.method, ex.path)
            if found is None:
                known = self.contract.path_known(ex.path)
                answer = problem(405 if known else 404,
                                 "Method Not Allowed" if known else "Not Found")
                return self._finish(request, None, ex, answer)
            op, ex.path_params = found
        else:
            ex.path_params = op.match(ex.path) or {}
        override = self._take_override(op, ex.path_params)
        delay = override.delay if override else 0.0
        read_timeout = ((request.extensions.get("timeout") or {}).get("read"))
        gives_up = read_timeout is not None and delay >= read_timeout
        if override is not None and override.error:
            self._note(op, ex, None, override)
            raise _transport_error(override.error, request)
        if delay and _ASYNC.get():
            return self._later(request, op, ex, override, delay, read_timeout, gives_up)
        if delay:
            time.sleep(read_timeout if gives_up else delay)
            if gives_up:
                self._note(op, ex, None, override)
                raise httpx.ReadTimeout("the mock answered after the read timeout", request=request)
        return self._finish(request, op, ex, self._answer(op, ex, override), override)

    async def _later(self, request: httpx.Request, op: Operation, ex: Exchange,
                     override: Override | None, delay: float, read_timeout: float | None,
                     gives_up: bool) -> httpx.Response:
        await asyncio.sleep(read_timeout if gives_up else delay)
        if gives_up:
            self._note(op, ex, None, override)
            raise httpx.ReadTimeout("the mock answered after the read timeout", request=request)
        return self._finish(request, op, ex, self._answer(op, ex, override), override)

    def _take_override(self, op: Operation, params: dict[str, str]) -> Override | None:
        for override in reversed(self._overrides):
            if override.matches(op, params):
                if override.times is not None:
                    override.times -= 1
                    if override.times <= 0:
                        self._overrides.remove(override)
                return override
        return None

    def _answer(self, op: Operation, ex: Exchange, override: Override | None) -> Answer:
        if needs_identity(op, ex.headers):
            return problem(401, "no verified identity (X-User-Id) on the request")
        refused = request_problems(self.contract, op, ex)
        if refused:
            return problem(422, "; ".join(refused))
        call = Call(op, ex, self.store, lambda status: self._generate(op, ex, status), problem)
        if override is not None and override.status is not None:
            return self._stubbed(call, override)
        answer = self.plugin.answer(call) or self._collections(call)
        if answer is None:
            status = op.success_status()
            answer = Answer(status, self._generate(op, ex, status))
        return answer

    def _stubbed(self, call: Call, override: Override) -> Answer:
        status = override.status or 200
        if override.body is not NO_BODY:
            return Answer(status, override.body, dict(override.headers),
                          provider_state=override.describe())
        if status >= 400:
            answer = problem(status, reason(status))
        else:
            answer = Answer(status, call.generate(status))
        answer.headers.update(override.headers)
        answer.provider_state = override.describe()
        return answer

    def _collections(self, call: Call) -> Answer | None:
        op, ex = call.op, call.request
        for coll in self.plugin.collections:
            role = coll.role_of(op.key)
            if role == "create":
                return self._create(coll, call)
            if role == "read":
                key = ex.path_params.get(coll.key_param or coll.key, "")
                item = self.store.get(coll, key)
                if item is None:
                    item = call.generate(op.success_status())
                    if isinstance(item, dict) and coll.key in item:
                        item[coll.key] = key
                        if coll.owner and coll.owner in item and call.caller:
                            item[coll.owner] = call.caller
                    self.store.put(coll, item)
                elif coll.owner and call.caller and item.get(coll.owner) != call.caller:
                    return problem(404, "Not Found")
                else:  # in this operation's shape (a detail may say more than a creation)
                    item = merge(call.generate(op.success_status()), item)
                return Answer(op.success_status(), item,
                              provider_state=f"{coll.name} {key} exists")
            if role == "list":
                return self._list(coll, call)
        return None

    def _create(self, coll: Collection, call: Call) -> Answer:
        op, ex = call.op, call.request
        status = op.success_status()
        item = merge(call.generate(status), ex.body if isinstance(ex.body, dict) else {})
        if coll.owner and coll.owner in item and call.caller:
            item[coll.owner] = call.caller
        item = self.plugin.created(coll, call, item)
        if self.store.get(coll, item[coll.key]) is not None and "409" in op.responses:
            return problem(409, f"{coll.name[:-1]} {item[coll.key]!r} exists")
        self.store.put(coll, item)
        return Answer(status, item)

    def _list(self, coll: Collection, call: Call) -> Answer:
        op, ex = call.op, call.request
        status = op.success_status()
        body = call.generate(status)
        filters = {field: ex.query[param][0] for param, field in coll.filters
                   if ex.query.get(param)}
        if coll.owner and call.caller:
            filters[coll.owner] = call.caller
        stored = self.store.items(coll)
        template = (body.get(coll.list_field) or [None])[0]
        if stored:
            items = [merge(template, i) if isinstance(template, dict) else i for i in stored
                     if all(str(i.get(f)) == v for f, v in filters.items())]
        else:
            items = [{**i, **{f: v for f, v in filters.items() if f in i}}
                     for i in (body.get(coll.list_field) or [])]
        body[coll.list_field] = items
        for param in op.params("query"):
            if param.name in body and param.name not in dict(coll.filters):
                given = ex.query.get(param.name)
                default = self.contract.checker.resolve(param.schema).get("default")
                value = _number(given[0]) if given else default
                if value is not None:
                    body[param.name] = value
        return Answer(status, body, provider_state=(f"{coll.name} exist" if stored else None))

    def _schema(self, op: Operation, status: int) -> Any:
        from .openapi import json_schema

        spec = op.response(status) or {}
        found = json_schema(spec.get("content"))
        return found[1] if found else None

    def _generate(self, op: Operation, ex: Exchange, status: int) -> Any:
        schema = self._schema(op, status)
        if schema is None:
            return NO_BODY
        key = f"{op.key}|{status}|{ex.path}|{sorted(ex.query.items())}|{_canonical(ex.body)}"
        return self.fake.value(schema, key=key)

    def _finish(self, request: httpx.Request, op: Operation | None, ex: Exchange,
                answer: Answer, override: Override | None = None) -> httpx.Response:
        headers = dict(answer.headers)
        has_body = answer.body is not NO_BODY
        if has_body and not any(k.lower() == "content-type" for k in headers):
            headers["content-type"] = "application/json"
        if op is not None:
            problems = response_problems(self.contract, op, answer.status, headers, answer.body
                                         if has_body else NO_BODY)
            if problems:
                violation = ContractViolation(op.where(answer.status), problems)
                self.violations.append(violation)
                raise violation
        self._note(op, ex, answer, override, headers)
        content = json.dumps(answer.body).encode() if has_body else b""
        return httpx.Response(answer.status, headers=headers, content=content, request=request)

    def _note(self, op: Operation | None, ex: Exchange, answer: Answer | None,
              override: Override | None, headers: dict[str, str] | None = None) -> None:
        self.served.append(Served(op.key if op else None, ex,
                                  answer.status if answer else None,
                                  answer.body if answer else NO_BODY, dict(headers or {})))
        if answer is not None:
            states = [s for s in (override.describe() if override else None,
                                  answer.provider_state) if s]
            recording.record_http(self.consumer, self.name, op, ex, answer.status,
                                  headers or {}, answer.body, states)

    def __iter__(self) -> Iterator[Served]:
        return iter(self.served)


def _transport_error(kind: str, request: httpx.Request) -> httpx.TransportError:
    if kind == "connect":
        return httpx.ConnectTimeout("the mock did not accept the connection in time",
                                    request=request)
    if kind == "connect-error":
        return httpx.ConnectError("the mock refused the connection", request=request)
    return httpx.ReadTimeout("the mock did not answer in time", request=request)


def _number(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        return raw


def _canonical(body: Any) -> str:
    return "" if body is NO_BODY else json.dumps(body, sort_keys=True, default=str)


def _exchange(request: httpx.Request) -> Exchange:
    raw = request.url.raw_path.decode("ascii")
    path, _, query = raw.partition("?")
    headers = {k.lower(): v for k, v in request.headers.items()}
    content_type = headers.get("content-type")
    body: Any = NO_BODY
    content = request.content
    if content:
        try:
            body = json.loads(content)
        except ValueError:
            body = content.decode("utf-8", "replace")
    return Exchange(method=request.method, path=path,
                    query=dict(parse_qs(query, keep_blank_values=True)),
                    headers=headers, body=body, content_type=content_type)
