"""An OTLP/HTTP trace export body -> `ExportTraceServiceRequest`, or a status and a reason.

The body is bounded before and after decompression (413), the media type must be
protobuf or JSON (415), and ids must have their lengths: 16 bytes a trace id, 8 a span
id (400). An absent or all-zero id is not an error here: that span is rejected alone.

>>> decode_export(b"{}", "application/json; charset=utf-8", "", 1024)[1]
'application/json'
>>> decode_export(b"{}", "text/plain", "", 1024)
Traceback (most recent call last):
services.tracestore.otlp_decode.OtlpDecodeError: (415, "content type 'text/plain' is not supported: send application/x-protobuf or application/json")
"""

from __future__ import annotations

import json
import zlib

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .otlp_json import OtlpJsonError, message_from_json

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = (PROTOBUF, JSON)


class OtlpDecodeError(Exception):
    """A body that cannot be taken: the HTTP status to answer and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


def media_type(content_type: str) -> str:
    """The bare, lower-case media type of a Content-Type header."""
    return content_type.split(";", 1)[0].strip().lower()


def inflate(body: bytes, content_encoding: str, limit: int) -> bytes:
    """`body` decompressed per Content-Encoding (gzip, deflate, identity), at most `limit` bytes."""
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise OtlpDecodeError(415, f"content encoding {coding!r} is not supported: "
                                   "send gzip, deflate or none")
    # gzip: a gzip header (wbits 16+); deflate: zlib-wrapped, or raw as some clients send it
    attempts = (31,) if coding != "deflate" else (15, -15)
    for i, wbits in enumerate(attempts):
        try:
            return _bounded_inflate(body, wbits, limit)
        except zlib.error as exc:
            if i == len(attempts) - 1:
                raise OtlpDecodeError(400, f"the {coding} body does not decompress: {exc}") from None
    raise AssertionError("unreachable")


def _bounded_inflate(body: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(wbits)
        out += inflater.decompress(data, limit + 1 - len(out))
        if len(out) > limit or inflater.unconsumed_tail:
            raise OtlpDecodeError(413, f"the body decompresses to more than {limit} bytes")
        out += inflater.flush()
        if not inflater.eof:
            raise zlib.error("the compressed stream is truncated")
        data = inflater.unused_data if wbits == 31 else b""  # gzip may have several members
    return bytes(out)


def decode_export(body: bytes, content_type: str, content_encoding: str,
                  limit: int) -> tuple[ExportTraceServiceRequest, str]:
    """The request in `body` and its media type (the answer's encoding)."""
    media = media_type(content_type)
    if media not in MEDIA_TYPES:
        raise OtlpDecodeError(415, f"content type {media or '(none)'!r} is not supported: "
                                   f"send {PROTOBUF} or {JSON}")
    data = inflate(body, content_encoding, limit)
    if media == PROTOBUF:
        try:
            request = ExportTraceServiceRequest.FromString(data)
        except (DecodeError, RuntimeError, ValueError) as exc:
            raise OtlpDecodeError(400, f"the body is not an ExportTraceServiceRequest: {exc}"
                                  ) from None
    else:
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, ValueError) as exc:
            raise OtlpDecodeError(400, f"the body is not JSON: {exc}") from None
        try:
            request = message_from_json(doc, ExportTraceServiceRequest())
        except OtlpJsonError as exc:
            raise OtlpDecodeError(400, f"the body is not an OTLP JSON export: {exc}") from None
    check_id_lengths(request)
    return request, media


def check_id_lengths(request: ExportTraceServiceRequest) -> None:
    """OtlpDecodeError 400 when an id present has the wrong number of bytes."""
    for r, resource_spans in enumerate(request.resource_spans):
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for n, span in enumerate(scope_spans.spans):
                where = f"resource_spans[{r}].scope_spans[{s}].spans[{n}]"
                ids = [("trace_id", span.trace_id, 16), ("span_id", span.span_id, 8),
                       ("parent_span_id", span.parent_span_id, 8)]
                for k, link in enumerate(span.links):
                    ids += [(f"links[{k}].trace_id", link.trace_id, 16),
                            (f"links[{k}].span_id", link.span_id, 8)]
                for name, value, size in ids:
                    if len(value) not in (0, size):
                        raise OtlpDecodeError(400, f"{where}.{name} has {len(value)} bytes, "
                                                   f"not {size}")
