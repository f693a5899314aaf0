"""The OTLP/HTTP receiver: ``POST /v1/traces`` on port 4318, per the OTLP/HTTP spec.

200 with an ExportTraceServiceResponse in the request's encoding (partial_success when
spans were rejected); 400 with a google.rpc.Status in that encoding for a body that does
not decode; 413 past the body bound; 415 (text) for another media type. The spans are in
the store before the answer leaves, and nothing waits on anything but the body.
"""

from __future__ import annotations

import json

from google.protobuf.message import Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .intake import Intake
from .otlp_decode import JSON, MEDIA_TYPES, PROTOBUF, OtlpDecodeError, decode_export, media_type
from .otlp_json import message_to_json
from .records import records_from_request

GRPC_INVALID_ARGUMENT = 3
GRPC_RESOURCE_EXHAUSTED = 8
MAX_BODY_BYTES = 8 * 1024 * 1024


def _encoded(message: Message, media: str, status: int = 200) -> Response:
    if media == JSON:
        body = json.dumps(message_to_json(message), separators=(",", ":")).encode()
        return Response(body, status, media_type=JSON)
    return Response(message.SerializeToString(), status, media_type=PROTOBUF)


def _refusal(intake: Intake, error: OtlpDecodeError, content_type: str) -> Response:
    intake.request_refused(error.status, error.reason)
    media = media_type(content_type)
    if media not in MEDIA_TYPES:
        return PlainTextResponse(error.reason + "\n", error.status)
    code = GRPC_RESOURCE_EXHAUSTED if error.status == 413 else GRPC_INVALID_ARGUMENT
    return _encoded(Status(code=code, message=error.reason), media, error.status)


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OtlpDecodeError(413, f"the body has {declared} bytes, more than {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise OtlpDecodeError(413, f"the body has more than {limit} bytes")
    return bytes(body)


def otlp_app(intake: Intake, max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:
    """The receiver's ASGI app, writing into `intake`."""

    async def traces_export(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        try:
            if media_type(content_type) not in MEDIA_TYPES:
                decode_export(b"", content_type, "", max_body_bytes)  # raises the 415
            body = await _bounded_body(request, max_body_bytes)
            export, media = decode_export(body, content_type,
                                          request.headers.get("content-encoding", ""),
                                          max_body_bytes)
        except OtlpDecodeError as error:
            return _refusal(intake, error, content_type)
        batch = records_from_request(export)
        intake.take(batch, "otlp")
        answer = ExportTraceServiceResponse()
        if batch.rejected:
            answer.partial_success.rejected_spans = batch.rejected
            answer.partial_success.error_message = batch.reason
        return _encoded(answer, media)

    return Starlette(routes=[Route("/v1/traces", traces_export, methods=["POST"])])
