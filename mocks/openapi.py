"""An OpenAPI 3.1 document read as operations: match a request, find a response's schema.

>>> doc = {"paths": {"/internal/products/{sku}": {"get": {"responses": {"200": {}}}},
...                  "/v1/customers/me": {"get": {"responses": {"200": {}}}},
...                  "/v1/customers/{id}": {"get": {"responses": {"200": {}}}}}}
>>> contract = ServiceContract("catalog", doc)
>>> op, params = contract.find("GET", "/internal/products/SKU-1")
>>> op.key, params
('GET /internal/products/{sku}', {'sku': 'SKU-1'})
>>> contract.find("GET", "/v1/customers/me")[0].key
'GET /v1/customers/me'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .documents import load_document, resolve_ref
from .errors import UnknownOperation
from .schemas import SchemaChecker

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_TYPES = ("application/json", "application/problem+json")


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One method on one path (or one webhook of the document's ``webhooks``)."""

    service: str
    method: str
    path: str
    operation_id: str
    parameters: tuple[Parameter, ...]
    request_body: dict[str, Any] | None
    responses: dict[str, Any]
    pattern: re.Pattern[str] = field(compare=False, repr=False)

    @property
    def key(self) -> str:
        """``"GET /internal/products/{sku}"``: how overrides and reports name it."""
        return f"{self.method} {self.path}"

    def where(self, status: int | None = None) -> str:
        """``catalog GET /internal/products/{sku} 200``: the start of every error."""
        return f"{self.service} {self.key}" + (f" {status}" if status is not None else "")

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}

    def params(self, location: str) -> list[Parameter]:
        return [p for p in self.parameters if p.location == location]

    def response(self, status: int) -> dict[str, Any] | None:
        """The response object declared for ``status`` (exact, then ``4XX``, then default)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                return self.responses[key]
        return None

    def statuses(self) -> list[str]:
        return sorted(self.responses)

    def success_status(self) -> int:
        """The first 2xx status the operation declares (200 when it declares none)."""
        for key in sorted(self.responses):
            if key.isdigit() and key.startswith("2"):
                return int(key)
        return 200


def _pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", path):
        regex += re.escape(literal)
        if name:
            regex += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>[^/]+)"
    return re.compile(regex)


class ServiceContract:
    """The operations of one service's OpenAPI document, and its schema checker."""

    def __init__(self, name: str, document: dict[str, Any]) -> None:
        self.name = name
        self.document = document
        self.checker = SchemaChecker(document)
        self.operations = self._operations(document.get("paths") or {}, webhook=False)
        # OpenAPI 3.1 `webhooks`: the requests this service sends to its subscribers
        self.webhooks = self._operations(document.get("webhooks") or {}, webhook=True)

    @classmethod
    def load(cls, name: str, directory: Path | str | None = None) -> ServiceContract:
        return cls(name, load_document(name, directory))

    def _operations(self, paths: dict[str, Any], *, webhook: bool) -> list[Operation]:
        ops = []
        for path, item in paths.items():
            item = resolve_ref(self.document, item)
            shared = item.get("parameters") or []
            for method in METHODS:
                if method not in item:
                    continue
                spec = item[method]
                params = {}
                for raw in [*shared, *(spec.get("parameters") or [])]:
                    p = resolve_ref(self.document, raw)
                    params[(p["name"].lower(), p["in"])] = Parameter(
                        p["name"], p["in"], bool(p.get("required") or p["in"] == "path"),
                        p.get("schema") or {})
                body = resolve_ref(self.document, spec.get("requestBody"))
                responses = {str(k): resolve_ref(self.document, v)
                             for k, v in (spec.get("responses") or {}).items()}
                ops.append(Operation(
                    self.name, method.upper(), path, spec.get("operationId") or f"{method} {path}",
                    tuple(params.values()), body, responses,
                    re.compile(".*") if webhook else _pattern(path)))
        # literal paths first: /v1/customers/me before /v1/customers/{id}
        return sorted(ops, key=lambda o: (o.path.count("{"), o.path, o.method))

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation serving ``method path`` and its path parameters, or None."""
        for op in self.operations:
            params = op.match(path)
            if params is not None and op.method == method.upper():
                return op, params
        return None

    def path_known(self, path: str) -> bool:
        """True when some operation serves ``path`` (with another method: a 405)."""
        return any(op.match(path) is not None for op in self.operations)

    def operation(self, key: str) -> Operation:
        """The operation named ``"GET /internal/products/{sku}"`` (or its operationId)."""
        method, _, path = key.strip().partition(" ")
        for op in self.operations:
            if (op.method == method.upper() and op.path == path) or op.operation_id == key:
                return op
        known = ", ".join(op.key for op in self.operations)
        raise UnknownOperation(f"{self.name} has no operation {key!r}; its contract has: {known}")

    def webhook(self, name: str | None = None) -> Operation | None:
        """The webhook operation named ``name`` (an event type), else the only/first one."""
        for op in self.webhooks:
            if op.path == name:
                return op
        return self.webhooks[0] if self.webhooks else None


def json_schema(content: dict[str, Any] | None, content_type: str | None = None) -> tuple[str, Any] | None:
    """The (media type, schema) of a ``content`` map, preferring ``content_type``."""
    if not content:
        return None
    if content_type:
        base = content_type.split(";")[0].strip().lower()
        if base in content:
            return base, (content[base] or {}).get("schema", {})
    for media in (*JSON_TYPES, *content):
        if media in content:
            return media, (content[media] or {}).get("schema", {})
    return None
