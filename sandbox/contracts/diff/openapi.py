"""OpenAPI differences: operations, parameters, request bodies, answers, security.

>>> old = {"paths": {"/v1/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}
>>> [str(c) for c in diff_openapi(old, {"paths": {}}, "demo")]
['demo GET /v1/x: route removed']
"""

from __future__ import annotations

from typing import Any

from ..openapi_shape import METHODS
from .changes import Change
from .schemas import diff_schemas, resolve
from .webhooks import diff_webhooks


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    ops = {}
    for path, item in (doc.get("paths") or {}).items():
        item, _ = resolve(item, doc)
        shared = item.get("parameters") or []
        for method in METHODS:
            if method in item:
                op = dict(item[method])
                if shared:
                    op["parameters"] = [*shared, *(op.get("parameters") or [])]
                ops[(path, method)] = op
    return ops


def _parameters(op: dict[str, Any], doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    params = {}
    for param in op.get("parameters") or []:
        param, _ = resolve(param, doc)
        if isinstance(param, dict) and "name" in param:
            name = param["name"].lower() if param.get("in") == "header" else param["name"]
            params[(param.get("in", "query"), name)] = param
    return params


def _security(op: dict[str, Any], doc: dict[str, Any]) -> list[frozenset[str]]:
    requirements = op.get("security", doc.get("security", []))
    return [frozenset(r) for r in requirements or []]


def diff_operation(old: dict[str, Any], new: dict[str, Any], old_doc: dict[str, Any],
                   new_doc: dict[str, Any], where: str) -> list[Change]:
    """The changes to one operation (same path and method in both documents)."""
    changes: list[Change] = []

    def schemas(a: Any, b: Any, direction: str, context: str) -> None:
        changes.extend(diff_schemas(a, b, direction=direction, where=where, context=context,  # type: ignore[arg-type]
                                    old_root=old_doc, new_root=new_doc))

    old_params, new_params = _parameters(old, old_doc), _parameters(new, new_doc)
    for key, param in new_params.items():
        label = f"{key[0]} parameter '{param['name']}'"
        if key not in old_params:
            required = bool(param.get("required"))
            changes.append(Change(required, where, f"new {'required' if required else 'optional'} "
                                                   f"{label}"))
        else:
            if param.get("required") and not old_params[key].get("required"):
                changes.append(Change(True, where, f"{label} now required"))
            schemas(old_params[key].get("schema", {}), param.get("schema", {}), "request", label)
    for key, param in old_params.items():
        if key not in new_params:
            changes.append(Change(False, where, f"{key[0]} parameter '{param['name']}' removed"))

    old_body, _ = resolve(old.get("requestBody") or {}, old_doc)
    new_body, _ = resolve(new.get("requestBody") or {}, new_doc)
    if new_body and not old_body:
        changes.append(Change(bool(new_body.get("required")), where, "new request body"))
    elif old_body and new_body:
        if new_body.get("required") and not old_body.get("required"):
            changes.append(Change(True, where, "request body now required"))
        for media, content in (old_body.get("content") or {}).items():
            new_content = (new_body.get("content") or {}).get(media)
            if new_content is None:
                changes.append(Change(True, where, f"request body {media} no longer accepted"))
            else:
                schemas(content.get("schema", {}), new_content.get("schema", {}), "request",
                        "request body")
    elif old_body and not new_body:
        changes.append(Change(False, where, "request body no longer read"))

    old_answers, new_answers = old.get("responses") or {}, new.get("responses") or {}
    for code, answer in old_answers.items():
        answer, _ = resolve(answer, old_doc)
        success = str(code).startswith("2")
        if code not in new_answers:
            changes.append(Change(success, where, f"response {code} removed"))
            continue
        new_answer, _ = resolve(new_answers[code], new_doc)
        for media, content in (answer.get("content") or {}).items():
            new_content = (new_answer.get("content") or {}).get(media)
            if new_content is None:
                changes.append(Change(True, where, f"response {code} {media} no longer sent"))
            else:
                schemas(content.get("schema", {}), new_content.get("schema", {}), "response",
                        f"response {code}")
        for header in answer.get("headers") or {}:
            if header.lower() not in {h.lower() for h in new_answer.get("headers") or {}}:
                changes.append(Change(True, where, f"response {code} header '{header}' removed"))
    for code in new_answers:
        if code not in old_answers:
            changes.append(Change(False, where, f"new response {code}"))

    old_security, new_security = _security(old, old_doc), _security(new, new_doc)
    if set(old_security) != set(new_security):
        # breaking when credentials that were enough (no security: nothing) are no longer
        still_enough = [not new_security or any(n <= o for n in new_security)
                        for o in old_security or [frozenset()]]
        changes.append(Change(not all(still_enough), where,
                              f"security {sorted(map(sorted, old_security))} → "
                              f"{sorted(map(sorted, new_security))}"))
    return changes


def diff_openapi(old: dict[str, Any], new: dict[str, Any], name: str) -> list[Change]:
    """The changes from OpenAPI document `old` to `new`, each named `<name> METHOD path`
    (a webhook's: `<name> webhook <hook> METHOD`, judged as its subscribers see it)."""
    old_ops, new_ops = _operations(old), _operations(new)
    old_paths, new_paths = set(old.get("paths") or {}), set(new.get("paths") or {})
    changes: list[Change] = []
    for (path, method), op in sorted(old_ops.items()):
        where = f"{name} {method.upper()} {path}"
        if (path, method) not in new_ops:
            what = "route removed" if path not in new_paths else "operation removed"
            changes.append(Change(True, where, what))
            continue
        new_op = new_ops[(path, method)]
        if op.get("operationId") != new_op.get("operationId"):
            changes.append(Change(True, where, f"operationId {op.get('operationId')!r} → "
                                               f"{new_op.get('operationId')!r}"))
        changes.extend(diff_operation(op, new_op, old, new, where))
    for (path, method) in sorted(new_ops):
        if (path, method) not in old_ops:
            what = "new route" if path not in old_paths else "new operation"
            changes.append(Change(False, f"{name} {method.upper()} {path}", what))
    return changes + diff_webhooks(old, new, name)
