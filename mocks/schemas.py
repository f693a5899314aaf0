"""JSON Schema checks of a contract document's schemas, with errors that name the field.

A document's local references (``#/components/schemas/Product``) are rewritten once to
``urn:contract#/...`` so that any schema found inside the document validates on its own.

>>> doc = {"components": {"schemas": {"P": {"type": "object", "required": ["sku"],
...        "properties": {"price_cents": {"type": "integer"}, "sku": {"type": "string"}}}}}}
>>> SchemaChecker(doc).problems({"$ref": "#/components/schemas/P"}, {"price_cents": "x"})
["price_cents: 'x' is not of type 'integer'", "sku: 'sku' is a required property"]
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE_URI = "urn:contract"
FORMATS = FormatChecker()


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("no time zone")
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if isinstance(value, str):
        parts = urlsplit(value)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise ValueError("not an absolute URI")
    return True


@FORMATS.checks("email")
def _email(value: object) -> bool:
    return not isinstance(value, str) or ("@" in value and "." in value.rsplit("@", 1)[-1])


def _absolute_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (BASE_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#")
                    else _absolute_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def field_path(parts: Any) -> str:
    """``["items", 0, "sku"]`` → ``items[0].sku``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class SchemaChecker:
    """Validates values against schemas taken from one contract document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = _absolute_refs(document)
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(BASE_URI, resource)
        self._resolver = self.registry.resolver(base_uri=BASE_URI)

    def absolute(self, schema: Any) -> Any:
        """A schema taken from the original document, its references made absolute."""
        return _absolute_refs(schema)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` until a schema without one (siblings of ``$ref`` are merged in)."""
        seen = 0
        schema = _absolute_refs(schema)
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            target = self._resolver.lookup(schema["$ref"]).contents
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        return schema

    def errors(self, schema: Any, instance: Any) -> list[ValidationError]:
        validator = Draft202012Validator(_absolute_refs(schema), registry=self.registry,
                                         format_checker=FORMATS)
        return sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])

    def problems(self, schema: Any, instance: Any, prefix: str = "") -> list[str]:
        """One line per violation: ``<field path>: <reason>`` (``prefix`` starts the path)."""
        lines = []
        for error in self.errors(schema, instance):
            if error.context:
                error = best_match(error.context) or error
            parts = [prefix] if prefix else []
            parts += list(error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, dict):
                missing = [p for p in error.validator_value if p not in error.instance]
                parts += [next((p for p in missing if repr(p) in error.message), *missing[:1])]
            where = field_path(parts) or "(document)"
            lines.append(f"{where}: {error.message}")
        return sorted(lines)
