"""OTLP attribute values as plain Python values and as the strings searches compare.

>>> from opentelemetry.proto.common.v1.common_pb2 import AnyValue
>>> as_string(AnyValue(double_value=0.00001)), as_string(AnyValue(bool_value=True))
('0.00001', 'true')
>>> v = AnyValue(); _ = v.array_value.values.add(int_value=1); as_string(v)
'[1]'
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


def plain(value: AnyValue) -> Any:
    """The value as str, bool, int, float, bytes, list or dict (None when empty)."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [plain(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: plain(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def _json_ready(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return format_double(value)
    return value


def format_double(number: float) -> str:
    """A double as Go's shortest 'f' format writes it: 3 -> "3", 1e-05 -> "0.00001"."""
    if not math.isfinite(number):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(number)]
    return format(Decimal(repr(number)).normalize(), "f")


def as_string(value: AnyValue) -> str:
    """The value as a string, the way a search compares it (and Jaeger shows maps, lists)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return format_double(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if kind is None:
        return ""
    return json.dumps(_json_ready(plain(value)), separators=(",", ":"))


def find(attributes: Iterable[KeyValue], key: str) -> AnyValue | None:
    """The value of `key` among `attributes`, or None."""
    for attr in attributes:
        if attr.key == key:
            return attr.value
    return None
