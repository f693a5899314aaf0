"""A framework's OpenAPI document → the project's shape of a service document.

What the frameworks leave out or say differently, applied the same way to FastAPI's
`app.openapi()` and flask-openapi3's `app.api_doc`:

- operation ids are the handlers' names (`product_get`; a handler serving several
  methods gets `_<method>`: `verify_get`, `verify_head`, ...);
- every answer of status >= 400 is `application/problem+json` with the shared `Problem`
  schema (the framework's own validation-error schemas are dropped: the services answer
  422 as a problem);
- a framework's automatic 422 stays only where a parameter or body can fail validation;
- the gateway's identity headers are plain strings, `X-User-Id` required, and an
  operation that takes them answers 401 without them;
- `/metrics` and `/openapi.json` are not part of the API.

>>> doc = {"paths": {"/x": {"get": {"responses": {"404": {"description": "Not Found"}}}}}}
>>> shaped = shape(doc, service="demo", operation_ids={("/x", "get"): "x_read"})
>>> shaped["paths"]["/x"]["get"]["operationId"]
'x_read'
>>> shaped["paths"]["/x"]["get"]["responses"]["404"]["content"]
{'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from .registry import Document

PROBLEM_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IDENTITY_HEADERS = ("X-User-Id", "X-Client-Id", "X-User-Roles")
REQUIRED_IDENTITY = "X-User-Id"
NOT_THE_API = ("/metrics", "/openapi.json")
# the frameworks' blanket validation answers (FastAPI's, and the monolith's flask-openapi3
# model): replaced by Problem, and dropped where nothing can fail validation
FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError", "ValidationProblem")
SERVICE_PORT = 8000
def operations(doc: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (path, method, operation) of a document, in path then method order."""
    found = []
    for path, item in sorted((doc.get("paths") or {}).items()):
        for method in METHODS:
            if method in item:
                found.append((path, method, item[method]))
    return found


def handler_names(doc: Document) -> dict[tuple[str, str], str]:
    """(path, method) → the handler's name; `<name>_<method>` for a multi-method handler.

    FastAPI's and flask-openapi3's default operation id is the handler's name, the path (non-word characters
    as `_`) and one of the route's methods: the name is what precedes that tail.

    >>> doc = {"paths": {"/v1/x/{id}": {"get": {"operationId": "x_get_v1_x__id__get"}}}}
    >>> handler_names(doc)
    {('/v1/x/{id}', 'get'): 'x_get'}
    """
    names: dict[tuple[str, str], str] = {}
    for path, method, op in operations(doc):
        raw = str(op.get("operationId") or "")
        tail = re.sub(r"\W", "_", path)
        found = re.fullmatch(rf"(.+){re.escape(tail)}_(?:{'|'.join(METHODS)})", raw)
        names[(path, method)] = found.group(1) if found else raw
    uses = Counter((path, name) for (path, _), name in names.items())
    return {(path, method): f"{name}_{method}" if uses[(path, name)] > 1 else name
            for (path, method), name in names.items()}


def shape(doc: Document, *, service: str, operation_ids: Mapping[tuple[str, str], str],
          description: str = "") -> Document:
    """A copy of `doc` in the project's shape (see the module docstring)."""
    out = _whole_numbers(copy.deepcopy(doc))
    for path in NOT_THE_API:
        out.get("paths", {}).pop(path, None)
    for path, method, op in operations(out):
        try:
            op["operationId"] = operation_ids[(path, method)]
        except KeyError:
            raise ValueError(f"{service} {method.upper()} {path}: no handler name for the "
                             "operation id") from None
        if op.get("tags") == ["default"]:
            del op["tags"]  # flask-openapi3's tag for an untagged route
        _identity_parameters(op)
        _responses(op)
    _components(out)
    out.pop("tags", None)
    out["info"] = {"title": service, "version": out.get("info", {}).get("version", "0.1.0"),
                   "description": description or f"The {service} service's HTTP API, as it "
                   f"serves it on its container port {SERVICE_PORT}."}
    out["servers"] = [{"url": f"http://{service}:{SERVICE_PORT}",
                       "description": "inside the sandbox's private network"}]
    out["openapi"] = "3.1.0"
    return out


def _identity_parameters(op: dict[str, Any]) -> None:
    takes_identity = False
    for param in op.get("parameters") or []:
        if param.get("in") != "header" or param.get("name", "").lower() not in {
                h.lower() for h in IDENTITY_HEADERS}:
            continue
        takes_identity = True
        name = next(h for h in IDENTITY_HEADERS if h.lower() == param["name"].lower())
        param["name"] = name
        param["required"] = name == REQUIRED_IDENTITY
        description = param.get("description") or param.get("schema", {}).get("description")
        param["schema"] = {"type": "string"}
        if name == REQUIRED_IDENTITY:
            description = f"{description or 'set by the gateway'} (without it: 401)"
        param["description"] = description or "set by the gateway"
    if takes_identity:
        op.setdefault("responses", {}).setdefault("401", {"description": "Unauthorized"})


def _responses(op: dict[str, Any]) -> None:
    responses = op.setdefault("responses", {})
    default_422 = responses.get("422", {})
    if _refers_to_framework_schema(default_422) and not _can_fail_validation(op):
        del responses["422"]
    for code, answer in list(responses.items()):
        if not str(code).isdigit() or int(code) < 400:
            continue
        content = answer.get("content") or {}
        schemas = [m.get("schema") or {} for m in content.values()]
        own_body = any(s and s.get("$ref") != PROBLEM_REF and not _framework_ref(s)
                       for s in schemas)
        if own_body:
            continue  # a body of its own (e.g. the readiness answer), kept as declared
        answer["content"] = {PROBLEM_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
        if not answer.get("description") or answer["description"] == "Validation Error":
            answer["description"] = _reason(int(code))
    op["responses"] = dict(sorted(responses.items()))


def _can_fail_validation(op: Mapping[str, Any]) -> bool:
    """True when the body or a parameter can be rejected (422) by the framework's checks."""
    if op.get("requestBody"):
        return True
    for param in op.get("parameters") or []:
        if param.get("in") == "header" and param.get("name") in IDENTITY_HEADERS:
            continue  # the identity dependency answers 401, never 422
        if param.get("required") and param.get("in") != "path":
            return True
        if not _accepts_any_string(param.get("schema") or {}):
            return True
    return False


def _accepts_any_string(schema: Mapping[str, Any]) -> bool:
    variants = schema.get("anyOf") or [schema]
    constraints = {"minLength", "maxLength", "pattern", "enum", "format", "const"}
    return any(v.get("type") == "string" and not constraints & v.keys() for v in variants)


def _framework_ref(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") == "array":  # flask-openapi3's 422 is a list of its model
        schema = schema.get("items") or {}
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1] in FRAMEWORK_SCHEMAS


def _refers_to_framework_schema(answer: Mapping[str, Any]) -> bool:
    return any(_framework_ref(m.get("schema") or {})
               for m in (answer.get("content") or {}).values())


def _whole_numbers(value: Any) -> Any:
    """1.0 → 1 throughout (flask-openapi3 writes integer bounds as floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _components(doc: Document) -> None:
    components = doc.setdefault("components", {})
    for key in [k for k, v in components.items() if v is None]:
        del components[key]  # flask-openapi3 writes `securitySchemes: null`
    schemas = components.setdefault("schemas", {})
    for name in FRAMEWORK_SCHEMAS:
        schemas.pop(name, None)
    if "Problem" not in schemas:
        from services.platform.problem import Problem

        schemas["Problem"] = Problem.model_json_schema()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
