"""application/problem+json errors, and handlers for FastAPI and Flask.

Unhandled errors become 500; a dependency that is down becomes 503; a dependency that
timed out becomes 504. Raise `ProblemError` for a deliberate error response.

>>> problem_body(404, "Not Found", "no product SKU-1")["type"]
'about:blank'
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg
import psycopg_pool
from pydantic import BaseModel, Field

from .logging import get_logger

PROBLEM_CONTENT_TYPE = "application/problem+json"
log = get_logger()


class Problem(BaseModel):
    """The problem+json document (RFC 9457) every service answers its errors with."""

    type: str = Field("about:blank", description="a URI naming the kind of problem")
    title: str = Field(description="the HTTP reason phrase of `status`")
    status: int = Field(ge=400, le=599, description="the HTTP status code")
    detail: str = Field(description="what went wrong, for a person")


class ValidationProblem(Problem):
    """A 422 problem for a request its models rejected (flask-openapi3's validation answer).

    Its own name lets the contracts tell a framework's blanket 422 from a declared one.
    """


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for the problems a route can answer (documented as problem+json).

    >>> problem_responses(404)[404]["description"]
    'Not Found'
    """
    return {status: {"model": Problem, "description": _reason(status)} for status in statuses}


class ProblemError(Exception):
    """An error that maps to a problem+json response."""

    def __init__(self, status: int, title: str, detail: str = "", type_: str = "about:blank") -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.detail, self.type)


def problem_body(status: int, title: str, detail: str = "", type_: str = "about:blank") -> dict[str, Any]:
    """The problem+json document."""
    return {"type": type_, "title": title, "status": status, "detail": detail}


def classify_exception(exc: BaseException) -> ProblemError:
    """Map an exception to the problem to return (timeouts 504, unavailable 503, else 500)."""
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError, TimeoutError,
                        psycopg.errors.QueryCanceled)):
        return ProblemError(504, "Gateway Timeout", "a dependency did not answer in time")
    if isinstance(exc, (psycopg.OperationalError, psycopg_pool.PoolTimeout, httpx.TransportError,
                        ConnectionError)):
        return ProblemError(503, "Service Unavailable", "a dependency is unavailable")
    return ProblemError(500, "Internal Server Error", "unexpected error")


def install_fastapi_handlers(app: Any) -> None:
    """Register problem+json handlers on a FastAPI app."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    def respond(problem: ProblemError, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(problem.body(), status_code=problem.status,
                            media_type=PROBLEM_CONTENT_TYPE, headers=headers)

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return respond(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _reason(exc.status_code)
        return respond(ProblemError(exc.status_code, title, str(exc.detail or title)),
                       getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return respond(ProblemError(422, "Unprocessable Content", detail))

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        problem = classify_exception(exc)
        log.exception("request.failed", path=request.url.path, status=problem.status)
        return respond(problem)


def validation_problem(errors: list[dict[str, Any]]) -> ProblemError:
    """The 422 problem for pydantic's errors, naming each field (`items[0].quantity: ...`).

    >>> validation_problem([{"loc": ("items", 0, "quantity"), "msg": "Input should be a valid integer"}]).detail
    'items[0].quantity: Input should be a valid integer'
    """
    parts = []
    for error in errors:
        where = ""
        for step in error.get("loc", ()):
            where += f"[{step}]" if isinstance(step, int) else (f".{step}" if where else str(step))
        parts.append(f"{where or 'body'}: {error.get('msg')}")
    return ProblemError(422, "Unprocessable Content", "; ".join(parts))


def flask_validation_response(exc: Any) -> Any:
    """flask-openapi3's `validation_error_callback`: a pydantic ValidationError → 422 problem."""
    import json

    from flask import Response

    problem = validation_problem(exc.errors())
    return Response(json.dumps(problem.body()), status=422, mimetype=PROBLEM_CONTENT_TYPE)


def install_flask_handlers(app: Any) -> None:
    """Register problem+json handlers on a Flask app."""
    import json

    from flask import Response
    from werkzeug.exceptions import HTTPException

    def respond(problem: ProblemError) -> Response:
        return Response(json.dumps(problem.body()), status=problem.status,
                        mimetype=PROBLEM_CONTENT_TYPE)

    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError) -> Response:
        return respond(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        return respond(ProblemError(status, _reason(status), exc.description or ""))

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _http(exc)
        problem = classify_exception(exc)
        log.exception("request.failed", status=problem.status)
        return respond(problem)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
