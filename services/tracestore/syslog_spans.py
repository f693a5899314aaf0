"""The gateway's access-log lines over syslog (UDP) -> SERVER spans.

NGINX has no OpenTelemetry module on Debian, so the gateway sends one JSON access-log line
per request with ``access_log syslog:server=tracestore:5514,tag=gateway,nohostname
gateway_span;``. Each datagram is an RFC 3164 frame, ``<PRI>Mmm dd hh:mm:ss TAG: MSG``
(a hostname before the tag is allowed too); MSG is the JSON of `log_format gateway_span`.
The span's service is the tag; it ends at `time` ($msec) and lasted `duration`
($request_time).

>>> frame = (b'<190>Dec  3 06:00:00 gateway: {"trace_id": "' + b"a" * 32 + b'", '
...          b'"span_id": "' + b"b" * 16 + b'", "parent_span_id": "", '
...          b'"time": "1701583200.125", "duration": "0.025", "method": "GET", '
...          b'"uri": "/v1/orders/7", "route": "/v1/orders/{id}", "status": "503"}')
>>> record = record_from_frame(frame)
>>> record.service, record.span.name, record.duration_ns, record.span.status.code
('gateway', 'GET /v1/orders/{id}', 25000000, 2)
>>> record_from_frame(b"<190>garbage")
Traceback (most recent call last):
services.tracestore.syslog_spans.MalformedFrame: not an RFC 3164 frame <PRI>TIMESTAMP TAG: MESSAGE
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .records import SERVICE_NAME, SpanRecord

SCOPE = InstrumentationScope(name="tracestore.syslog_spans")
_FRAME = re.compile(
    rb"<(\d{1,3})>"                                  # priority
    rb"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} "     # timestamp, e.g. "Dec  3 06:00:00"
    rb"(?:\S+ )?"                                    # a hostname, unless nohostname
    rb"([\w.\-/\[\]]{1,48}): "                       # tag and colon
    rb"(.*)", re.DOTALL)
_HEX = re.compile(r"[0-9a-f]+")
_resources: dict[str, Resource] = {}


class MalformedFrame(ValueError):
    """A datagram that is not a gateway span line; the text says why, in one line."""


def _resource(service: str) -> Resource:
    """One Resource message per service, shared by its spans."""
    if service not in _resources:
        resource = Resource()
        resource.attributes.add(key=SERVICE_NAME).value.string_value = service
        _resources[service] = resource
    return _resources[service]


def _hex_id(fields: dict[str, Any], name: str, digits: int, optional: bool = False) -> bytes:
    value = str(fields.get(name) or "").strip().lower()
    if optional and value in ("", "-"):
        return b""
    if len(value) != digits or not _HEX.fullmatch(value) or set(value) == {"0"}:
        raise MalformedFrame(f"{name} {value[:40]!r} is not {digits} hex digits")
    return bytes.fromhex(value)


def _seconds_ns(fields: dict[str, Any], name: str) -> int:
    try:
        value = Decimal(str(fields.get(name, "")).strip())
    except InvalidOperation:
        raise MalformedFrame(f"{name} {fields.get(name)!r} is not a number of seconds") from None
    if not value.is_finite() or value < 0:
        raise MalformedFrame(f"{name} {fields.get(name)!r} is not a number of seconds")
    return int(value * 10**9)


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None or value == "-" else str(value)


def record_from_frame(frame: bytes) -> SpanRecord:
    """The span of one syslog frame; MalformedFrame when it is not one."""
    match = _FRAME.fullmatch(frame.rstrip(b"\r\n\0"))
    if match is None:
        raise MalformedFrame("not an RFC 3164 frame <PRI>TIMESTAMP TAG: MESSAGE")
    tag, message = match.group(2).decode(), match.group(3)
    try:
        fields = json.loads(message)
    except ValueError:
        raise MalformedFrame("the message is not JSON") from None
    if not isinstance(fields, dict):
        raise MalformedFrame("the message is not a JSON object")
    trace_id = _hex_id(fields, "trace_id", 32)
    span_id = _hex_id(fields, "span_id", 16)
    parent_id = _hex_id(fields, "parent_span_id", 16, optional=True)
    end_ns = _seconds_ns(fields, "time")
    start_ns = max(0, end_ns - _seconds_ns(fields, "duration"))
    method, uri, route = _text(fields, "method"), _text(fields, "uri"), _text(fields, "route")
    if not method:
        raise MalformedFrame("method is empty")
    span = Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent_id,
                name=f"{method} {route or uri}".rstrip(), kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=start_ns, end_time_unix_nano=end_ns)

    def put(key: str, value: str | int) -> None:
        attr = span.attributes.add(key=key)
        if isinstance(value, int):
            attr.value.int_value = value
        else:
            attr.value.string_value = value

    put("http.request.method", method)
    if uri:
        put("url.path", uri)
    if route:
        put("http.route", route)
    status_text = _text(fields, "status")
    if status_text:
        if not status_text.isdigit():
            raise MalformedFrame(f"status {status_text[:20]!r} is not an HTTP status")
        put("http.response.status_code", int(status_text))
        if int(status_text) >= 500:
            span.status.code = Status.STATUS_CODE_ERROR
    for name, key in (("client", "client.address"), ("upstream_status", "nginx.upstream_status"),
                      ("upstream_addr", "nginx.upstream_addr"),
                      ("request_id", "nginx.request_id")):
        if value := _text(fields, name):
            put(key, value)
    return SpanRecord(trace_id=trace_id, span_id=span_id, service=tag, start_ns=start_ns,
                      end_ns=end_ns, span=span, resource=_resource(tag), scope=SCOPE)


class SyslogSpanReceiver(asyncio.DatagramProtocol):
    """Turns each datagram into a span for `accept`; a bad one goes to `reject` with why."""

    def __init__(self, accept: Callable[[SpanRecord], None],
                 reject: Callable[[str], None]) -> None:
        self._accept = accept
        self._reject = reject

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            record = record_from_frame(data)
        except MalformedFrame as exc:
            self._reject(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a datagram never stops the listener
            self._reject(f"{type(exc).__name__}: {exc}"[:200])
            return
        self._accept(record)

    def error_received(self, exc: Exception) -> None:
        self._reject(f"socket error: {exc}"[:200])
