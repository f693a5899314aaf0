"""The OTLP JSON mapping of trace messages, both ways.

OTLP/JSON is protobuf's JSON mapping with one exception: trace and span ids are hex
strings, not base64. `google.protobuf.json_format` does the rest (lowerCamelCase or
original field names, enums as ints or names, int64 as strings or numbers).

>>> from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
...     ExportTraceServiceRequest)
>>> doc = {"resourceSpans": [{"scopeSpans": [{"spans": [
...     {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
...      "name": "GET /", "kind": 2, "startTimeUnixNano": "1544712660000000000"}]}]}]}
>>> request = message_from_json(doc, ExportTraceServiceRequest())
>>> request.resource_spans[0].scope_spans[0].spans[0].span_id.hex()
'eee19b7ec3c1b174'
>>> message_to_json(request)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
'5b8efff798038103d269b633813fc60c'
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)
_HEX = re.compile(r"[0-9a-fA-F]*")
# (names of the field in both spellings, hex digits of a valid id)
_SPAN_IDS = ((("traceId", "trace_id"), 32), (("spanId", "span_id"), 16),
             (("parentSpanId", "parent_span_id"), 16))
_LINK_IDS = ((("traceId", "trace_id"), 32), (("spanId", "span_id"), 16))
Convert = Callable[[str, int, str], str]


class OtlpJsonError(ValueError):
    """A JSON document that is not an OTLP trace message; the text is one line."""


def message_from_json(doc: Any, message: M) -> M:
    """Fill `message` (ExportTraceServiceRequest or TracesData) from an OTLP JSON document."""
    if not isinstance(doc, dict):
        raise OtlpJsonError("the body is not a JSON object")
    _convert_ids(doc, _hex_to_base64)
    try:
        return json_format.ParseDict(doc, message, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        raise OtlpJsonError(" ".join(str(exc).split())[:300]) from None


def message_to_json(message: Message) -> dict[str, Any]:
    """The OTLP JSON document of a message: camelCase, enums as ints, hex ids."""
    doc = json_format.MessageToDict(message, use_integers_for_enums=True)
    _convert_ids(doc, _base64_to_hex)
    return doc


def _hex_to_base64(where: str, digits: int, value: str) -> str:
    if not isinstance(value, str):
        raise OtlpJsonError(f"{where} is not a string of {digits} hex digits")
    if value == "":
        return value  # absent: the span is rejected later, not the request
    if len(value) != digits or not _HEX.fullmatch(value):
        raise OtlpJsonError(f"{where} {value[:40]!r} is not {digits} hex digits")
    return base64.b64encode(binascii.unhexlify(value)).decode()


def _base64_to_hex(_where: str, _digits: int, value: str) -> str:
    return base64.b64decode(value).hex()


def _items(doc: Any, *names: str) -> list[Any]:
    """The list under the first of `names` present in `doc` ([] when absent or not a list)."""
    if not isinstance(doc, dict):
        return []
    for name in names:
        if name in doc:
            value = doc[name]
            return value if isinstance(value, list) else []
    return []


def _convert_fields(doc: Any, fields: tuple[tuple[tuple[str, str], int], ...], where: str,
                    convert: Convert) -> None:
    if not isinstance(doc, dict):
        return
    for names, digits in fields:
        for name in names:
            if name in doc:
                doc[name] = convert(f"{where}.{name}", digits, doc[name])


def _convert_ids(doc: dict[str, Any], convert: Convert) -> None:
    for r, resource_spans in enumerate(_items(doc, "resourceSpans", "resource_spans")):
        for s, scope_spans in enumerate(_items(resource_spans, "scopeSpans", "scope_spans")):
            for n, span in enumerate(_items(scope_spans, "spans")):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _convert_fields(span, _SPAN_IDS, where, convert)
                for k, link in enumerate(_items(span, "links")):
                    _convert_fields(link, _LINK_IDS, f"{where}.links[{k}]", convert)
