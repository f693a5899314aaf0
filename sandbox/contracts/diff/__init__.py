"""Breaking changes between two versions of a contract, on plain OpenAPI/AsyncAPI dicts.

    diff_documents(old, new, kind, name) ─┬─ openapi.diff_openapi    routes, parameters, bodies, answers
                                          │    └─ webhooks.diff_webhooks  what subscribers receive
                                          └─ asyncapi.diff_asyncapi  event types, payloads, operations
                                   all ───► schemas.diff_schemas     JSON Schema, `$ref`s resolved

What a client sends (request bodies, parameters) may not be narrowed; what it receives
(responses, event payloads, webhook deliveries) may not be widened or lose fields.
"""

from __future__ import annotations

from .asyncapi import diff_asyncapi
from .changes import Change
from .openapi import diff_openapi
from .schemas import diff_schemas


def diff_documents(old: dict, new: dict, kind: str, name: str) -> list[Change]:
    """The changes from `old` to `new`, a document of `kind` ("openapi" or "asyncapi")."""
    if kind == "asyncapi":
        return diff_asyncapi(old, new, name)
    return diff_openapi(old, new, name)


__all__ = ["Change", "diff_asyncapi", "diff_documents", "diff_openapi", "diff_schemas"]
