"""Realistic values from JSON schemas: faker, steered by field names and formats.

Every value is a function of (seed, key): the same seed and the same request give the
same answer, whatever ran before. Names and formats are hints (``sku``, ``name``,
``email``, ``*_cents``, ``*_id``, ``uuid``, ``date-time``, ``uri`` ...); the schema has
the last word (type, enum, const, bounds, lengths, pattern), and every value is checked
against it.

>>> doc = {"components": {"schemas": {"Product": {"type": "object",
...     "required": ["sku", "price_cents"], "properties": {
...         "sku": {"type": "string"}, "price_cents": {"type": "integer", "minimum": 0}}}}}}
>>> fake = FakeData(SchemaChecker(doc), seed=7)
>>> a = fake.value({"$ref": "#/components/schemas/Product"}, key="GET /p/1")
>>> a == fake.value({"$ref": "#/components/schemas/Product"}, key="GET /p/1")
True
>>> sorted(a), isinstance(a["price_cents"], int), a["sku"].startswith("SKU-")
(['price_cents', 'sku'], True, True)
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from .errors import MocksError
from .schemas import SchemaChecker

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
MAX_DEPTH = 8


class FakeData:
    """Generates schema-valid, realistic values; seeded per call by ``key``."""

    def __init__(self, checker: SchemaChecker, seed: int = 0, locale: str = "en_US") -> None:
        self.checker = checker
        self.seed = seed
        self._faker = Faker(locale)

    def value(self, schema: Any, *, key: str, name: str = "") -> Any:
        """A value valid against ``schema``; ``name`` is the field name (a hint)."""
        digest = hashlib.sha256(f"{self.seed}|{key}".encode()).digest()
        number = int.from_bytes(digest[:8], "big")
        self._faker.seed_instance(number)
        rng = random.Random(number)
        value = self._gen(schema, name, rng, 0)
        problems = self.checker.problems(schema, value)
        if problems:
            raise MocksError(f"cannot generate a value for {key!r}: {problems[0]}")
        return value

    # --- by schema keyword -------------------------------------------------------------
    def _gen(self, schema: Any, name: str, rng: random.Random, depth: int) -> Any:
        if schema is True or schema == {} or schema is None:
            return self._by_name(name, rng) if name else None
        schema = self.checker.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return rng.choice(schema["enum"])
        if "examples" in schema and schema["examples"] and rng.random() < 0.5:
            return schema["examples"][0]
        for word in ("anyOf", "oneOf"):
            if word in schema:
                options = [o for o in schema[word] if self.checker.resolve(o).get("type") != "null"]
                return self._gen((options or schema[word])[0], name, rng, depth)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = self.checker.resolve(part)
                for k, v in part.items():
                    if isinstance(v, dict) and isinstance(merged.get(k), dict):
                        merged[k] = {**merged[k], **v}
                    elif isinstance(v, list) and isinstance(merged.get(k), list):
                        merged[k] = [*merged[k], *v]
                    else:
                        merged[k] = v
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self._gen({**merged, **rest}, name, rng, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = ("object" if "properties" in schema else "array" if "items" in schema
                    else "string" if self._by_name(name, rng) is not None else "object")
        make = {"object": self._object, "array": self._array, "string": self._string,
                "integer": self._integer, "number": self._number,
                "boolean": lambda s, n, r, d: r.random() < 0.5,
                "null": lambda s, n, r, d: None}[kind]
        return make(schema, name, rng, depth)

    def _object(self, schema: dict, name: str, rng: random.Random, depth: int) -> dict:
        props: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for prop, sub in props.items():
            if depth >= MAX_DEPTH and prop not in required:
                continue
            out[prop] = self._gen(sub, prop, rng, depth + 1)
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, dict) and depth < MAX_DEPTH:
            for word in self._faker.words(nb=rng.randint(1, 2), unique=True):
                out[word] = self._gen(extra, word, rng, depth + 1)
        return out

    def _array(self, schema: dict, name: str, rng: random.Random, depth: int) -> list:
        low = int(schema.get("minItems", 1 if depth < MAX_DEPTH else 0))
        high = max(low, min(int(schema.get("maxItems", 3)), 3))
        singular = name.removesuffix("s")
        items = [self._gen(schema.get("items", {}), singular, rng, depth + 1)
                 for _ in range(rng.randint(low, high))]
        if schema.get("uniqueItems"):
            unique = []
            for item in items:
                if item not in unique:
                    unique.append(item)
            items = unique
        return items

    def _integer(self, schema: dict, name: str, rng: random.Random, depth: int) -> int:
        low, high = _int_bounds(schema)
        n = name.lower()
        if n.endswith("_cents"):
            hint = (100, 99_999)
        elif n in ("quantity", "count"):
            hint = (1, 5)
        elif n in ("stock", "inventory"):
            hint = (0, 500)
        elif n in ("attempts", "retries"):
            hint = (0, 5)
        elif n in ("expires_in", "ttl"):
            hint = (300, 3600)
        elif n in ("status", "status_code", "last_status_code"):
            hint = (200, 299) if low < 400 else (low, high)
        elif n in ("limit", "page_size"):
            hint = (10, 100)
        elif n in ("offset", "page"):
            hint = (0, 0)
        else:
            hint = (0, 1000)
        lo, hi = max(low, hint[0]), min(high, hint[1])
        if lo > hi:
            lo, hi = low, min(high, low + 1000)
        value = rng.randint(lo, hi)
        step = schema.get("multipleOf")
        return value - value % step if isinstance(step, int) and step > 0 else value

    def _number(self, schema: dict, name: str, rng: random.Random, depth: int) -> float:
        low, high = _int_bounds(schema)
        return round(rng.uniform(max(low, 0), min(high, 1000)), 2)

    def _string(self, schema: dict, name: str, rng: random.Random, depth: int) -> str:
        fmt = schema.get("format", "")
        value = self._by_format(fmt, rng) if fmt else None
        if value is None:
            value = self._by_name(name, rng)
        if value is None:
            value = self._faker.word()
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            value = from_pattern(pattern, rng)
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))
        while len(value) < low:
            value += rng.choice(string.ascii_lowercase)
        return value[:high]

    # --- hints -------------------------------------------------------------------------
    def _by_format(self, fmt: str, rng: random.Random) -> str | None:
        if fmt == "uuid":
            return str(self._faker.uuid4())
        if fmt == "date-time":
            return (EPOCH + timedelta(seconds=rng.randint(0, 86_400 * 60))).isoformat()
        if fmt == "date":
            return (EPOCH + timedelta(days=rng.randint(0, 60))).date().isoformat()
        if fmt == "email":
            return self._faker.email()
        if fmt in ("uri", "url", "iri"):
            return f"https://{self._faker.domain_name()}/{self._faker.uri_path()}"
        if fmt == "hostname":
            return self._faker.domain_name()
        return None

    def _by_name(self, name: str, rng: random.Random) -> str | None:
        n = name.lower()
        f = self._faker
        table = {
            "sku": lambda: f"SKU-{f.bothify('??-####').upper()}",
            "name": lambda: f"{f.color_name()} {f.word().title()}",
            "title": lambda: f.sentence(nb_words=3).rstrip("."),
            "detail": lambda: f.sentence(),
            "description": lambda: f.sentence(),
            "reason": lambda: f.sentence(nb_words=5),
            "email": f.email,
            "username": f.user_name,
            "password": lambda: f.password(length=16),
            "url": lambda: f"https://{f.domain_name()}/{f.uri_path()}",
            "uri": lambda: f"https://{f.domain_name()}/{f.uri_path()}",
            "api_key": lambda: "sk_" + f.hexify("^" * 40),
            "access_token": lambda: ".".join(f.hexify("^" * 24) for _ in range(3)),
            "token": lambda: ".".join(f.hexify("^" * 24) for _ in range(3)),
            "token_type": lambda: "Bearer",
            "trace_id": lambda: f.hexify("^" * 32),
            "type": lambda: "about:blank",
            "status": lambda: "ok",
            "roles": lambda: "customer",
            "x-user-roles": lambda: "customer",
            "currency": f.currency_code,
            "event": lambda: rng.choice(["order.created", "order.paid"]),
            "last_error": lambda: f.sentence(nb_words=4),
        }
        if n in table:
            return table[n]()
        if n == "id" or n.endswith(("_id", "-id")):
            return str(f.uuid4())
        if n.endswith("_at"):
            return self._by_format("date-time", rng)
        if n.endswith(("url", "_uri")):
            return table["url"]()
        return None


def _int_bounds(schema: dict) -> tuple[int, int]:
    low = schema.get("minimum", -(2**31))
    high = schema.get("maximum", 2**31)
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + 1
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - 1
    return int(low), int(high)


def from_pattern(pattern: str, rng: random.Random, limit: int = 12) -> str:
    """A string matching a (simple) regular expression.

    >>> import random, re
    >>> s = from_pattern(r"^[A-Za-z0-9._-]+$", random.Random(1))
    >>> bool(re.fullmatch(r"[A-Za-z0-9._-]+", s))
    True
    """
    import re._parser as sre  # the standard library's own regex parser

    def emit(items: Any) -> str:
        out = ""
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out += chr(arg)
            elif name == "ANY":
                out += rng.choice(string.ascii_letters)
            elif name == "IN":
                out += _one_of(arg)
            elif name in ("MAX_REPEAT", "MIN_REPEAT"):
                low, high, sub = arg
                high = min(high, low + limit) if high != sre.MAXREPEAT else low + rng.randint(1, 8)
                out += "".join(emit(sub) for _ in range(rng.randint(max(low, 1) if low else 1,
                                                                     max(high, 1))))
            elif name == "SUBPATTERN":
                out += emit(arg[-1])
            elif name == "BRANCH":
                out += emit(rng.choice(arg[1]))
            elif name == "CATEGORY":
                out += _category(str(arg))
        return out

    def _one_of(arg: Any) -> str:
        choices: list[str] = []
        for op, value in arg:
            name = str(op)
            if name == "LITERAL":
                choices.append(chr(value))
            elif name == "RANGE":
                choices.extend(chr(c) for c in range(value[0], value[1] + 1))
            elif name == "CATEGORY":
                choices.append(_category(str(value)))
        return rng.choice(choices or ["x"])

    def _category(cat: str) -> str:
        if "DIGIT" in cat:
            return rng.choice(string.digits)
        if "SPACE" in cat:
            return " "
        return rng.choice(string.ascii_letters)

    return emit(sre.parse(pattern))
