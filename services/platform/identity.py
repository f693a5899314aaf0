"""Caller identity from the gateway's headers: X-User-Id, X-Client-Id, X-User-Roles.

These headers are set by the gateway after verifying the JWT; services on the private
network trust them and nothing else. Absent → 401 problem; missing role → 403 problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .problem import ProblemError


@dataclass(frozen=True)
class Identity:
    """The verified caller."""

    user_id: str
    client_id: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def require_role(self, role: str) -> None:
        """Raise a 403 problem unless the caller has `role`."""
        if role not in self.roles:
            raise ProblemError(403, "Forbidden", f"role {role!r} required")


def identity_from_headers(headers: Mapping[str, str]) -> Identity:
    """Build the Identity, or raise a 401 problem when X-User-Id is absent."""
    lower = {k.lower(): v for k, v in headers.items()}
    user_id = (lower.get("x-user-id") or "").strip()
    if not user_id:
        raise ProblemError(401, "Unauthorized", "no verified identity (X-User-Id) on the request")
    roles = frozenset(r.strip() for r in (lower.get("x-user-roles") or "").split(",") if r.strip())
    return Identity(user_id=user_id, client_id=(lower.get("x-client-id") or "").strip(), roles=roles)


USER_ID_HEADER, CLIENT_ID_HEADER, ROLES_HEADER = "X-User-Id", "X-Client-Id", "X-User-Roles"
IDENTITY_HEADERS = (USER_ID_HEADER, CLIENT_ID_HEADER, ROLES_HEADER)
"""Set by the gateway from the verified token (any client-sent value is replaced)."""


def _header(name: str, description: str) -> object:
    from fastapi import Header

    return Header(alias=name, description=f"set by the gateway: {description}")


def fastapi_identity(
    x_user_id: Annotated[str | None, _header(USER_ID_HEADER, "the token's user id")] = None,
    x_client_id: Annotated[str | None, _header(CLIENT_ID_HEADER, "the API key's client id")] = None,
    x_user_roles: Annotated[str | None, _header(ROLES_HEADER, "the user's roles, comma separated")] = None,
) -> Identity:
    """FastAPI dependency: `identity: Identity = Depends(fastapi_identity)`.

    The headers are declared (so the API documents say which ones the gateway sets);
    without X-User-Id the answer is a 401 problem, never a validation error.
    """
    return identity_from_headers({USER_ID_HEADER: x_user_id or "",
                                  CLIENT_ID_HEADER: x_client_id or "",
                                  ROLES_HEADER: x_user_roles or ""})


def flask_identity() -> Identity:
    """The identity of the current Flask request."""
    from flask import request

    return identity_from_headers(dict(request.headers))


def _identity_dependency() -> object:
    from fastapi import Depends

    return Depends(fastapi_identity)


IdentityDep = Annotated[Identity, _identity_dependency()]
"""FastAPI parameter type: `identity: IdentityDep` (401 problem without gateway headers)."""



class GatewayIdentity(BaseModel):
    """The gateway's identity headers as a request-header model (flask-openapi3).

    Declared so the API document lists them; checked before the body, so a request
    without X-User-Id is a 401 problem even when its body is invalid too. In a view:
    `def orders_create(header: GatewayIdentity, body: ...)`, then `header.identity()`.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    x_user_id: str | None = Field(None, alias=USER_ID_HEADER,
                                  description="set by the gateway: the token's user id")
    x_client_id: str | None = Field(None, alias=CLIENT_ID_HEADER,
                                    description="set by the gateway: the API key's client id")
    x_user_roles: str | None = Field(None, alias=ROLES_HEADER,
                                     description="set by the gateway: the user's roles, "
                                     "comma separated")

    @model_validator(mode="after")
    def _verified(self) -> GatewayIdentity:
        self.identity()  # a ProblemError (401) passes through pydantic unchanged
        return self

    def identity(self) -> Identity:
        """The verified caller (a 401 problem without X-User-Id)."""
        return identity_from_headers({USER_ID_HEADER: self.x_user_id or "",
                                      CLIENT_ID_HEADER: self.x_client_id or "",
                                      ROLES_HEADER: self.x_user_roles or ""})
