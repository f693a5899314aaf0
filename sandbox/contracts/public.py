"""The public API (`public.openapi.json`): the services' operations the gateway forwards.

Composed, never rewritten by hand: for each route of the gateway's NGINX template
(`gateway_routes`), the operations of that service's document whose path lands on it,
with the identity headers removed (the gateway sets them), the API key and bearer token
as security schemes, and the gateway's own answers added: 401/403 problems on the
authenticated routes, 413 past `client_max_body_size`, 429 from the rate limits, 503
(`Retry-After`) and 504. Schemas come from the services' documents; a name two services
use for different schemas is prefixed with the service's name.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .gateway_routes import GatewayConfig, GatewayRoute, gateway_config
from .openapi_shape import IDENTITY_HEADERS, PROBLEM_REF, PROBLEM_TYPE, operations
from .registry import Document, contract

SERVICES = ("auth", "monolith", "catalog", "payments", "webhooks")
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
               "description": "the client's enrolled API key"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "an access token from POST /v1/auth/token"},
}
CREDENTIAL_HEADERS = ("x-api-key", "authorization")  # said by the security schemes
RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
OPERATION_IDS = {"/healthz": "gateway_health"}
SCHEMA_PREFIX = "#/components/schemas/"


def _problem(description: str, *, retry_after: bool = False,
             retry_required: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description,
                              "content": {PROBLEM_TYPE: {"schema": {"$ref": PROBLEM_REF}}}}
    if retry_after:
        answer["headers"] = {"Retry-After": {**RETRY_AFTER, "required": retry_required}}
    return answer


def gateway_answers(route: GatewayRoute, op: dict[str, Any], config: GatewayConfig) -> dict[str, Any]:
    """The answers the gateway itself can give for an operation on `route`."""
    answers: dict[str, Any] = {}
    if route.authenticated:
        answers["401"] = _problem("the gateway: an enrolled X-Api-Key and a valid "
                                  "Authorization: Bearer token are required")
        answers["403"] = _problem("the gateway: the token lacks the permission the route "
                                  "table (compose/nginx/routes.yaml) names for this route")
    if any(p.get("in") == "path" for p in op.get("parameters") or []):
        answers["404"] = _problem("the gateway: no route for a path not in normal form (an "
                                  "encoded slash, dot or backslash, a dot or empty segment)")
    if op.get("requestBody") and config.max_body_bytes:
        answers["413"] = _problem(f"the gateway: the body is larger than "
                                  f"{config.max_body_bytes} bytes")
    if route.rate_limit_zones:
        answers["429"] = _problem("the gateway: rate limit exceeded ("
                                  + ", ".join(route.rate_limit_zones) + ")",
                                  retry_after=True, retry_required=True)
    answers["503"] = _problem("the service (or auth, on authenticated routes) is unavailable "
                              "or unreachable; the gateway's own answer carries Retry-After",
                              retry_after=True)
    answers["504"] = _problem("the service did not answer within the gateway's 10 s")
    return answers


def _public_operation(op: dict[str, Any], route: GatewayRoute, config: GatewayConfig,
                      service: str) -> dict[str, Any]:
    out = copy.deepcopy(op)
    hidden = {h.lower() for h in IDENTITY_HEADERS} | set(CREDENTIAL_HEADERS)
    params = [p for p in out.get("parameters") or []
              if not (p.get("in") == "header" and p.get("name", "").lower() in hidden)]
    if params:
        out["parameters"] = params
    else:
        out.pop("parameters", None)
    if route.authenticated:
        out["security"] = [{"apiKey": [], "bearerAuth": []}]
    elif any(p.lower() == "x-api-key" for p in _header_names(op)):
        out["security"] = [{"apiKey": []}]
    else:
        out["security"] = []
    responses = out.setdefault("responses", {})
    for code, answer in gateway_answers(route, op, config).items():
        if code in responses:
            responses[code]["description"] = (f"{responses[code].get('description', '')}; or "
                                              f"{answer['description']}")
            if "headers" in answer:
                responses[code].setdefault("headers", {}).update(answer["headers"])
        else:
            responses[code] = answer
    out["responses"] = dict(sorted(responses.items()))
    out["tags"] = [service]
    return out


def _header_names(op: dict[str, Any]) -> list[str]:
    return [p.get("name", "") for p in op.get("parameters") or [] if p.get("in") == "header"]


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = set().union(*(_refs(v) for v in value.values())) if value else set()
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            found.add(ref[len(SCHEMA_PREFIX):])
        return found
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    return set()


def _rename_refs(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rename_refs(v, renames) for k, v in value.items()}
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            name = ref[len(SCHEMA_PREFIX):]
            out["$ref"] = SCHEMA_PREFIX + renames.get(name, name)
        return out
    if isinstance(value, list):
        return [_rename_refs(v, renames) for v in value]
    return value


def _reachable(names: set[str], schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
    return seen


def compose(service_docs: dict[str, Document], config: GatewayConfig) -> Document:
    """The public document from the services' documents and the gateway's routes."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    ids: dict[str, str] = {}
    webhooks: dict[str, Any] = {}  # what subscribers receive is public too
    for service in sorted(service_docs):
        doc = service_docs[service]
        ops: list[tuple[str, str, dict[str, Any]]] = []
        for path, method, op in operations(doc):
            for route in config.routes:
                if route.service != service:
                    continue
                if route.upstream_path is not None:
                    public_path = route.path if path == route.upstream_path else None
                else:
                    public_path = path if config.route_for(path) is route else None
                if public_path is not None:
                    ops.append((public_path, method, _public_operation(op, route, config,
                                                                       service)))
        own = doc.get("components", {}).get("schemas", {})
        delivered = doc.get("webhooks", {})
        used = _reachable(set().union(_refs(delivered), *(_refs(op) for _, _, op in ops)), own)
        renames: dict[str, str] = {}
        for name in sorted(used):
            if name in schemas and json.dumps(schemas[name], sort_keys=True) != json.dumps(
                    _rename_refs(own[name], renames), sort_keys=True):
                renames[name] = f"{service.capitalize()}{name}"
        for name in sorted(used):
            schemas[renames.get(name, name)] = _rename_refs(own[name], renames)
        for name, item in _rename_refs(delivered, renames).items():
            if name in webhooks:
                raise ValueError(f"webhook {name!r} of {service} is another service's too")
            webhooks[name] = item
        for public_path, method, op in ops:
            op = _rename_refs(op, renames)
            op["operationId"] = OPERATION_IDS.get(public_path, op["operationId"])
            if op["operationId"] in ids:
                raise ValueError(f"operation id {op['operationId']!r} of {service} "
                                 f"{method.upper()} {public_path} is also {ids[op['operationId']]}"
                                 "'s: rename one handler")
            ids[op["operationId"]] = f"{service} {method.upper()} {public_path}"
            paths.setdefault(public_path, {})[method] = op
    if "Problem" not in schemas:  # the gateway's own answers are problems too
        from services.platform.problem import Problem

        schemas["Problem"] = Problem.model_json_schema()
    document: Document = {
        "openapi": "3.1.0",
        "info": {"title": "sandbox public API", "version": "0.1.0",
                 "description": "The API as the gateway exposes it (container port 8080): "
                 "every /v1/ route but the token route needs an enrolled API key "
                 "(X-Api-Key) and a bearer token; the gateway sets the identity headers "
                 "the services read. Every answer carries X-Request-Id."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())),
                       "securitySchemes": SECURITY_SCHEMES},
    }
    if webhooks:
        document["webhooks"] = dict(sorted(webhooks.items()))
    return document


@contract("public", "public.openapi.json", kind="openapi")
def build() -> Document:
    """The public document of this checkout (from the services' generated documents)."""
    from .registry import CONTRACTS

    return compose({s: CONTRACTS[s].build() for s in SERVICES}, gateway_config())
