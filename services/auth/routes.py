"""HTTP routes of auth: token, refresh, logout, JWKS and the gateway's verify.

The admin API is in `admin_routes`. Numbers a client meets:

- login lockout (POST /v1/auth/token): 5 failures for one username within 5 min lock that
  username for 5 min; 50 failures on existing usernames from one address (X-Real-IP) to
  one client (its API key; unknown keys count together) within 5 min lock that pair for
  5 min; a locked login is a 429 problem with Retry-After;
- verify's per-address throttle: 300 refused requests within 1 min → 403 with
  `X-Auth-Denied: throttled` and Retry-After for 1 min (the gateway answers 429);
- revocation bound: 6 s through the gateway (auth refreshes its revocations every 1 s,
  the gateway caches a verify 200 for 5 s).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Literal

import psycopg
import psycopg_pool
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.platform.app import answers
from services.platform.identity import IDENTITY_HEADERS
from services.platform.logging import get_logger
from services.platform.problem import PROBLEM_CONTENT_TYPE, ProblemError
from services.platform.text import STORABLE_TEXT

from .api_keys import hash_api_key, plausible_key
from .passwords import hash_password, verify_password
from .state import AuthState
from .store import RefreshRecord, UserRecord
from .tokens import Claims, InvalidToken
from .verify import REVOCATION_BOUND_S, verify_cache_control

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


class TokenResponse(BaseModel):
    """Answer of POST /v1/auth/token (never cached)."""

    access_token: str = Field(description="an RS256 JWT (typ access): sub, client_id, roles, "
                              "permissions, iss, aud, iat, nbf, exp, jti")
    token_type: Literal["Bearer"]
    expires_in: int = Field(gt=0, description="seconds until the access token expires")
    refresh_token: str = Field(description="an RS256 JWT (typ refresh), single use: "
                               "POST /v1/auth/refresh")
    refresh_expires_in: int = Field(gt=0, description="seconds until the refresh token expires")


class RefreshRequest(BaseModel):
    """Body of POST /v1/auth/refresh and POST /v1/auth/logout."""

    refresh_token: str = Field(min_length=1, max_length=8192, pattern=STORABLE_TEXT)


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


_IDENTITY_OUT = {name: {"description": "the verified caller, for the gateway to forward",
                        "schema": {"type": "string"}} for name in IDENTITY_HEADERS}
_VERIFY_ANSWERS = {
    200: {"description": "the API key is enrolled and the bearer token valid for its client",
          "headers": _IDENTITY_OUT},
    401: {"description": "Unauthorized (unknown key, bad, revoked or refresh token, disabled user)",
          "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
    403: {"description": "the token lacks X-Required-Permission, or (with `X-Auth-Denied: "
                         "throttled` and Retry-After) the address made too many failed attempts",
          "headers": {"X-Auth-Denied": {"schema": {"type": "string"}},
                      "Retry-After": {"schema": {"type": "integer"}}}},
    503: {"description": "the auth database is unavailable"},
}


def auth_state(request: Request) -> AuthState:
    """FastAPI dependency: the running app's AuthState (overridden in tests)."""
    return request.app.state.resources.extra["auth"]


StateDep = Annotated[AuthState, Depends(auth_state)]


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail)


def _address(request: Request, x_real_ip: str | None) -> str:
    """The client's address: X-Real-IP as the gateway sets it, else the peer."""
    value = (x_real_ip or "").strip()[:64]
    return value or (request.client.host if request.client else "")


def _problem(status: int, title: str, detail: str,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status,
                         "detail": detail}, status_code=status, headers=headers,
                        media_type=PROBLEM_CONTENT_TYPE)


async def _issue_pair(state: AuthState, user: UserRecord, client_id: str,
                      family: str) -> dict[str, object]:
    grant = await state.store.grant_token(user)
    access = state.tokens.issue_access(user_id=user.id, client_id=client_id, roles=grant.roles,
                                       permissions=grant.permissions)
    refresh = state.tokens.issue_refresh(user_id=user.id, client_id=client_id, family=family)
    await state.store.store_refresh(RefreshRecord(
        jti=refresh.jti, family=family, user_id=user.id, client_id=client_id,
        token_hash=hash_api_key(refresh.token), expires_at=refresh.expires_at,
        access_jti=access.jti, access_expires_at=access.expires_at))
    log.info("auth.token_issued", user_id=user.id, client_id=client_id, roles=grant.roles)
    return {"access_token": access.token, "token_type": "Bearer",
            "expires_in": access.expires_in, "refresh_token": refresh.token,
            "refresh_expires_in": refresh.expires_in}


_KEY_HEADER = Header(description="the client's enrolled API key")
_REAL_IP = Header(description="the client's address, as the gateway saw it")


@router.post("/v1/auth/token", response_model=None,
             responses=answers(TokenResponse, 401, 422, 429))
async def token_create(body: TokenRequest, state: StateDep, request: Request,
                       x_api_key: Annotated[str | None, _KEY_HEADER] = None,
                       x_real_ip: Annotated[str | None, _REAL_IP] = None) -> JSONResponse:
    """Exchange an enrolled API key + username/password for an access and a refresh token.

    Lockout: 5 failures for a username within 5 min lock it 5 min; 50 failures from an
    address (per client) within 5 min lock that address 5 min (429 problem + Retry-After).
    """
    address = _address(request, x_real_ip)
    if not plausible_key(x_api_key):
        raise _unauthorized("X-Api-Key header required")
    client_id = await state.keys.client_for(hash_api_key(x_api_key))  # type: ignore[arg-type]
    source = f"{address}|{client_id or '-'}"  # an address, per enrolled client it logs in to
    wait = state.login_users.retry_after(body.username) or state.login_addresses.retry_after(source)
    if wait is not None:
        log.info("auth.login_locked", username=body.username[:64], address=address)
        return _problem(429, "Too Many Requests",
                        "too many failed logins: try again later", {"Retry-After": str(wait)})
    user = await state.store.find_user(body.username)
    stored = user.password_hash if user else _DUMMY_HASH  # same cost whether the user exists
    password_ok = await asyncio.to_thread(verify_password, body.password, stored)
    if client_id is None or user is None or not password_ok or user.client_id != client_id:
        state.login_users.fail(body.username)
        if user is not None:  # a guess at a real account (random names lock nobody out)
            state.login_addresses.fail(source)
        log.info("auth.token_denied", client_id=client_id, username_known=user is not None)
        raise _unauthorized("unknown API key, or wrong username or password")
    state.login_users.succeed(body.username)
    answer = await _issue_pair(state, user, client_id, str(uuid.uuid4()))
    return JSONResponse(answer, headers=_NO_STORE)


async def _refresh_claims(state: AuthState, x_api_key: str | None, token: str) -> tuple[str, Claims]:
    if not plausible_key(x_api_key):
        raise _unauthorized("X-Api-Key header required")
    try:
        claims = state.tokens.verify(token.strip(), "refresh")
    except InvalidToken as exc:
        raise _unauthorized("the refresh token is not valid") from exc
    client_id = await state.keys.client_for(hash_api_key(x_api_key))  # type: ignore[arg-type]
    if client_id is None or client_id != claims.client_id:
        raise _unauthorized("the API key is not enrolled for the token's client")
    return client_id, claims


@router.post("/v1/auth/refresh", response_model=None, responses=answers(TokenResponse, 401, 422))
async def token_refresh(body: RefreshRequest, state: StateDep,
                        x_api_key: Annotated[str | None, _KEY_HEADER] = None) -> JSONResponse:
    """Rotate a refresh token: a new access + refresh token; the old one is spent.

    A refresh token works once. Presenting a spent one again revokes its whole family
    (every refresh token of that login, and the access tokens issued with them).
    """
    client_id, claims = await _refresh_claims(state, x_api_key, body.refresh_token)
    snap = await state.revocations.fresh()
    if claims.jti in snap.revoked_jtis or claims.user_id in snap.disabled_users:
        raise _unauthorized("the refresh token was revoked or its user disabled")
    used = await state.store.use_refresh(claims.jti, hash_api_key(body.refresh_token.strip()),
                                         client_id)
    if used.outcome == "reuse":
        state.revocations.expire()
        log.warning("auth.refresh_reused", family=claims.family, user_id=claims.user_id)
        raise _unauthorized("the refresh token was already used: its family is revoked")
    if used.outcome != "ok" or used.user is None:
        raise _unauthorized("the refresh token is not valid")
    answer = await _issue_pair(state, used.user, client_id, claims.family)
    return JSONResponse(answer, headers=_NO_STORE)


@router.post("/v1/auth/logout", status_code=204, response_model=None,
             responses=answers(None, 401, 422, status=204))
async def token_logout(body: RefreshRequest, state: StateDep,
                       x_api_key: Annotated[str | None, _KEY_HEADER] = None) -> Response:
    """Revoke a refresh token's family (and the access tokens issued with it)."""
    client_id, claims = await _refresh_claims(state, x_api_key, body.refresh_token)
    if not await state.store.logout(claims.jti, hash_api_key(body.refresh_token.strip()),
                                    client_id):
        raise _unauthorized("the refresh token is not valid")
    state.revocations.expire()
    return Response(status_code=204)


@router.get("/.well-known/jwks.json", response_model=None, responses=answers(Jwks))
async def jwks_read(state: StateDep) -> JSONResponse:
    """The current and previous public signing keys as a JWKS (previous until they retire)."""
    try:
        await state.revocations.fresh()
    except _DB_DOWN as exc:  # serve what this process knows
        log.warning("auth.jwks_stale", error=str(exc))
    return JSONResponse(state.tokens.jwks(), headers={"Cache-Control": "public, max-age=60"})


@router.api_route("/internal/verify", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                  response_class=Response, response_model=None, responses=_VERIFY_ANSWERS,
                  description=f"Revocations are enforced through the gateway within "
                              f"{REVOCATION_BOUND_S:.0f} s (auth's 1 s refresh + the gateway's "
                              f"5 s verify cache).")
async def verify(request: Request, state: StateDep,
                 x_api_key: Annotated[str | None, Header(description="the client's API key")] = None,
                 authorization: Annotated[str | None, Header(
                     description="`Bearer <access token>`")] = None,
                 x_required_permission: Annotated[str | None, Header(
                     description="the permission the matched route needs (empty: none)")] = None,
                 x_real_ip: Annotated[str | None, _REAL_IP] = None) -> Response:
    """For the gateway's auth_request: 200 + identity headers, 401, 403, or 503 if the DB is down."""
    address = (x_real_ip or "").strip()[:64] or None
    try:
        verdict = await state.verifier.check(x_api_key, authorization,
                                             required_permission=(x_required_permission or "").strip(),
                                             address=address)
    except _DB_DOWN as exc:
        log.error("auth.verify_db_unavailable", error=str(exc))
        return Response(_UNAVAILABLE, 503, media_type=PROBLEM_CONTENT_TYPE)
    except Exception as exc:  # fail closed: anything unexpected is a 401
        log.exception("auth.verify_failed", error=str(exc))
        return Response(_UNAUTHORIZED, 401, media_type=PROBLEM_CONTENT_TYPE,
                        headers={"WWW-Authenticate": 'Bearer realm="sandbox"'})
    if verdict.status == 403 and verdict.retry_after is not None:
        return _problem(403, "Forbidden", verdict.detail,
                        {"X-Auth-Denied": "throttled", "Retry-After": str(verdict.retry_after)})
    if verdict.status == 403:
        return _problem(403, "Forbidden", verdict.detail)
    if verdict.status != 200 or verdict.identity is None:
        return Response(_UNAUTHORIZED, 401, media_type=PROBLEM_CONTENT_TYPE,
                        headers={"WWW-Authenticate": 'Bearer realm="sandbox"'})
    return Response(status_code=200, headers={**verdict.identity.headers(state.proof_key),
                                              "Cache-Control": verify_cache_control()})
