"""The admin API of auth (/v1/admin/...): clients and keys, users, RBAC, signing keys, audit.

Every route needs a permission, and auth checks it itself (defence in depth, whatever the
gateway did): the caller's X-Api-Key and bearer token are verified here as in
/internal/verify, revocations included, and the token must carry the route's permission
(401 / 403 problem otherwise). Every write is recorded in the audit trail with the
caller, the target and the trace id (GET /v1/admin/audit).

Permissions (the gateway's route table has the same): clients GET clients:read, else
clients:write; users GET users:read, else users:write; roles, permissions and groups
(memberships too) GET rbac:read, else rbac:write; signing keys
GET signing-keys:read, else signing-keys:write; POST /v1/admin/tokens/revoke
tokens:revoke; GET /v1/admin/audit audit:read.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.platform.app import answers
from services.platform.integers import WholeNumber
from services.platform.logging import get_logger
from services.platform.problem import ProblemError
from services.platform.text import STORABLE_TEXT
from services.platform.timestamps import Timestamp

from .admin_store import Actor
from .api_keys import new_api_key, stored_key
from .passwords import hash_password
from .routes import StateDep
from .tokens import KEY_OVERLAP_S, jwk_thumbprint, new_private_key, private_key_pem
from .verify import REVOCATION_BOUND_S

router = APIRouter(prefix="/v1/admin")
log = get_logger()
_NO_STORE = {"Cache-Control": "no-store"}
NAME = r"^[a-z][a-z0-9_.:-]{0,63}$"
"""Names of roles, permissions and groups (lower case; e.g. `orders:write`, `support`)."""
DEFAULT_KEY_OVERLAP_S = 300
_BOUND = (f"Takes effect through the gateway within {REVOCATION_BOUND_S:.0f} s (auth's 1 s "
          "revocation refresh + the gateway's 5 s verify cache).")


def require(permission: str) -> Any:
    """A dependency: the verified caller (as an Actor) when its token has `permission`."""

    async def caller(state: StateDep,
                     x_api_key: Annotated[str | None, Header(
                         description="the caller's enrolled API key")] = None,
                     authorization: Annotated[str | None, Header(
                         description="`Bearer <access token>`")] = None) -> Actor:
        verdict = await state.verifier.check(x_api_key, authorization,
                                             required_permission=permission)
        if verdict.identity is None:
            raise ProblemError(401, "Unauthorized", "an enrolled X-Api-Key and a valid bearer "
                               "token are required")
        if verdict.status != 200:
            raise ProblemError(403, "Forbidden", f"permission {permission!r} required")
        return Actor(user_id=verdict.identity.user_id, client_id=verdict.identity.client_id)

    return Depends(caller)


def _admin(state: Any) -> Any:
    if state.admin is None:  # pragma: no cover - wired at start
        raise ProblemError(503, "Service Unavailable", "the admin store is not ready")
    return state.admin


def _changed(state: Any) -> None:
    """This process made a change verify must see: check the database on the next verify."""
    state.revocations.expire()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Text = Annotated[str, Field(max_length=200, pattern=STORABLE_TEXT)]
Name = Annotated[str, Field(pattern=NAME)]
UserId = Annotated[str, Path(max_length=64, description="a user id")]
ClientId = Annotated[str, Path(max_length=64, description="a client id")]
KeyId = Annotated[str, Path(max_length=64, description="an API key id")]
RoleName = Annotated[str, Path(pattern=NAME, description="a role name")]
GroupName = Annotated[str, Path(pattern=NAME, description="a group name")]
PermissionName = Annotated[str, Path(pattern=NAME, description="a permission name")]


class ClientRequest(_Body):
    """Body of POST /v1/admin/clients."""

    name: str = Field(min_length=1, max_length=100, pattern=STORABLE_TEXT)


class EnrolledClientResponse(BaseModel):
    """Answer of POST /v1/admin/clients: the only time the key and password are shown."""

    client_id: str
    api_key: str
    username: str
    password: str
    user_id: str


class ClientOut(BaseModel):
    id: str
    name: str
    created_at: str | None
    disabled: bool


class ApiKeyOut(BaseModel):
    """An API key as listed: never the key itself."""

    id: str
    prefix: str
    created_at: str | None
    expires_at: str | None = Field(description="end of the rotation overlap, if rotated")
    revoked_at: str | None
    active: bool


class NewApiKeyOut(ApiKeyOut):
    """A new key: the only time `api_key` is shown."""

    api_key: str


class RotatedKeyOut(BaseModel):
    """Answer of a rotation: the new key, and the old one with its overlap's end."""

    new: NewApiKeyOut
    previous: ApiKeyOut


class KeyRotateRequest(_Body):
    overlap_s: WholeNumber = Field(DEFAULT_KEY_OVERLAP_S, ge=0, le=86_400,
                           description="seconds the old key keeps working")


class UserCreate(_Body):
    client_id: str = Field(max_length=64)
    username: str = Field(min_length=1, max_length=200, pattern=STORABLE_TEXT)
    password: str = Field(min_length=8, max_length=1024)
    groups: list[Name] = Field(default_factory=list, max_length=20)


class UserUpdate(_Body):
    username: str | None = Field(None, min_length=1, max_length=200, pattern=STORABLE_TEXT)
    password: str | None = Field(None, min_length=8, max_length=1024)


class UserOut(BaseModel):
    id: str
    client_id: str
    username: str
    disabled: bool
    groups: list[str] = Field(description="the groups the user is directly in")
    created_at: str | None


class EffectiveOut(BaseModel):
    """A user's groups through nesting, and the roles and permissions they give."""

    user_id: str
    groups: list[str]
    roles: list[str]
    permissions: list[str]


class PermissionCreate(_Body):
    name: Name
    description: Text = ""


class PermissionUpdate(_Body):
    description: Text


class PermissionOut(BaseModel):
    id: str
    name: str
    description: str
    builtin: bool


class RoleCreate(_Body):
    name: Name
    description: Text = ""
    permissions: list[Name] = Field(default_factory=list, max_length=100)


class RenameRequest(_Body):
    name: Name | None = None
    description: Text | None = None


class RoleOut(BaseModel):
    id: str
    name: str
    description: str
    permissions: list[str]
    builtin: bool


class GroupCreate(_Body):
    name: Name
    description: Text = ""


class GroupOut(BaseModel):
    id: str
    name: str
    description: str
    roles: list[str]
    member_groups: list[str] = Field(description="groups nested in this one (their members "
                                     "are members of this group)")
    member_of: list[str] = Field(description="groups this one is nested in")
    builtin: bool


class SigningKeyOut(BaseModel):
    kid: str
    status: str = Field(description="current (signs), previous (verifies until retire_at), "
                        "retired")
    created_at: str | None
    retire_at: str | None
    retired_at: str | None


_DEFAULT_KEY_ROTATE = KeyRotateRequest()


class TokenRevoke(_Body):
    jti: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")


class AuditEventOut(BaseModel):
    id: str
    type: str = Field(description="what happened, e.g. admin.user_disabled")
    occurred_at: str | None
    trace_id: str | None
    actor_id: str | None = Field(description="who did it")
    user_id: str | None
    client_id: str | None
    target: str | None = Field(description="on what, e.g. user:<id>")
    data: dict[str, Any]


def _items(model: type[BaseModel]) -> type[BaseModel]:
    return type(f"{model.__name__}List", (BaseModel,), {"__annotations__": {"items": list[model]}})


def _list(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": rows}


# --- clients and API keys -------------------------------------------------------------

def _not_the_builtin_admin(*, user_id: Any = None, client_id: Any = None) -> None:
    """The run's built-in admin (its client, key and user) is managed by the secrets
    auth/admin_api_key and auth/admin_password, not by the API: 409 problem."""
    from .store import ADMIN_CLIENT_ID, ADMIN_USER_ID

    if (user_id is not None and str(user_id) == ADMIN_USER_ID) or (
            client_id is not None and str(client_id) == ADMIN_CLIENT_ID):
        raise ProblemError(409, "Conflict", "the built-in admin is managed by the run's secrets: "
                           "rotate them with `sandbox secrets rotate auth/admin_api_key`")


@router.post("/clients", status_code=201, response_model=None,
             responses=answers(EnrolledClientResponse, 401, 403, 422, status=201))
async def client_create(body: ClientRequest, state: StateDep,
                        actor: Annotated[Actor, require("clients:write")]) -> JSONResponse:
    """Enrol a source: a client, its API key, and a first user (group customers)."""
    api_key = new_api_key()
    slug = re.sub(r"[^a-z0-9]+", "-", body.name.lower()).strip("-")[:40] or "client"
    username = f"{slug}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    password_hash = await asyncio.to_thread(hash_password, password)
    enrolled = await state.store.enrol_client(body.name, stored_key(api_key), username,
                                              password_hash, actor)
    log.info("auth.client_enrolled", client_id=enrolled.client_id, by=actor.user_id)
    return JSONResponse(
        {"client_id": enrolled.client_id, "api_key": api_key, "username": username,
         "password": password, "user_id": enrolled.user_id},
        status_code=201, headers=_NO_STORE)


@router.get("/clients", response_model=None, responses=answers(_items(ClientOut), 401, 403))
async def client_list(state: StateDep, actor: Annotated[Actor, require("clients:read")]) -> Any:
    """The enrolled clients."""
    return _list(await _admin(state).list_clients())


@router.get("/clients/{client_id}/keys", response_model=None,
            responses=answers(_items(ApiKeyOut), 401, 403, 404))
async def key_list(client_id: ClientId, state: StateDep,
                   actor: Annotated[Actor, require("clients:read")]) -> Any:
    """A client's API keys (prefixes and dates, never the keys)."""
    return _list(await _admin(state).list_keys(client_id))


@router.post("/clients/{client_id}/keys", status_code=201, response_model=None,
             responses=answers(NewApiKeyOut, 401, 403, 404, status=201))
async def key_create(client_id: ClientId, state: StateDep,
                     actor: Annotated[Actor, require("clients:write")]) -> JSONResponse:
    """One more API key for a client (shown once; stored as a SHA-256 hash)."""
    api_key = new_api_key()
    row = await _admin(state).create_key(actor, client_id, stored_key(api_key))
    return JSONResponse({**row, "api_key": api_key}, status_code=201, headers=_NO_STORE)


@router.post("/clients/{client_id}/keys/{key_id}/rotate", response_model=None,
             responses=answers(RotatedKeyOut, 401, 403, 404, 409, 422))
async def key_rotate(client_id: ClientId, key_id: KeyId, state: StateDep,
                     actor: Annotated[Actor, require("clients:write")],
                     body: Annotated[KeyRotateRequest, Body()] = _DEFAULT_KEY_ROTATE
                     ) -> JSONResponse:
    """A new key replaces `key_id`, which keeps working `overlap_s` seconds (default 300)."""
    _not_the_builtin_admin(client_id=client_id)
    overlap = body.overlap_s
    api_key = new_api_key()
    new, old = await _admin(state).rotate_key(actor, client_id, key_id, stored_key(api_key),
                                              overlap)
    _changed(state)
    return JSONResponse({"new": {**new, "api_key": api_key}, "previous": old}, headers=_NO_STORE)


@router.post("/clients/{client_id}/keys/{key_id}/revoke", response_model=None,
             responses=answers(ApiKeyOut, 401, 403, 404, 409), description=_BOUND)
async def key_revoke(client_id: ClientId, key_id: KeyId, state: StateDep,
                     actor: Annotated[Actor, require("clients:write")]) -> Any:
    """Revoke an API key at once."""
    _not_the_builtin_admin(client_id=client_id)
    row = await _admin(state).revoke_key(actor, client_id, key_id)
    _changed(state)
    return row


# --- users ----------------------------------------------------------------------------

@router.get("/users", response_model=None, responses=answers(_items(UserOut), 401, 403, 422))
async def user_list(state: StateDep, actor: Annotated[Actor, require("users:read")],
                    client_id: Annotated[str | None, Query(max_length=64)] = None) -> Any:
    """Users (of one client, with `client_id`)."""
    return _list(await _admin(state).list_users(client_id))


@router.post("/users", status_code=201, response_model=None,
             responses=answers(UserOut, 401, 403, 404, 409, 422, status=201))
async def user_create(body: UserCreate, state: StateDep,
                      actor: Annotated[Actor, require("users:write")]) -> JSONResponse:
    """A user of a client, in the given groups."""
    password_hash = await asyncio.to_thread(hash_password, body.password)
    row = await _admin(state).create_user(actor, body.client_id, body.username, password_hash,
                                          body.groups)
    return JSONResponse(row, status_code=201)


@router.get("/users/{user_id}", response_model=None, responses=answers(UserOut, 401, 403, 404))
async def user_read(user_id: UserId, state: StateDep,
                    actor: Annotated[Actor, require("users:read")]) -> Any:
    """One user."""
    return await _admin(state).get_user(user_id)


@router.patch("/users/{user_id}", response_model=None,
              responses=answers(UserOut, 401, 403, 404, 409, 422))
async def user_update(user_id: UserId, body: UserUpdate, state: StateDep,
                      actor: Annotated[Actor, require("users:write")]) -> Any:
    """Change a user's username or password."""
    _not_the_builtin_admin(user_id=user_id)
    password_hash = (await asyncio.to_thread(hash_password, body.password)
                     if body.password is not None else None)
    return await _admin(state).update_user(actor, user_id, body.username, password_hash)


@router.post("/users/{user_id}/disable", response_model=None,
             responses=answers(UserOut, 401, 403, 404, 409), description=_BOUND)
async def user_disable(user_id: UserId, state: StateDep,
                       actor: Annotated[Actor, require("users:write")]) -> Any:
    """Disable a user: its tokens stop verifying, its refresh tokens are revoked."""
    if user_id == actor.user_id:
        raise ProblemError(409, "Conflict", "you cannot disable yourself")
    _not_the_builtin_admin(user_id=user_id)
    row = await _admin(state).set_user_disabled(actor, user_id, True)
    _changed(state)
    return row


@router.post("/users/{user_id}/enable", response_model=None,
             responses=answers(UserOut, 401, 403, 404))
async def user_enable(user_id: UserId, state: StateDep,
                      actor: Annotated[Actor, require("users:write")]) -> Any:
    """Enable a disabled user again (it needs a new login)."""
    row = await _admin(state).set_user_disabled(actor, user_id, False)
    _changed(state)
    return row


@router.get("/users/{user_id}/permissions", response_model=None,
            responses=answers(EffectiveOut, 401, 403, 404))
async def user_permissions(user_id: UserId, state: StateDep,
                           actor: Annotated[Actor, require("users:read")]) -> Any:
    """The user's effective groups, roles and permissions, resolved through nested groups."""
    return await _admin(state).effective(user_id)


# --- permissions ----------------------------------------------------------------------

@router.get("/permissions", response_model=None,
            responses=answers(_items(PermissionOut), 401, 403))
async def permission_list(state: StateDep, actor: Annotated[Actor, require("rbac:read")]) -> Any:
    """Every permission."""
    return _list(await _admin(state).list_permissions())


@router.post("/permissions", status_code=201, response_model=None,
             responses=answers(PermissionOut, 401, 403, 409, 422, status=201))
async def permission_create(body: PermissionCreate, state: StateDep,
                            actor: Annotated[Actor, require("rbac:write")]) -> JSONResponse:
    """A new permission (resource:action)."""
    row = await _admin(state).create_permission(actor, body.name, body.description)
    return JSONResponse(row, status_code=201)


@router.get("/permissions/{name}", response_model=None,
            responses=answers(PermissionOut, 401, 403, 404, 422))
async def permission_read(name: PermissionName, state: StateDep,
                          actor: Annotated[Actor, require("rbac:read")]) -> Any:
    """One permission."""
    return await _admin(state).get_permission(name)


@router.patch("/permissions/{name}", response_model=None,
              responses=answers(PermissionOut, 401, 403, 404, 422))
async def permission_update(name: PermissionName, body: PermissionUpdate, state: StateDep,
                            actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Change a permission's description."""
    return await _admin(state).update_permission(actor, name, body.description)


@router.delete("/permissions/{name}", status_code=204, response_model=None,
               responses=answers(None, 401, 403, 404, 409, 422, status=204))
async def permission_delete(name: PermissionName, state: StateDep,
                            actor: Annotated[Actor, require("rbac:write")]) -> Response:
    """Delete a permission (not a built-in one); roles lose it."""
    await _admin(state).delete_permission(actor, name)
    return Response(status_code=204)


# --- roles ----------------------------------------------------------------------------

@router.get("/roles", response_model=None, responses=answers(_items(RoleOut), 401, 403))
async def role_list(state: StateDep, actor: Annotated[Actor, require("rbac:read")]) -> Any:
    """Every role with its permissions."""
    return _list(await _admin(state).list_roles())


@router.post("/roles", status_code=201, response_model=None,
             responses=answers(RoleOut, 401, 403, 404, 409, 422, status=201))
async def role_create(body: RoleCreate, state: StateDep,
                      actor: Annotated[Actor, require("rbac:write")]) -> JSONResponse:
    """A new role, with permissions."""
    row = await _admin(state).create_role(actor, body.name, body.description, body.permissions)
    return JSONResponse(row, status_code=201)


@router.get("/roles/{name}", response_model=None, responses=answers(RoleOut, 401, 403, 404, 422))
async def role_read(name: RoleName, state: StateDep,
                    actor: Annotated[Actor, require("rbac:read")]) -> Any:
    """One role."""
    return await _admin(state).get_role(name)


@router.patch("/roles/{name}", response_model=None,
              responses=answers(RoleOut, 401, 403, 404, 409, 422))
async def role_update(name: RoleName, body: RenameRequest, state: StateDep,
                      actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Rename a role or change its description (built-in roles keep their names)."""
    return await _admin(state).update_role(actor, name, body.name, body.description)


@router.delete("/roles/{name}", status_code=204, response_model=None,
               responses=answers(None, 401, 403, 404, 409, 422, status=204))
async def role_delete(name: RoleName, state: StateDep,
                      actor: Annotated[Actor, require("rbac:write")]) -> Response:
    """Delete a role (not a built-in one)."""
    await _admin(state).delete_role(actor, name)
    return Response(status_code=204)


@router.put("/roles/{name}/permissions/{permission}", response_model=None,
            responses=answers(RoleOut, 401, 403, 404, 422))
async def role_permission_add(name: RoleName, permission: PermissionName, state: StateDep,
                              actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Give a role a permission."""
    return await _admin(state).set_role_permission(actor, name, permission, True)


@router.delete("/roles/{name}/permissions/{permission}", response_model=None,
               responses=answers(RoleOut, 401, 403, 404, 422))
async def role_permission_remove(name: RoleName, permission: PermissionName, state: StateDep,
                                 actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Take a permission from a role."""
    return await _admin(state).set_role_permission(actor, name, permission, False)


# --- groups ---------------------------------------------------------------------------

@router.get("/groups", response_model=None, responses=answers(_items(GroupOut), 401, 403))
async def group_list(state: StateDep, actor: Annotated[Actor, require("rbac:read")]) -> Any:
    """Every group with its roles and nesting."""
    return _list(await _admin(state).list_groups())


@router.post("/groups", status_code=201, response_model=None,
             responses=answers(GroupOut, 401, 403, 409, 422, status=201))
async def group_create(body: GroupCreate, state: StateDep,
                       actor: Annotated[Actor, require("rbac:write")]) -> JSONResponse:
    """A new group."""
    row = await _admin(state).create_group(actor, body.name, body.description)
    return JSONResponse(row, status_code=201)


@router.get("/groups/{name}", response_model=None, responses=answers(GroupOut, 401, 403, 404, 422))
async def group_read(name: GroupName, state: StateDep,
                     actor: Annotated[Actor, require("rbac:read")]) -> Any:
    """One group."""
    return await _admin(state).get_group(name)


@router.patch("/groups/{name}", response_model=None,
              responses=answers(GroupOut, 401, 403, 404, 409, 422))
async def group_update(name: GroupName, body: RenameRequest, state: StateDep,
                       actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Rename a group or change its description (built-in groups keep their names)."""
    return await _admin(state).update_group(actor, name, body.name, body.description)


@router.delete("/groups/{name}", status_code=204, response_model=None,
               responses=answers(None, 401, 403, 404, 409, 422, status=204))
async def group_delete(name: GroupName, state: StateDep,
                       actor: Annotated[Actor, require("rbac:write")]) -> Response:
    """Delete a group (not a built-in one)."""
    await _admin(state).delete_group(actor, name)
    return Response(status_code=204)


@router.put("/groups/{name}/roles/{role}", response_model=None,
            responses=answers(GroupOut, 401, 403, 404, 422))
async def group_role_add(name: GroupName, role: RoleName, state: StateDep,
                         actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Give a group a role."""
    return await _admin(state).set_group_role(actor, name, role, True)


@router.delete("/groups/{name}/roles/{role}", response_model=None,
               responses=answers(GroupOut, 401, 403, 404, 422))
async def group_role_remove(name: GroupName, role: RoleName, state: StateDep,
                            actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Take a role from a group."""
    return await _admin(state).set_group_role(actor, name, role, False)


@router.put("/groups/{name}/groups/{child}", response_model=None,
            responses=answers(GroupOut, 401, 403, 404, 409, 422))
async def group_nest(name: GroupName, child: GroupName, state: StateDep,
                     actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Nest group `child` in group `name`: child's members become name's members.

    A nesting that would make a cycle (name already nested in child, directly or not, or
    name == child) is refused with a 409 problem.
    """
    return await _admin(state).set_group_member_group(actor, name, child, True)


@router.delete("/groups/{name}/groups/{child}", response_model=None,
               responses=answers(GroupOut, 401, 403, 404, 422))
async def group_unnest(name: GroupName, child: GroupName, state: StateDep,
                       actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Take group `child` out of group `name`."""
    return await _admin(state).set_group_member_group(actor, name, child, False)


@router.put("/groups/{name}/users/{user_id}", response_model=None,
            responses=answers(UserOut, 401, 403, 404, 422))
async def group_user_add(name: GroupName, user_id: UserId, state: StateDep,
                         actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Put a user in a group."""
    return await _admin(state).set_group_user(actor, name, user_id, True)


@router.delete("/groups/{name}/users/{user_id}", response_model=None,
               responses=answers(UserOut, 401, 403, 404, 409, 422))
async def group_user_remove(name: GroupName, user_id: UserId, state: StateDep,
                            actor: Annotated[Actor, require("rbac:write")]) -> Any:
    """Take a user out of a group."""
    _not_the_builtin_admin(user_id=user_id)
    return await _admin(state).set_group_user(actor, name, user_id, False)


# --- signing keys, token revocation, audit --------------------------------------------

@router.get("/signing-keys", response_model=None,
            responses=answers(_items(SigningKeyOut), 401, 403))
async def signing_key_list(state: StateDep,
                           actor: Annotated[Actor, require("signing-keys:read")]) -> Any:
    """The signing keys: kid, status (current, previous, retired) and dates."""
    return _list(await _admin(state).list_signing_keys())


@router.post("/signing-keys/rotate", status_code=201, response_model=None,
             responses=answers(SigningKeyOut, 401, 403, status=201))
async def signing_key_rotate(state: StateDep,
                             actor: Annotated[Actor, require("signing-keys:write")]
                             ) -> JSONResponse:
    """A new current signing key; the old one keeps verifying (and stays in the JWKS) until
    every token it signed has expired (the refresh-token lifetime, 8 h), or until retired."""
    key = await asyncio.to_thread(new_private_key)
    kid = jwk_thumbprint(key.public_key())
    await _admin(state).rotate_signing_key(actor, kid, private_key_pem(key), KEY_OVERLAP_S)
    _changed(state)
    await state.revocations.fresh()
    row = next(k for k in await _admin(state).list_signing_keys() if k["kid"] == kid)
    return JSONResponse(row, status_code=201)


@router.post("/signing-keys/{kid}/retire", response_model=None,
             responses=answers(SigningKeyOut, 401, 403, 404, 409, 422), description=_BOUND)
async def signing_key_retire(kid: Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
                             state: StateDep,
                             actor: Annotated[Actor, require("signing-keys:write")]) -> Any:
    """Retire a previous key now: tokens it signed stop verifying, the JWKS drops it."""
    await _admin(state).retire_signing_key(actor, kid)
    _changed(state)
    return next(k for k in await _admin(state).list_signing_keys() if k["kid"] == kid)


@router.post("/tokens/revoke", status_code=204, response_model=None,
             responses=answers(None, 401, 403, 422, status=204), description=_BOUND)
async def token_revoke(body: TokenRevoke, state: StateDep,
                       actor: Annotated[Actor, require("tokens:revoke")]) -> Response:
    """Revoke a token by its jti (an access token; a refresh token also ends its family)."""
    keep_until = time.time() + max(state.tokens.ttl_s, state.tokens.refresh_ttl_s)
    await _admin(state).revoke_token(actor, body.jti, keep_until)
    _changed(state)
    return Response(status_code=204)


@router.get("/audit", response_model=None,
            responses=answers(_items(AuditEventOut), 401, 403, 422))
async def audit_list(state: StateDep, actor: Annotated[Actor, require("audit:read")],
                     actor_id: Annotated[str | None, Query(max_length=64,
                                                           description="who")] = None,
                     type: Annotated[str | None, Query(max_length=100, pattern=STORABLE_TEXT,
                                                       description="what")] = None,
                     target: Annotated[str | None, Query(max_length=200, pattern=STORABLE_TEXT,
                                                         description="on what")] = None,
                     since: Annotated[Timestamp | None, Query()] = None,
                     until: Annotated[Timestamp | None, Query()] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    """The audit trail, newest first: who, what, target, when, trace id."""
    return _list(await _admin(state).audit_events(actor_id=actor_id, type_=type, target=target,
                                                  since=since, until=until, limit=limit))
