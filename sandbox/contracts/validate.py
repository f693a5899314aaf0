"""Validity of the documents: OpenAPI with openapi-spec-validator, AsyncAPI with a schema of ours.

No PyPI package ships the official AsyncAPI 3.0 JSON Schema, so `ASYNCAPI_SUBSET` is a
JSON Schema, written here, of the parts of AsyncAPI 3.0 the events document uses
(info, servers, channels with AMQP bindings, operations, components), checked with
jsonschema; on top, every `$ref` must resolve, an operation's messages must be its
channel's, and every payload schema must be a valid JSON Schema (draft 7).
"""

from __future__ import annotations

from typing import Any

from .registry import Document

_ID = "^[A-Za-z0-9_.-]+$"
_REF = {"type": "object", "required": ["$ref"], "properties": {"$ref": {"type": "string"}}}
_AMQP_BINDINGS = {"type": "object", "properties": {"amqp": {
    "type": "object", "required": ["bindingVersion"],
    "properties": {"bindingVersion": {"const": "0.3.0"},
                   "is": {"enum": ["routingKey", "queue"]},
                   "exchange": {"type": "object", "required": ["name", "type"],
                                "properties": {"name": {"type": "string", "maxLength": 255},
                                               "type": {"enum": ["topic", "direct", "fanout",
                                                                 "default", "headers"]},
                                               "durable": {"type": "boolean"},
                                               "autoDelete": {"type": "boolean"},
                                               "vhost": {"type": "string"}}},
                   "queue": {"type": "object", "required": ["name"],
                             "properties": {"name": {"type": "string", "maxLength": 255},
                                            "durable": {"type": "boolean"},
                                            "exclusive": {"type": "boolean"},
                                            "autoDelete": {"type": "boolean"},
                                            "vhost": {"type": "string"}}},
                   "messageType": {"type": "string"},
                   "deliveryMode": {"enum": [1, 2]}}}}}
ASYNCAPI_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["asyncapi", "info"],
    "patternProperties": {"^x-": {}},
    "additionalProperties": False,
    "properties": {
        "asyncapi": {"const": "3.0.0"},
        "id": {"type": "string"},
        "defaultContentType": {"type": "string"},
        "info": {"type": "object", "required": ["title", "version"],
                 "properties": {"title": {"type": "string"}, "version": {"type": "string"},
                                "description": {"type": "string"}}},
        "servers": {"type": "object", "propertyNames": {"pattern": _ID},
                    "additionalProperties": {
                        "type": "object", "required": ["host", "protocol"],
                        "properties": {"host": {"type": "string"},
                                       "protocol": {"type": "string"},
                                       "protocolVersion": {"type": "string"},
                                       "description": {"type": "string"}}}},
        "channels": {"type": "object", "propertyNames": {"pattern": _ID},
                     "additionalProperties": {
                         "type": "object", "patternProperties": {"^x-": {}},
                         "additionalProperties": False,
                         "properties": {"address": {"type": ["string", "null"]},
                                        "title": {"type": "string"},
                                        "summary": {"type": "string"},
                                        "description": {"type": "string"},
                                        "messages": {"type": "object",
                                                     "propertyNames": {"pattern": _ID},
                                                     "additionalProperties": _REF},
                                        "bindings": _AMQP_BINDINGS}}},
        "operations": {"type": "object", "propertyNames": {"pattern": _ID},
                       "additionalProperties": {
                           "type": "object", "required": ["action", "channel"],
                           "patternProperties": {"^x-": {}}, "additionalProperties": False,
                           "properties": {"action": {"enum": ["send", "receive"]},
                                          "channel": _REF,
                                          "title": {"type": "string"},
                                          "summary": {"type": "string"},
                                          "description": {"type": "string"},
                                          "messages": {"type": "array", "items": _REF},
                                          "bindings": _AMQP_BINDINGS}}},
        "components": {"type": "object", "additionalProperties": False, "properties": {
            "schemas": {"type": "object", "propertyNames": {"pattern": _ID},
                        "additionalProperties": {"type": ["object", "boolean"]}},
            "messages": {"type": "object", "propertyNames": {"pattern": _ID},
                         "additionalProperties": {
                             "type": "object", "patternProperties": {"^x-": {}},
                             "additionalProperties": False,
                             "properties": {"name": {"type": "string"},
                                            "title": {"type": "string"},
                                            "summary": {"type": "string"},
                                            "description": {"type": "string"},
                                            "contentType": {"type": "string"},
                                            "payload": {"type": "object"},
                                            "bindings": _AMQP_BINDINGS}}}}},
    },
}


class InvalidDocument(ValueError):
    """A document that breaks its specification; the message names the place."""


def validate_openapi(doc: Document, name: str = "document") -> None:
    """Raise `InvalidDocument` unless `doc` is valid OpenAPI 3.1 (openapi-spec-validator)."""
    from openapi_spec_validator import OpenAPIV31SpecValidator

    errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in getattr(first, "path", []) or [])
        raise InvalidDocument(f"{name}: invalid OpenAPI 3.1 at {where or '(root)'}: "
                              f"{first.message}")


def resolve_pointer(doc: Document, ref: str) -> Any:
    """The value a local `#/a/b` reference points to (KeyError when it points nowhere)."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node: Any = doc
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _all_refs(value: Any, where: str = "#") -> list[tuple[str, str]]:
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            found.append((where, value["$ref"]))
        for k, v in value.items():
            found.extend(_all_refs(v, f"{where}/{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(_all_refs(v, f"{where}/{i}"))
    return found


def validate_asyncapi(doc: Document, name: str = "document") -> None:
    """Raise `InvalidDocument` unless `doc` is valid for the AsyncAPI 3.0 subset we use."""
    import jsonschema

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(ASYNCAPI_SUBSET).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise InvalidDocument(f"{name}: invalid AsyncAPI 3.0 at {where or '(root)'}: "
                              f"{error.message}")
    for where, ref in _all_refs(doc):
        try:
            resolve_pointer(doc, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            raise InvalidDocument(f"{name}: {where}: $ref {ref!r} points nowhere") from None
    for op_id, op in (doc.get("operations") or {}).items():
        channel = op["channel"]["$ref"]
        for message in op.get("messages") or []:
            if not message["$ref"].startswith(f"{channel}/messages/"):
                raise InvalidDocument(f"{name}: operation {op_id}: message {message['$ref']!r} "
                                      f"is not one of its channel's ({channel})")
    for schema_name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        try:
            jsonschema.Draft7Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as exc:
            raise InvalidDocument(f"{name}: schema {schema_name}: {exc.message}") from None


def validate(doc: Document, kind: str, name: str = "document") -> None:
    """Validate a document of `kind` ("openapi" or "asyncapi")."""
    (validate_openapi if kind == "openapi" else validate_asyncapi)(doc, name)
