"""JSON as Toxiproxy's Go server reads and writes it, so clients see the same texts.

Reading (``decode``) behaves like Go's ``json.Decoder.Decode`` into a typed value: one
value is read and what follows it is ignored; syntax errors and type errors carry Go's
wording; object keys match field names case-insensitively; ``null`` leaves a field as it
was. Writing (``dumps``) is ``json.Marshal``'s: compact, ``<>&`` escaped, float32 numbers
in their shortest form.

>>> decode(b'{"NAME": "db", "enabled": null}', PROXY)
{'name': 'db'}
>>> try:
...     decode(b'{"name": 5}', PROXY)
... except GoJsonError as exc:
...     print(exc)
json: cannot unmarshal number into Go struct field Proxy.name of type string
>>> dumps({"name": "a->b", "toxicity": Float32(0.3)})
'{"name":"a-\\\\u003eb","toxicity":0.3}'
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class GoJsonError(ValueError):
    """A decoding error, worded as Go's encoding/json words it."""


class Number(str):
    """A JSON number, kept as its literal (Go converts it only for its target type)."""


# --- the scanner ------------------------------------------------------------------------
_WS = b" \t\r\n"


def _quote_char(c: int) -> str:
    if c == ord("'"):
        return "'\\''"
    if c == ord('"'):
        return "'\"'"
    ch = chr(c)
    if ch.isprintable():
        return f"'{ch}'"
    named = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}
    if c in named:
        return f"'{named[c]}'"
    return f"'\\x{c:02x}'" if c < 0x80 else f"'\\u{c:04x}'"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, context: str) -> GoJsonError:
        if self.pos >= len(self.data):
            return GoJsonError("unexpected EOF")
        return GoJsonError(f"invalid character {_quote_char(self.data[self.pos])} {context}")

    def skip_ws(self) -> int | None:
        while self.pos < len(self.data) and self.data[self.pos] in _WS:
            self.pos += 1
        return self.data[self.pos] if self.pos < len(self.data) else None

    def value(self) -> Any:
        c = self.skip_ws()
        if c == ord("{"):
            return self.obj()
        if c == ord("["):
            return self.array()
        if c == ord('"'):
            return self.string()
        if c is not None and (c == ord("-") or ord("0") <= c <= ord("9")):
            return self.number()
        for word, result in ((b"true", True), (b"false", False), (b"null", None)):
            if c == word[0]:
                return self.literal(word, result)
        raise self.fail("looking for beginning of value")

    def literal(self, word: bytes, result: Any) -> Any:
        self.pos += 1
        for expected in word[1:]:
            if self.pos < len(self.data) and self.data[self.pos] == expected:
                self.pos += 1
                continue
            name = word.decode()
            raise self.fail(f"in literal {name} (expecting {_quote_char(expected)})")
        return result

    def number(self) -> Number:
        start = self.pos
        if self.data[self.pos] == ord("-"):
            self.pos += 1
        if self._peek() == ord("0"):
            self.pos += 1
        elif self._digits() == 0:
            raise self.fail("in numeric literal")
        if self._peek() == ord("."):
            self.pos += 1
            if self._digits() == 0:
                raise self.fail("after decimal point in numeric literal")
        if self._peek() in (ord("e"), ord("E")):
            self.pos += 1
            if self._peek() in (ord("+"), ord("-")):
                self.pos += 1
            if self._digits() == 0:
                raise self.fail("in exponent of numeric literal")
        return Number(self.data[start : self.pos].decode())

    def _peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def _digits(self) -> int:
        start = self.pos
        while self.pos < len(self.data) and 0x30 <= self.data[self.pos] <= 0x39:
            self.pos += 1
        return self.pos - start

    def string(self) -> str:
        self.pos += 1
        start = self.pos
        while True:
            c = self._peek()
            if c is None:
                raise self.fail("")
            if c == ord('"'):
                raw = self.data[start : self.pos]
                self.pos += 1
                return _unescape(raw)
            if c < 0x20:
                raise self.fail("in string literal")
            if c == ord("\\"):
                self.pos += 1
                e = self._peek()
                if e is None:
                    raise self.fail("")
                if e == ord("u"):
                    for _ in range(4):
                        self.pos += 1
                        h = self._peek()
                        if h is None:
                            raise self.fail("")
                        if chr(h) not in "0123456789abcdefABCDEF":
                            raise self.fail("in \\u hexadecimal character escape")
                elif e not in b'"\\/bfnrt':
                    raise self.fail("in string escape code")
            self.pos += 1

    def obj(self) -> dict[str, Any]:
        self.pos += 1
        result: list[tuple[str, Any]] = []
        c = self.skip_ws()
        if c == ord("}"):
            self.pos += 1
            return _Pairs(result)
        while True:
            if self.skip_ws() != ord('"'):
                raise self.fail("looking for beginning of object key string")
            key = self.string()
            if self.skip_ws() != ord(":"):
                raise self.fail("after object key")
            self.pos += 1
            result.append((key, self.value()))
            c = self.skip_ws()
            if c == ord(","):
                self.pos += 1
                continue
            if c == ord("}"):
                self.pos += 1
                return _Pairs(result)
            raise self.fail("after object key:value pair")

    def array(self) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        if self.skip_ws() == ord("]"):
            self.pos += 1
            return result
        while True:
            result.append(self.value())
            c = self.skip_ws()
            if c == ord(","):
                self.pos += 1
                continue
            if c == ord("]"):
                self.pos += 1
                return result
            raise self.fail("after array element")


class _Pairs(dict):  # type: ignore[type-arg]
    """An object with its keys in document order, duplicates kept (Go applies each)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    if "\\" not in text:
        return text
    decoded = json.loads(f'"{text}"')
    # lone surrogates become U+FFFD, as Go does
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", errors="replace")


def parse(data: bytes) -> Any:
    """The first JSON value of ``data`` (``EOF`` when there is none)."""
    reader = _Reader(data)
    if reader.skip_ws() is None:
        raise GoJsonError("EOF")
    return reader.value()


# --- Go types -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GoType:
    """A Go type a JSON value is decoded into: ``kind`` is string, bool, int64, float32,
    struct (``fields`` by JSON name), slice (``elem``), opaque (any object) or iface."""

    kind: str
    name: str
    fields: dict[str, GoType] = field(default_factory=dict)
    elem: GoType | None = None
    struct_name: str = ""  # how Go names the struct in "Go struct field X.path"


STRING = GoType("string", "string")
BOOL = GoType("bool", "bool")
INT64 = GoType("int64", "int64")
FLOAT32 = GoType("float32", "float32")
LOGGER = GoType("opaque", "zerolog.Logger")

PROXY = GoType(
    "struct",
    "toxiproxy.Proxy",
    {"name": STRING, "listen": STRING, "upstream": STRING, "enabled": BOOL, "Logger": LOGGER},
    struct_name="Proxy",
)
_ITEM = GoType(
    "struct",
    'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }',
    {"name": STRING, "listen": STRING, "upstream": STRING, "enabled": BOOL, "Logger": LOGGER},
)
POPULATE = GoType("slice", f"[]{_ITEM.name}", elem=_ITEM)


def toxic_wrapper(attributes: GoType) -> GoType:
    """Toxiproxy's ToxicWrapper with its ``attributes`` decoded as ``attributes``."""
    fields = {"attributes": attributes, "name": STRING, "type": STRING, "stream": STRING,
              "toxicity": FLOAT32}
    return GoType("struct", "toxics.ToxicWrapper", fields, struct_name="ToxicWrapper")


def toxic_attributes(go_name: str, names: list[str]) -> GoType:
    """A toxic's attribute struct (``toxics.LatencyToxic``), every field an int64."""
    return GoType("struct", f"toxics.{go_name}", dict.fromkeys(names, INT64),
                  struct_name=go_name)


def toxic_update(attributes: GoType) -> GoType:
    """The anonymous struct Toxiproxy decodes a toxic update into."""
    name = ('struct { Attributes interface {} "json:\\"attributes\\""; '
            'Toxicity float32 "json:\\"toxicity\\"" }')
    return GoType("struct", name, {"attributes": attributes, "toxicity": FLOAT32})


def toxic_create_attributes(attributes: GoType) -> GoType:
    """The anonymous struct Toxiproxy decodes a new toxic's attributes with."""
    return GoType("struct", 'struct { Attributes interface {} "json:\\"attributes\\"" }',
                  {"attributes": attributes})


_INT = re.compile(r"-?[0-9]+\Z")


class _Decoder:
    def __init__(self) -> None:
        self.error: GoJsonError | None = None

    def type_error(self, what: str, target: GoType, where: tuple[str, str] | None) -> None:
        if self.error is not None:
            return
        if where is None:
            text = f"json: cannot unmarshal {what} into Go value of type {target.name}"
        else:
            text = (f"json: cannot unmarshal {what} into Go struct field "
                    f"{where[0]}.{where[1]} of type {target.name}")
        self.error = GoJsonError(text)

    def value(self, value: Any, target: GoType, where: tuple[str, str] | None,
              path: str) -> Any:
        """The decoded value, or None when nothing is to be set."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = Number(json.dumps(value))  # a value built in Python, not parsed
        what = _kind(value)
        if target.kind == "string":
            return value if isinstance(value, str) and not isinstance(value, Number) else \
                self.type_error(what, target, where)
        if target.kind == "bool":
            return value if isinstance(value, bool) else self.type_error(what, target, where)
        if target.kind == "int64":
            if not isinstance(value, Number):
                return self.type_error(what, target, where)
            if _INT.match(value) and -(2**63) <= int(value) < 2**63:
                return int(value)
            return self.type_error(f"number {value}", target, where)
        if target.kind == "float32":
            if not isinstance(value, Number):
                return self.type_error(what, target, where)
            try:
                return Float32(struct.unpack("<f", struct.pack("<f", float(value)))[0])
            except OverflowError:
                return self.type_error(f"number {value}", target, where)
        if target.kind == "opaque":
            return {} if isinstance(value, dict) else self.type_error(what, target, where)
        if target.kind == "slice":
            if not isinstance(value, list):
                return self.type_error(what, target, where)
            assert target.elem is not None
            return [self.value(item, target.elem, where, path) for item in value]
        if not isinstance(value, dict):  # a struct
            return self.type_error(what, target, where)
        result: dict[str, Any] = {}
        pairs = value.pairs if isinstance(value, _Pairs) else list(value.items())
        folded = {name.lower(): name for name in target.fields}
        for key, item in pairs:
            name = key if key in target.fields else folded.get(key.lower())
            if name is None:
                continue
            sub_path = f"{path}.{name}" if path else name
            decoded = self.value(item, target.fields[name], (target.struct_name, sub_path),
                                 sub_path)
            if decoded is not None:
                if isinstance(decoded, dict) and isinstance(result.get(name), dict):
                    result[name].update(decoded)
                else:
                    result[name] = decoded
        return result


def _kind(value: Any) -> str:
    if isinstance(value, Number):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "array"
    return "object"


def decode_value(value: Any, target: GoType) -> Any:
    """A parsed value decoded into ``target``; raises the first type error, as Go."""
    decoder = _Decoder()
    result = decoder.value(value, target, None, "")
    if decoder.error is not None:
        raise decoder.error
    return result


def decode(data: bytes, target: GoType) -> Any:
    """``data`` decoded into ``target`` (None for ``null``): the fields that were set."""
    return decode_value(parse(data), target)


# --- writing ------------------------------------------------------------------------------
class Float32(float):
    """A float32 value, written in its shortest float32 form (``0.3``, not ``0.30000001``)."""

    def go_text(self) -> str:
        for digits in range(1, 10):
            text = f"{self:.{digits}g}"
            if struct.unpack("<f", struct.pack("<f", float(text)))[0] == self:
                break
        exact = Decimal(text)
        if exact == 0 or Decimal("1e-6") <= abs(exact) < Decimal("1e21"):
            plain = format(exact, "f")
            return plain.rstrip("0").rstrip(".") if "." in plain else plain
        mantissa, _, exponent = f"{float(text):.{digits - 1}e}".partition("e")
        if exponent.startswith("-0"):  # json.Marshal writes 1e-7, not 1e-07
            exponent = "-" + exponent[2:]
        return f"{mantissa}e{exponent}"


_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}
_ESCAPED = re.compile("[<>&\u2028\u2029]")


def _text(value: Any) -> str:
    if isinstance(value, Float32):
        return value.go_text()
    if isinstance(value, dict):
        return "{" + ",".join(f"{_text(k)}:{_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    text = json.dumps(value, ensure_ascii=False)
    return _ESCAPED.sub(lambda m: _ESCAPES[m.group()], text) if isinstance(value, str) else text


def dumps(value: Any) -> str:
    """``value`` as Go's ``json.Marshal`` writes it."""
    return _text(value)
