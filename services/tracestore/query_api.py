"""Jaeger's query API on port 16686: the JSON API its UI used (``/api/...``) and api_v3
over HTTP (``/api/v3/...``, OTLP JSON), plus health and metrics.

``/api/...`` answers in Jaeger's envelope ``{"data", "total", "limit", "offset",
"errors"}``, errors as ``{"code", "msg"}`` in it; ``/api/v3/...`` answers
``{"result": <OTLP TracesData>}``, ``{"services"}``, ``{"operations"}``, errors as
``{"error": {"httpCode", "message"}}``, and 404 "No traces found" for an empty search,
as Jaeger does. A bad parameter is a 400 in the API's error shape, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .intake import Intake
from .jaeger_json import jaeger_trace, structured, structured_error
from .metrics import CONTENT_TYPE
from .otlp_json import message_to_json
from .query_params import (
    BadParameter,
    Params,
    parse_bool,
    rfc3339_ns,
    trace_id_bytes,
    v1_trace_query,
    v3_trace_query,
)
from .records import SpanRecord, records_to_traces_data
from .trace_query import KINDS

Checks = Callable[[], Mapping[str, str]]
TRACE_NOT_FOUND = "trace not found"


def _params(request: Request) -> Params:
    return Params(request.query_params.getlist)


def _v1_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(structured_error(status, message), status)


def _v3_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"httpCode": status, "message": message}}, status)


def _v3_traces(traces: list[list[SpanRecord]]) -> JSONResponse:
    if not traces:
        return _v3_error(404, "No traces found")
    records = [record for trace in traces for record in trace]
    return JSONResponse({"result": message_to_json(records_to_traces_data(records))})


def query_app(intake: Intake, checks: Checks) -> Starlette:
    """The query port's ASGI app over `intake.store`; `checks()` gives readiness."""
    store = intake.store

    # --- the JSON API of Jaeger's UI (/api/...) ---

    async def services_list(request: Request) -> JSONResponse:
        services = store.services()
        return JSONResponse(structured(services, total=len(services)))

    async def service_operations_list(request: Request) -> JSONResponse:
        names = sorted({name for name, _ in store.operations(request.path_params["service"])})
        return JSONResponse(structured(names, total=len(names)))

    async def operations_list(request: Request) -> JSONResponse:
        params = _params(request)
        service = params.get("service")
        if not service:
            return _v1_error(400, "parameter 'service' is required")
        operations = store.operations(service, params.get("spanKind").lower())
        data = [{"name": name, "spanKind": kind} for name, kind in operations]
        return JSONResponse(structured(data, total=len(data)))

    async def trace_get(request: Request) -> JSONResponse:
        params = _params(request)
        try:
            trace_id = trace_id_bytes(request.path_params["trace_id"])
            for name in ("start", "end"):
                if (text := params.get(name)) and not text.lstrip("-").isdigit():
                    raise BadParameter(f"unable to parse param '{name}': {text!r} is not an "
                                       "integer")
            parse_bool(params.get("raw"), "raw")
        except ValueError as exc:
            return _v1_error(400, str(exc))
        records = store.trace(trace_id)
        if not records:
            return _v1_error(404, TRACE_NOT_FOUND)
        return JSONResponse(structured([jaeger_trace(records)]))

    async def traces_find(request: Request) -> JSONResponse:
        try:
            query, trace_ids = v1_trace_query(_params(request))
            parse_bool(_params(request).get("raw"), "raw")
        except BadParameter as exc:
            return _v1_error(400, str(exc))
        if trace_ids:
            found, errors = [], []
            for text in trace_ids:
                records = store.trace(trace_id_bytes(text))
                if records:
                    found.append(jaeger_trace(records))
                else:
                    errors.append({"msg": TRACE_NOT_FOUND, "traceID": text})
            return JSONResponse(structured(found, errors=errors or None))
        return JSONResponse(structured([jaeger_trace(t) for t in store.find(query)]))

    # --- api_v3 over HTTP (/api/v3/...), OTLP JSON ---

    async def v3_services_list(request: Request) -> JSONResponse:
        return JSONResponse({"services": store.services()})

    async def v3_operations_list(request: Request) -> JSONResponse:
        params = _params(request)
        kind, name = params.first("spanKind", "span_kind")
        if kind and kind.lower() not in KINDS:
            return _v3_error(400, f"malformed parameter {name}: {kind!r} is not one of "
                                  f"{', '.join(KINDS)}")
        operations = store.operations(params.get("service"), kind.lower())
        data = [{"name": op, "spanKind": k or "internal"} for op, k in operations]
        return JSONResponse({"operations": data})

    async def v3_trace_get(request: Request) -> JSONResponse:
        params = _params(request)
        try:
            try:
                trace_id = trace_id_bytes(request.path_params["trace_id"])
            except ValueError as exc:
                raise BadParameter(f"malformed parameter trace_id: {exc}") from None
            for names in (("startTime", "start_time"), ("endTime", "end_time")):
                text, name = params.first(*names)
                if text:
                    try:
                        rfc3339_ns(text)
                    except ValueError as exc:
                        raise BadParameter(f"malformed parameter {name}: {exc}") from None
            parse_bool(*params.first("rawTraces", "raw_traces"))
        except BadParameter as exc:
            return _v3_error(400, str(exc))
        records = store.trace(trace_id)
        return _v3_traces([records] if records else [])

    async def v3_traces_find(request: Request) -> JSONResponse:
        try:
            query = v3_trace_query(_params(request))
        except BadParameter as exc:
            return _v3_error(400, str(exc))
        return _v3_traces(store.find(query))

    # --- health and metrics ---

    async def health_live(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def health_ready(request: Request) -> JSONResponse:
        results: dict[str, Any] = dict(checks())
        ok = bool(results) and all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ok" if ok else "starting", "checks": results},
                            200 if ok else 503)

    async def metrics_get(request: Request) -> Response:
        return Response(intake.metrics.exposition(), media_type=CONTENT_TYPE)

    get = ["GET"]
    return Starlette(routes=[
        Route("/api/services", services_list, methods=get),
        Route("/api/services/{service:path}/operations", service_operations_list, methods=get),
        Route("/api/operations", operations_list, methods=get),
        Route("/api/traces", traces_find, methods=get),
        Route("/api/traces/{trace_id}", trace_get, methods=get),
        Route("/api/v3/services", v3_services_list, methods=get),
        Route("/api/v3/operations", v3_operations_list, methods=get),
        Route("/api/v3/traces", v3_traces_find, methods=get),
        Route("/api/v3/traces/{trace_id}", v3_trace_get, methods=get),
        Route("/health/live", health_live, methods=get),
        Route("/health/ready", health_ready, methods=get),
        Route("/metrics", metrics_get, methods=get),
    ])
