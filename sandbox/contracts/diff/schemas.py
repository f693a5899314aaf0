"""JSON Schema differences, judged by direction: what a client sends, or what it receives.

`direction="request"`: the new schema must accept everything the old one accepted, so a
narrowed type, a new enum, a lowered maximum, a new required field are breaking.
`direction="response"`: everything the new schema allows must be allowed by the old
one, so a removed field, a field no longer always present, a widened type or a new enum
value are breaking. `$ref`s are resolved against each schema's own document.

>>> old = {"type": "object", "required": ["price"], "properties": {"price": {"type": "number"}}}
>>> new = {"type": "object", "required": ["price"], "properties": {"price": {"type": "integer"}}}
>>> [str(c) for c in diff_schemas(old, new, direction="request", where="x", context="body")]
["x: body field 'price' type narrowed number → integer"]
>>> diff_schemas(old, new, direction="response", where="x", context="body")[0].breaking
False
"""

from __future__ import annotations

from typing import Any, Literal

from .changes import Change

Direction = Literal["request", "response"]
JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


def resolve(schema: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> tuple[Any, tuple[str, ...]]:
    """Follow `$ref`s (and single-entry `allOf`) to the schema they name."""
    while isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                return {}, seen  # a recursive schema: compared once
            seen = (*seen, ref)
            node: Any = root
            for part in ref[2:].split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) \
                    if isinstance(node, dict) else {}
            schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
            continue
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **all_of[0]}
            continue
        break
    return schema, seen


def _types(schema: dict[str, Any], root: dict[str, Any], seen: tuple[str, ...]) -> set[str] | None:
    """The JSON types a schema allows (None: any); `anyOf`/`oneOf` variants are joined."""
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list):
        found: set[str] = set()
        for variant in variants:
            resolved, _ = resolve(variant, root, seen)
            types = _types(resolved, root, seen) if isinstance(resolved, dict) else None
            if types is None:
                return None
            found |= types
        return found
    if "const" in schema:
        return {json_type(schema["const"])}
    kind = schema.get("type")
    if kind is None:
        if "properties" in schema:
            return {"object"}
        if "enum" in schema:
            return {json_type(v) for v in schema["enum"]}
        return None
    return set(kind) if isinstance(kind, list) else {kind}


def json_type(value: Any) -> str:
    """The JSON Schema type of a parsed JSON value ("integer" for a whole int)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "string")


def _accepts(wide: set[str] | None, narrow: set[str] | None) -> bool:
    """True when every value of types `narrow` is of types `wide`."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _fmt(types: set[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _main_variant(schema: dict[str, Any], root: dict[str, Any],
                  seen: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The non-null variant of `anyOf: [X, {type: null}]` (pydantic's optional), else itself."""
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list):
        others = [v for v in variants if v != {"type": "null"}]
        if len(others) == 1:
            resolved, seen = resolve(others[0], root, seen)
            if isinstance(resolved, dict):
                return resolved, seen
    return schema, seen


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


class _Differ:
    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any], direction: Direction,
                 where: str, context: str) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.direction = direction
        self.where, self.context = where, context
        self.changes: list[Change] = []
        self.compared: set[tuple[tuple[str, ...], tuple[str, ...], str]] = set()

    def note(self, breaking: bool, field: str, what: str) -> None:
        label = f"{self.context} field '{field}'" if field else self.context
        self.changes.append(Change(breaking, self.where, f"{label} {what}"))

    def narrowed(self, field: str, what: str) -> None:
        """A change that rejects what was accepted: breaking in a request."""
        self.note(self.direction == "request", field, what)

    def widened(self, field: str, what: str) -> None:
        """A change that allows what was not: breaking in a response."""
        self.note(self.direction == "response", field, what)

    def compare(self, old: Any, new: Any, field: str, old_seen: tuple[str, ...] = (),
                new_seen: tuple[str, ...] = ()) -> None:
        old, old_seen = resolve(old, self.old_root, old_seen)
        new, new_seen = resolve(new, self.new_root, new_seen)
        key = (old_seen, new_seen, field)
        if key in self.compared or not isinstance(old, dict) or not isinstance(new, dict):
            return
        self.compared.add(key)
        old_types = _types(old, self.old_root, old_seen)
        new_types = _types(new, self.new_root, new_seen)
        if not _accepts(new_types, old_types):
            self.narrowed(field, f"type narrowed {_fmt(old_types)} → {_fmt(new_types)}")
        elif not _accepts(old_types, new_types):
            self.widened(field, f"type widened {_fmt(old_types)} → {_fmt(new_types)}")
        old, old_seen = _main_variant(old, self.old_root, old_seen)
        new, new_seen = _main_variant(new, self.new_root, new_seen)
        self._enums(old, new, field)
        self._bounds(old, new, field)
        self._objects(old, new, field, old_seen, new_seen)
        if "items" in old and "items" in new:
            self.compare(old["items"], new["items"], f"{field}[]", old_seen, new_seen)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{field}{{}}", old_seen, new_seen)

    def _enums(self, old: dict[str, Any], new: dict[str, Any], field: str) -> None:
        old_enum, new_enum = _enum(old), _enum(new)
        if old_enum is None and new_enum is not None:
            self.narrowed(field, f"new enum restriction {new_enum}")
        elif old_enum is not None and new_enum is None:
            self.widened(field, f"enum restriction {old_enum} removed")
        elif old_enum is not None and new_enum is not None:
            removed = [v for v in old_enum if v not in new_enum]
            added = [v for v in new_enum if v not in old_enum]
            if removed:
                self.narrowed(field, f"enum value(s) {removed} removed")
            if added:
                self.widened(field, f"enum value(s) {added} added")

    def _bounds(self, old: dict[str, Any], new: dict[str, Any], field: str) -> None:
        for key in UPPER_BOUNDS + LOWER_BOUNDS:
            before, after = old.get(key), new.get(key)
            if before == after or isinstance(before, bool) or isinstance(after, bool):
                continue
            upper = key in UPPER_BOUNDS
            if before is None:
                self.narrowed(field, f"new {key} {after}")
            elif after is None:
                self.widened(field, f"{key} {before} removed")
            elif (after < before) == upper:
                self.narrowed(field, f"{key} {'lowered' if upper else 'raised'} {before} → {after}")
            else:
                self.widened(field, f"{key} {'raised' if upper else 'lowered'} {before} → {after}")
        for key in ("pattern", "format"):
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            if after is not None:
                self.narrowed(field, f"{key} {'changed' if before else 'added'}: {after!r}")
            else:
                self.widened(field, f"{key} {before!r} removed")

    def _objects(self, old: dict[str, Any], new: dict[str, Any], field: str,
                 old_seen: tuple[str, ...], new_seen: tuple[str, ...]) -> None:
        old_props, new_props = old.get("properties"), new.get("properties")
        if not isinstance(old_props, dict) or not isinstance(new_props, dict):
            return
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        prefix = f"{field}." if field else ""
        request = self.direction == "request"
        for name in old_props:
            path = prefix + name
            if name not in new_props:
                closed = new.get("additionalProperties") is False
                self.note(not request or closed, path,
                          "removed" + (" (and now refused)" if request and closed else ""))
            elif name in old_required and name not in new_required:
                self.note(not request, path, "no longer required")
            elif name in new_required and name not in old_required:
                self.note(request, path, "now required")
        for name in new_props:
            if name not in old_props:
                required = name in new_required
                self.note(request and required, prefix + name,
                          f"added ({'required' if required else 'optional'})")
        for name in old_props:
            if name in new_props:
                self.compare(old_props[name], new_props[name], prefix + name, old_seen, new_seen)


def diff_schemas(old: Any, new: Any, *, direction: Direction, where: str, context: str,
                 old_root: dict[str, Any] | None = None,
                 new_root: dict[str, Any] | None = None) -> list[Change]:
    """The changes from schema `old` to `new`; `$ref`s resolve in `old_root` / `new_root`."""
    differ = _Differ(old_root if old_root is not None else {},
                     new_root if new_root is not None else {}, direction, where, context)
    differ.compare(old, new, "")
    return differ.changes
