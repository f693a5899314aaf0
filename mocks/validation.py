"""Requests and answers checked against an operation, as the real service would judge them.

``request_problems`` lists why the real service would refuse a request (FastAPI's
``loc: message`` wording, as ``services/platform/problem.py`` joins them);
``response_problems`` lists how an answer breaks the contract. Both work on plain
values, so the live mocks and the static check of recorded pacts share them.

>>> from mocks.openapi import ServiceContract
>>> doc = {"paths": {"/v1/products": {"post": {
...     "requestBody": {"required": True, "content": {"application/json": {"schema": {
...         "type": "object", "required": ["price_cents"],
...         "properties": {"price_cents": {"type": "integer", "minimum": 0}}}}}},
...     "responses": {"201": {"content": {"application/json": {"schema": {"type": "object"}}}}}}}}}
>>> contract = ServiceContract("catalog", doc)
>>> op = contract.operation("POST /v1/products")
>>> request_problems(contract, op, Exchange(body={"price_cents": -1}))
['body.price_cents: -1 is less than the minimum of 0']
>>> response_problems(contract, op, 201, {"content-type": "application/json"}, [])
["(document): [] is not of type 'object'"]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .openapi import Operation, Parameter, ServiceContract, json_schema

IDENTITY_HEADER = "x-user-id"
NO_BODY = object()


@dataclass
class Exchange:
    """A request as plain values (header names lower case, query values as lists)."""

    method: str = "GET"
    path: str = "/"
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = NO_BODY
    content_type: str | None = "application/json"


def _coerce(param: Parameter, raw: str, checker: Any) -> Any:
    schema = checker.resolve(param.schema) if param.schema else {}
    kinds = schema.get("type") or [
        checker.resolve(o).get("type") for o in schema.get("anyOf", schema.get("oneOf", []))]
    kinds = kinds if isinstance(kinds, list) else [kinds]
    for kind, convert in (("integer", int), ("number", float)):
        if kind in kinds:
            try:
                return convert(raw)
            except ValueError:
                return raw
    if "boolean" in kinds and raw.lower() in ("true", "false", "1", "0"):
        return raw.lower() in ("true", "1")
    return raw


def request_problems(contract: ServiceContract, op: Operation, req: Exchange) -> list[str]:
    """Why the real service would refuse ``req`` (an empty list: it would take it)."""
    checker = contract.checker
    problems: list[str] = []
    sources = {"path": {k: [v] for k, v in req.path_params.items()},
               "query": req.query,
               "header": {k.lower(): [v] for k, v in req.headers.items()}}
    for param in op.parameters:
        if param.location not in sources:
            continue
        lookup = param.name.lower() if param.location == "header" else param.name
        values = sources[param.location].get(lookup)
        if not values:
            identity = param.location == "header" and param.name.lower() == IDENTITY_HEADER
            if param.required and not (identity and "401" in op.responses):
                problems.append(f"{param.location}.{param.name}: Field required")
            continue
        schema = checker.resolve(param.schema) if param.schema else {}
        value: Any = ([_coerce(param, v, checker) for v in values] if schema.get("type") == "array"
                      else _coerce(param, values[0], checker))
        problems += checker.problems(param.schema, value, prefix=f"{param.location}.{param.name}")
    spec = op.request_body
    if spec:
        found = json_schema(spec.get("content"), req.content_type)
        if req.body is NO_BODY or req.body is None:
            if spec.get("required"):
                problems.append("body: Field required")
        elif found is not None:
            problems += checker.problems(found[1], req.body, prefix="body")
    return problems


def needs_identity(op: Operation, headers: dict[str, str]) -> bool:
    """The platform's rule (``services/platform/identity.py``): an operation that declares
    the gateway's ``X-User-Id`` and a 401 answer refuses a request without it with a 401
    problem, never a validation error."""
    declared = any(p.location == "header" and p.name.lower() == IDENTITY_HEADER
                   for p in op.parameters)
    present = bool({k.lower(): v for k, v in headers.items()}.get(IDENTITY_HEADER, "").strip())
    return declared and "401" in op.responses and not present


def response_problems(contract: ServiceContract, op: Operation, status: int,
                      headers: dict[str, str], body: Any) -> list[str]:
    """How an answer breaks the operation's contract (an empty list: it keeps it)."""
    spec = op.response(status)
    if spec is None:
        return [f"status {status} is not in the contract (declared: {', '.join(op.statuses())})"]
    problems: list[str] = []
    lower = {k.lower(): v for k, v in headers.items()}
    for name, header in (spec.get("headers") or {}).items():
        header = contract.checker.resolve(header) if "$ref" in header else header
        value = lower.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append(f"header {name}: required by the contract, not sent")
            continue
        problems += contract.checker.problems(header.get("schema") or {}, value,
                                              prefix=f"header {name}")
    content = spec.get("content")
    has_body = body is not NO_BODY and body is not None and body != b""
    if not content:
        return problems
    found = json_schema(content, lower.get("content-type"))
    if found is None:
        declared = ", ".join(content)
        return [*problems, (f"content-type {lower.get('content-type')!r} is not declared "
                           f"(declared: {declared})")]
    media, schema = found
    if not has_body:
        return [*problems, f"no body (the contract declares {media})"]
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return [*problems, f"body is not JSON (the contract declares {media})"]
    return problems + contract.checker.problems(schema, body)
