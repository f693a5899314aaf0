"""HTTP routes of auth: token, JWKS, the gateway's verify, and client enrolment."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Annotated, Literal

import psycopg
import psycopg_pool
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.platform.app import answers
from services.platform.identity import IDENTITY_HEADERS, Identity, fastapi_identity
from services.platform.logging import get_logger
from services.platform.problem import PROBLEM_CONTENT_TYPE, ProblemError
from services.platform.text import STORABLE_TEXT

from .api_keys import hash_api_key, new_api_key, plausible_key, stored_key
from .passwords import hash_password, verify_password
from .state import AuthState

router = APIRouter()
log = get_logger()
_NO_STORE = {"Cache-Control": "no-store"}
_UNAUTHORIZED = (b'{"type":"about:blank","title":"Unauthorized","status":401,'
                 b'"detail":"API key and bearer token required"}')
_UNAVAILABLE = (b'{"type":"about:blank","title":"Service Unavailable","status":503,'
                b'"detail":"the auth database is unavailable"}')
_DB_DOWN = (psycopg.OperationalError, psycopg.errors.QueryCanceled, psycopg_pool.PoolTimeout,
            OSError)
_DUMMY_HASH = hash_password("not-a-real-password", n=2**14)


class TokenRequest(BaseModel):
    """Body of POST /v1/auth/token."""

    username: str = Field(min_length=1, max_length=200, pattern=STORABLE_TEXT)
    password: str = Field(min_length=1, max_length=1024)


class ClientRequest(BaseModel):
    """Body of POST /v1/admin/clients."""

    name: str = Field(min_length=1, max_length=100, pattern=STORABLE_TEXT)


class TokenResponse(BaseModel):
    """Answer of POST /v1/auth/token (never cached)."""

    access_token: str = Field(description="an RS256 JWT: sub, client_id, roles, iss, aud, exp")
    token_type: Literal["Bearer"]
    expires_in: int = Field(gt=0, description="seconds until the token expires")


class Jwk(BaseModel):
    """An RSA public signing key."""

    kty: Literal["RSA"]
    use: Literal["sig"]
    alg: Literal["RS256"]
    kid: str
    n: str
    e: str


class Jwks(BaseModel):
    """Answer of GET /.well-known/jwks.json."""

    keys: list[Jwk]


class EnrolledClientResponse(BaseModel):
    """Answer of POST /v1/admin/clients: the only time the key and password are shown."""

    client_id: str
    api_key: str
    username: str
    password: str
    user_id: str


_IDENTITY_OUT = {name: {"description": "the verified caller, for the gateway to forward",
                        "schema": {"type": "string"}} for name in IDENTITY_HEADERS}
_VERIFY_ANSWERS = {
    200: {"description": "the API key is enrolled and the bearer token valid for its client",
          "headers": _IDENTITY_OUT},
    401: {"description": "Unauthorized",
          "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
    503: {"description": "the auth database is unavailable"},
}

def auth_state(request: Request) -> AuthState:
    """FastAPI dependency: the running app's AuthState (overridden in tests)."""
    return request.app.state.resources.extra["auth"]


StateDep = Annotated[AuthState, Depends(auth_state)]
CallerDep = Annotated[Identity, Depends(fastapi_identity)]


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail)


@router.post("/v1/auth/token", response_model=None, responses=answers(TokenResponse, 401, 422))
async def token_create(body: TokenRequest, state: StateDep,
                       x_api_key: Annotated[str | None, Header(
                           description="the client's enrolled API key")] = None) -> JSONResponse:
    """Exchange an enrolled API key + username/password for an RS256 access token."""
    if not plausible_key(x_api_key):
        raise _unauthorized("X-Api-Key header required")
    client_id = await state.keys.client_for(hash_api_key(x_api_key))  # type: ignore[arg-type]
    user = await state.store.find_user(body.username)
    stored = user.password_hash if user else _DUMMY_HASH  # same cost whether the user exists
    password_ok = await asyncio.to_thread(verify_password, body.password, stored)
    if client_id is None or user is None or not password_ok or user.client_id != client_id:
        log.info("auth.token_denied", client_id=client_id, username_known=user is not None)
        raise _unauthorized("unknown API key, or wrong username or password")
    roles = await state.store.grant_token(user)
    token, ttl = state.tokens.issue(user_id=user.id, client_id=client_id, roles=roles)
    log.info("auth.token_issued", user_id=user.id, client_id=client_id, roles=roles)
    return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": ttl},
                        headers=_NO_STORE)


@router.get("/.well-known/jwks.json", response_model=None, responses=answers(Jwks))
async def jwks_read(state: StateDep) -> JSONResponse:
    """The public signing key as a JWKS."""
    return JSONResponse(state.tokens.jwks(), headers={"Cache-Control": "public, max-age=60"})


@router.api_route("/internal/verify", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                  response_class=Response, response_model=None, responses=_VERIFY_ANSWERS)
async def verify(state: StateDep,
                 x_api_key: Annotated[str | None, Header(description="the client's API key")] = None,
                 authorization: Annotated[str | None, Header(
                     description="`Bearer <access token>`")] = None) -> Response:
    """For the gateway's auth_request: 200 + identity headers, 401, or 503 if the DB is down."""
    try:
        identity = await state.verifier.verify(x_api_key, authorization)
    except _DB_DOWN as exc:
        log.error("auth.verify_db_unavailable", error=str(exc))
        return Response(_UNAVAILABLE, 503, media_type=PROBLEM_CONTENT_TYPE)
    except Exception as exc:  # fail closed: anything unexpected is a 401
        log.exception("auth.verify_failed", error=str(exc))
        identity = None
    if identity is None:
        return Response(_UNAUTHORIZED, 401, media_type=PROBLEM_CONTENT_TYPE,
                         headers={"WWW-Authenticate": 'Bearer realm="sandbox"'})
    return Response(status_code=200, headers=identity.headers())


@router.post("/v1/admin/clients", status_code=201, response_model=None,
             responses=answers(EnrolledClientResponse, 403, 422, status=201))
async def client_create(body: ClientRequest, state: StateDep,
                        caller: CallerDep) -> JSONResponse:
    """Enrol a source: a client, its API key, and a first user (role customer)."""
    caller.require_role("admin")
    api_key = new_api_key()
    slug = re.sub(r"[^a-z0-9]+", "-", body.name.lower()).strip("-")[:40] or "client"
    username = f"{slug}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    password_hash = await asyncio.to_thread(hash_password, password)
    enrolled = await state.store.enrol_client(body.name, stored_key(api_key), username,
                                              password_hash)
    log.info("auth.client_enrolled", client_id=enrolled.client_id, by=caller.user_id)
    return JSONResponse(
        {"client_id": enrolled.client_id, "api_key": api_key, "username": username,
         "password": password, "user_id": enrolled.user_id},
        status_code=201, headers=_NO_STORE)
