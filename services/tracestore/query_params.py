"""The query parameters of Jaeger's APIs -> `TraceQuery`; `BadParameter` (400) when malformed.

>>> go_duration("1.5s"), go_duration("1h30m"), go_duration("10µs")
(1500000000, 5400000000000, 10000)
>>> go_duration("2d")
Traceback (most recent call last):
services.tracestore.query_params.BadParameter: time: unknown unit "d" in duration "2d"
>>> rfc3339_ns("2024-05-01T10:00:00.000000001Z")
1714557600000000001
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from .trace_query import TraceQuery

DEFAULT_LIMIT = 100
MAX_DURATION_NS = 2**63 - 1
DEFAULT_LOOKBACK_NS = 2 * 24 * 3600 * 10**9  # Jaeger's default search window: two days
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9,
          "m": 60 * 10**9, "h": 3600 * 10**9}
_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?"
                      r"(?:([Zz])|([+-])(\d{2}):(\d{2}))")
_LOOKBACK_DAYS = re.compile(r"(\d+)d")
_HEX_ID = re.compile(r"[0-9a-fA-F]+")


class BadParameter(ValueError):
    """A parameter that cannot be used; the text is the one-line reason."""


class Params:
    """A read-only view of a query string: `get(name)` the first value, `all(name)` every one."""

    def __init__(self, get_list: Callable[[str], Sequence[str]]) -> None:
        self._get_list = get_list

    def all(self, name: str) -> list[str]:
        return list(self._get_list(name))

    def get(self, name: str) -> str:
        values = self._get_list(name)
        return values[0] if values else ""

    def first(self, *names: str) -> tuple[str, str]:
        """(value, name) of the first of `names` given (canonical name first)."""
        for name in names:
            if value := self.get(name):
                return value, name
        return "", names[-1]


def go_duration(text: str) -> int:
    """A Go duration string ("300ms", "-1.5h", "2h45m") in nanoseconds."""
    invalid = BadParameter(f'time: invalid duration "{text}"')
    body = text[1:] if text[:1] in "+-" else text
    sign = -1 if text[:1] == "-" else 1
    if body == "0":
        return 0
    if not body:
        raise invalid
    total = Decimal(0)
    position = 0
    while position < len(body):
        match = _PART.match(body, position)
        assert match is not None
        number, unit = match.groups()
        if number in ("", "."):
            raise invalid
        if not unit:
            raise BadParameter(f'time: missing unit in duration "{text}"')
        if unit not in _UNITS:
            raise BadParameter(f'time: unknown unit "{unit}" in duration "{text}"')
        total += Decimal(number if number[0] != "." else "0" + number) * _UNITS[unit]
        position = match.end()
    if total > MAX_DURATION_NS:
        raise invalid  # Go's durations are int64 nanoseconds
    return sign * int(total)


def rfc3339_ns(text: str) -> int:
    """An RFC 3339 time (fractions to the nanosecond) in nanoseconds since the epoch."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 time such as 2024-05-01T10:00:00Z")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, _, sign, off_h, off_m = match.groups()[6:]
    try:
        seconds = calendar.timegm(datetime(year, month, day, hour, minute, second).timetuple())
    except ValueError:
        raise ValueError(f"{text!r} is not a valid time") from None
    if sign:
        offset = (int(off_h) * 60 + int(off_m)) * 60
        seconds -= offset if sign == "+" else -offset
    nanos = int((fraction or ".0")[1:].ljust(9, "0"))
    return seconds * 10**9 + nanos


def _tags_json(text: str, name: str) -> dict[str, str]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BadParameter(f"malformed '{name}' parameter, cannot unmarshal JSON: {exc}"
                           ) from None
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise BadParameter(f"malformed '{name}' parameter: expecting a JSON object of "
                           'strings, such as {"http.status_code":"200"}')
    return doc


def _int(text: str, name: str, positive: bool = False) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise BadParameter(f"unable to parse param '{name}': {text!r} is not an integer"
                           ) from None
    if positive and value <= 0:
        raise BadParameter(f"unable to parse param '{name}': {value} is not greater than 0")
    return value


def _duration(text: str, name: str, message: str = "unable to parse param '{}': {}") -> int:
    try:
        return go_duration(text)
    except BadParameter as exc:
        raise BadParameter(message.format(name, exc)) from None


def _check_durations(low: int | None, high: int | None, low_name: str, high_name: str) -> None:
    if low is not None and high is not None and high < low:
        raise BadParameter(f"'{high_name}' should be greater than '{low_name}'")


def v1_trace_query(params: Params, now_ns: int | None = None) -> tuple[TraceQuery, list[str]]:
    """`GET /api/traces` parameters -> (search, trace ids asked for with `traceID=`).

    `start`/`end` are µs since the epoch (end: now; start: `lookback` before end when
    given, such as 1h or 2d, else two days before end); `minDuration`/`maxDuration` Go
    durations; `tags` a JSON object, `tag` key:value; `limit` traces (100)."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    end_text, start_text = params.get("end"), params.get("start")
    end_ns = _int(end_text, "end") * 1000 if end_text else now_ns
    if start_text:
        start_ns = _int(start_text, "start") * 1000
    else:
        start_ns = end_ns - _lookback_ns(params.get("lookback"))
    tags: dict[str, str] = {}
    for tag in params.all("tag"):
        key, sep, value = tag.partition(":")
        if not sep:
            raise BadParameter(f"malformed 'tag' parameter, expecting key:value, received: {tag}")
        tags[key] = value
    for text in params.all("tags"):
        tags.update(_tags_json(text, "tags"))
    limit_text = params.get("limit")
    limit = _int(limit_text, "limit", positive=True) if limit_text else DEFAULT_LIMIT
    low = _duration(params.get("minDuration"), "minDuration") if params.get("minDuration") else None
    high = _duration(params.get("maxDuration"), "maxDuration") if params.get("maxDuration") else None
    _check_durations(low, high, "minDuration", "maxDuration")
    trace_ids = params.all("traceID")
    for trace_id in trace_ids:
        try:
            trace_id_bytes(trace_id)
        except ValueError as exc:
            raise BadParameter(f"cannot parse traceID param: {exc}") from None
    query = TraceQuery(service=params.get("service"), operation=params.get("operation"),
                       tags=tags, start_min_ns=start_ns, start_max_ns=end_ns,
                       duration_min_ns=low, duration_max_ns=high, limit=limit)
    return query, trace_ids


def _lookback_ns(text: str) -> int:
    if not text or text == "custom":
        return DEFAULT_LOOKBACK_NS
    days = _LOOKBACK_DAYS.fullmatch(text)
    if days:
        return int(days.group(1)) * 24 * 3600 * 10**9
    return _duration(text, "lookback")


def v3_trace_query(params: Params) -> TraceQuery:
    """api_v3 `GET /api/v3/traces` parameters (camelCase names, or the older snake_case) -> search.

    `query.start_time_min` and `query.start_time_max` (RFC 3339) are required."""
    bad = "malformed parameter {}: {}"
    service, _ = params.first("query.serviceName", "query.service_name")
    operation, _ = params.first("query.operationName", "query.operation_name")
    tags: dict[str, str] = {}
    if text := params.get("query.attributes"):
        tags = _tags_json(text, "query.attributes")
    low_text, low_name = params.first("query.startTimeMin", "query.start_time_min")
    high_text, high_name = params.first("query.startTimeMax", "query.start_time_max")
    if not low_text or not high_text:
        raise BadParameter("query.start_time_min and query.start_time_max are required")
    times = []
    for text, name in ((low_text, low_name), (high_text, high_name)):
        try:
            times.append(rfc3339_ns(text))
        except ValueError as exc:
            raise BadParameter(bad.format(name, exc)) from None
    if times[0] >= times[1]:
        raise BadParameter(f"{low_name} must be before {high_name}")
    depth, depth_name = params.first("query.searchDepth", "query.search_depth",
                                     "query.num_traces")
    try:
        limit = int(depth) if depth else DEFAULT_LIMIT
    except ValueError:
        raise BadParameter(bad.format(depth_name, f"{depth!r} is not an integer")) from None
    if limit <= 0:
        raise BadParameter(bad.format(depth_name, f"{limit} is not greater than 0"))
    durations: list[int | None] = []
    for names in (("query.durationMin", "query.duration_min"),
                  ("query.durationMax", "query.duration_max")):
        text, name = params.first(*names)
        durations.append(_duration(text, name, bad) if text else None)
    _check_durations(durations[0], durations[1], "query.duration_min", "query.duration_max")
    raw, raw_name = params.first("query.rawTraces", "query.raw_traces")
    parse_bool(raw, raw_name)
    return TraceQuery(service=service, operation=operation, tags=tags,
                      start_min_ns=times[0], start_max_ns=times[1],
                      duration_min_ns=durations[0], duration_max_ns=durations[1], limit=limit)


def parse_bool(text: str, name: str) -> bool:
    """Go's strconv.ParseBool; "" is False."""
    if text in ("", "0", "f", "F", "FALSE", "false", "False"):
        return False
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    raise BadParameter(f"malformed parameter {name}: {text!r} is not a boolean")


def trace_id_bytes(text: str) -> bytes:
    """A trace id of 1 to 32 hex digits (shorter ids are zero-padded on the left), or the
    base64 of its 16 bytes, as Jaeger takes them.

    >>> trace_id_bytes("ff").hex()
    '000000000000000000000000000000ff'
    """
    if text and len(text) <= 32 and _HEX_ID.fullmatch(text):
        return bytes.fromhex(text.rjust(32, "0"))
    if text and len(text) <= 24:
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(text + "=" * (-len(text) % 4))
            except (binascii.Error, ValueError):
                continue
            if len(raw) == 16:
                return raw
    raise ValueError(f"TraceID {text[:64]!r} is not 1 to 32 hex digits")


def query_params(mapping: Mapping[str, Sequence[str]]) -> Params:
    """Params over a plain {name: [values]} mapping (tests, doctests)."""
    return Params(lambda name: mapping.get(name, ()))
