"""OpenAPI 3.1 `webhooks` differences, judged from the subscriber's side.

A webhook is a request the service sends and a subscriber receives, so the directions of
`diff_operation` turn round: its body and headers are what a subscriber reads (a removed
field or header, one no longer always sent, a widened type: breaking), its responses are
what a subscriber answers (an answer that no longer counts as it did: breaking).

>>> old = {"webhooks": {"order.paid": {"post": {"responses": {"2XX": {}}}}}}
>>> [str(c) for c in diff_webhooks(old, {"webhooks": {}}, "webhooks")]
['webhooks webhook order.paid POST: webhook removed']
"""

from __future__ import annotations

from typing import Any

from ..openapi_shape import METHODS
from .changes import Change
from .schemas import diff_schemas, resolve


def _hooks(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for name, item in (doc.get("webhooks") or {}).items():
        item, _ = resolve(item, doc)
        for method in METHODS:
            if method in item:
                found[(name, method)] = item[method]
    return found


def _headers(op: dict[str, Any], doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    params = {}
    for param in op.get("parameters") or []:
        param, _ = resolve(param, doc)
        if isinstance(param, dict) and param.get("in") == "header" and "name" in param:
            params[param["name"].lower()] = param
    return params


def _media(op: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    body, _ = resolve(op.get("requestBody") or {}, doc)
    return body.get("content") or {}


def diff_webhook(old: dict[str, Any], new: dict[str, Any], old_doc: dict[str, Any],
                 new_doc: dict[str, Any], where: str) -> list[Change]:
    """The changes to one webhook, as a subscriber of it sees them."""
    changes: list[Change] = []

    def received(a: Any, b: Any, context: str) -> None:
        changes.extend(diff_schemas(a, b, direction="response", where=where, context=context,
                                    old_root=old_doc, new_root=new_doc))

    old_headers, new_headers = _headers(old, old_doc), _headers(new, new_doc)
    for key, header in old_headers.items():
        label = f"header '{header['name']}'"
        if key not in new_headers:
            changes.append(Change(True, where, f"{label} no longer sent"))
            continue
        if header.get("required") and not new_headers[key].get("required"):
            changes.append(Change(True, where, f"{label} no longer always sent"))
        received(header.get("schema", {}), new_headers[key].get("schema", {}), label)
    for key, header in new_headers.items():
        if key not in old_headers:
            changes.append(Change(False, where, f"new header '{header['name']}'"))

    old_media, new_media = _media(old, old_doc), _media(new, new_doc)
    for media, content in old_media.items():
        if media not in new_media:
            changes.append(Change(True, where, f"body {media} no longer sent"))
        else:
            received(content.get("schema", {}), new_media[media].get("schema", {}), "body")
    for media in new_media:
        if media not in old_media:
            changes.append(Change(False, where, f"body also sent as {media}"))

    old_answers, new_answers = old.get("responses") or {}, new.get("responses") or {}
    for code in old_answers:
        if code not in new_answers:
            changes.append(Change(code != "default", where,
                                  f"answer {code} no longer counted as it was"))
    for code in new_answers:
        if code not in old_answers:
            changes.append(Change(False, where, f"new answer {code}"))
    return changes


def diff_webhooks(old: dict[str, Any], new: dict[str, Any], name: str) -> list[Change]:
    """The changes from `old`'s `webhooks` section to `new`'s, each `<name> webhook <hook> METHOD`."""
    old_hooks, new_hooks = _hooks(old), _hooks(new)
    changes: list[Change] = []
    for (hook, method), op in sorted(old_hooks.items()):
        where = f"{name} webhook {hook} {method.upper()}"
        if (hook, method) not in new_hooks:
            changes.append(Change(True, where, "webhook removed"))
            continue
        changes.extend(diff_webhook(op, new_hooks[(hook, method)], old, new, where))
    for hook, method in sorted(set(new_hooks) - set(old_hooks)):
        changes.append(Change(False, f"{name} webhook {hook} {method.upper()}", "new webhook"))
    return changes
