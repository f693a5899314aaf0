"""Caller identity from the gateway's headers, proven by the gateway's identity proof.

The gateway copies five headers from auth's verify answer (and replaces any value a
client sent): X-User-Id, X-Client-Id, X-User-Roles, X-User-Permissions (comma lists) and
X-Identity-Proof. The proof is an HMAC that auth computes with the secret
`gateway/identity_key`, so a service trusts the other four headers only when the proof
matches them and has not expired:

    X-Identity-Proof = "v1." <expires_at> "." base64url-nopad(HMAC-SHA256(key,
        "v1\\n<expires_at>\\n<user_id>\\n<client_id>\\n<roles>\\n<permissions>"))

with roles/permissions the exact header strings and expires_at = min(token exp, now + 60).
This module is the one place that knows the format: `sign_proof` (auth) and
`verify_proof` (every service).

A process that serves identity installs the key at start (`install_identity_key`: the
platform's `create_app` and the monolith do it from the secrets emulator); from then on a
missing, forged, tampered or expired proof is a 401 problem, as if there were no identity.
A process that never installed a key (a unit test of a route, the mocks) takes the
headers as they come.

>>> key = "k" * 32
>>> proof = sign_proof(key, "u1", "c1", "admin", "orders:read", expires_at=2_000_000_000)
>>> verify_proof(key, proof, "u1", "c1", "admin", "orders:read", now=1_999_999_999)
True
>>> verify_proof(key, proof, "u1", "c1", "admin", "orders:write", now=1_999_999_999)
False
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .problem import ProblemError

PROOF_VERSION = "v1"
PROOF_LIFETIME_S = 60
"""A proof is valid at most this long (and never past the token's own expiry)."""
IDENTITY_KEY_SECRET = "gateway/identity_key"

USER_ID_HEADER, CLIENT_ID_HEADER, ROLES_HEADER = "X-User-Id", "X-Client-Id", "X-User-Roles"
PERMISSIONS_HEADER, PROOF_HEADER = "X-User-Permissions", "X-Identity-Proof"
IDENTITY_HEADERS = (USER_ID_HEADER, CLIENT_ID_HEADER, ROLES_HEADER, PERMISSIONS_HEADER,
                    PROOF_HEADER)
"""Set by the gateway from auth's verify answer (any client-sent value is replaced)."""


# --- the proof ------------------------------------------------------------------------

def _mac(key: str | bytes, expires_at: int, user_id: str, client_id: str, roles: str,
         permissions: str) -> str:
    raw_key = key.encode() if isinstance(key, str) else key
    message = "\n".join([PROOF_VERSION, str(expires_at), user_id, client_id, roles, permissions])
    digest = hmac.new(raw_key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_proof(key: str | bytes, user_id: str, client_id: str, roles: str, permissions: str,
               *, expires_at: int) -> str:
    """The X-Identity-Proof value for these exact header strings, valid until `expires_at`."""
    return (f"{PROOF_VERSION}.{int(expires_at)}."
            f"{_mac(key, int(expires_at), user_id, client_id, roles, permissions)}")


def proof_expiry(token_expires_at: int, *, now: float | None = None) -> int:
    """expires_at for a proof: min(token exp, now + PROOF_LIFETIME_S)."""
    current = int(time.time() if now is None else now)
    return min(int(token_expires_at), current + PROOF_LIFETIME_S)


def verify_proof(key: str | bytes, proof: str | None, user_id: str, client_id: str,
                 roles: str, permissions: str, *, now: float | None = None) -> bool:
    """True when `proof` is ours, unexpired, and made for exactly these header values."""
    if not proof or len(proof) > 200:
        return False
    version, _, rest = proof.partition(".")
    expires_text, _, mac = rest.partition(".")
    if version != PROOF_VERSION or not expires_text.isdigit() or not mac or len(expires_text) > 12:
        return False
    expires_at = int(expires_text)
    if expires_at <= (time.time() if now is None else now):
        return False
    expected = _mac(key, expires_at, user_id, client_id, roles, permissions)
    return hmac.compare_digest(expected.encode(), mac.encode("ascii", "replace"))


@dataclass
class _ProofKey:
    value: bytes | None = None


_KEY = _ProofKey()


def install_identity_key(key: str | bytes) -> None:
    """From now on this process trusts identity headers only with a valid proof by `key`."""
    raw = key.encode() if isinstance(key, str) else key
    if not raw:
        raise ValueError(f"secret {IDENTITY_KEY_SECRET} is empty")
    _KEY.value = raw


def identity_key_installed() -> bool:
    """Whether this process checks the identity proof."""
    return _KEY.value is not None


@contextmanager
def identity_key(key: str | bytes | None) -> Iterator[None]:
    """Install `key` (None: no check) for a block, then restore the previous one (tests)."""
    previous = _KEY.value
    _KEY.value = key.encode() if isinstance(key, str) else key
    try:
        yield
    finally:
        _KEY.value = previous


def proven_headers(key: str | bytes, user_id: str, client_id: str = "",
                   roles: str = "", permissions: str = "", *,
                   expires_at: int | None = None) -> dict[str, str]:
    """The five headers as the gateway forwards them (for tests and local tools)."""
    expiry = expires_at if expires_at is not None else int(time.time()) + PROOF_LIFETIME_S
    return {USER_ID_HEADER: user_id, CLIENT_ID_HEADER: client_id, ROLES_HEADER: roles,
            PERMISSIONS_HEADER: permissions,
            PROOF_HEADER: sign_proof(key, user_id, client_id, roles, permissions,
                                     expires_at=expiry)}


# --- the identity ---------------------------------------------------------------------

def _split(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Identity:
    """The verified caller."""

    user_id: str
    client_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def require_role(self, role: str) -> None:
        """Raise a 403 problem unless the caller has `role`."""
        if role not in self.roles:
            raise ProblemError(403, "Forbidden", f"role {role!r} required")

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions

    def require_permission(self, permission: str) -> None:
        """Raise a 403 problem unless the caller has `permission` (e.g. 'orders:write')."""
        if permission not in self.permissions:
            raise ProblemError(403, "Forbidden", f"permission {permission!r} required")


_NO_IDENTITY = "no verified identity (X-User-Id) on the request"
_BAD_PROOF = "the identity headers carry no valid gateway proof (X-Identity-Proof)"


def identity_from_headers(headers: Mapping[str, str], *, now: float | None = None) -> Identity:
    """Build the Identity; a 401 problem when X-User-Id is absent or its proof is not valid."""
    lower = {k.lower(): v for k, v in headers.items()}
    user_id = (lower.get("x-user-id") or "").strip()
    if not user_id:
        raise ProblemError(401, "Unauthorized", _NO_IDENTITY)
    client_id = (lower.get("x-client-id") or "").strip()
    roles = lower.get("x-user-roles") or ""
    permissions = lower.get("x-user-permissions") or ""
    key = _KEY.value
    if key is not None and not verify_proof(key, lower.get("x-identity-proof"), user_id,
                                            client_id, roles.strip(), permissions.strip(),
                                            now=now):
        raise ProblemError(401, "Unauthorized", _BAD_PROOF)
    return Identity(user_id=user_id, client_id=client_id, roles=_split(roles),
                    permissions=_split(permissions))


def _header(name: str, description: str) -> object:
    from fastapi import Header

    return Header(alias=name, description=f"set by the gateway: {description}")


def fastapi_identity(
    x_user_id: Annotated[str | None, _header(USER_ID_HEADER, "the token's user id")] = None,
    x_client_id: Annotated[str | None, _header(CLIENT_ID_HEADER, "the API key's client id")] = None,
    x_user_roles: Annotated[str | None, _header(ROLES_HEADER, "the user's roles, comma separated")] = None,
    x_user_permissions: Annotated[str | None, _header(
        PERMISSIONS_HEADER, "the user's permissions, comma separated")] = None,
    x_identity_proof: Annotated[str | None, _header(
        PROOF_HEADER, "HMAC proof that the gateway set the four identity headers")] = None,
) -> Identity:
    """FastAPI dependency: `identity: Identity = Depends(fastapi_identity)`.

    The headers are declared (so the API documents say which ones the gateway sets);
    without X-User-Id or a valid proof the answer is a 401 problem, never a validation error.
    """
    return identity_from_headers({USER_ID_HEADER: x_user_id or "",
                                  CLIENT_ID_HEADER: x_client_id or "",
                                  ROLES_HEADER: x_user_roles or "",
                                  PERMISSIONS_HEADER: x_user_permissions or "",
                                  PROOF_HEADER: x_identity_proof or ""})


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
    without X-User-Id (or with a bad proof) is a 401 problem even when its body is invalid
    too. In a view: `def orders_create(header: GatewayIdentity, body: ...)`, then
    `header.identity()`.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    x_user_id: str | None = Field(None, alias=USER_ID_HEADER,
                                  description="set by the gateway: the token's user id")
    x_client_id: str | None = Field(None, alias=CLIENT_ID_HEADER,
                                    description="set by the gateway: the API key's client id")
    x_user_roles: str | None = Field(None, alias=ROLES_HEADER,
                                     description="set by the gateway: the user's roles, "
                                     "comma separated")
    x_user_permissions: str | None = Field(None, alias=PERMISSIONS_HEADER,
                                           description="set by the gateway: the user's "
                                           "permissions, comma separated")
    x_identity_proof: str | None = Field(None, alias=PROOF_HEADER,
                                         description="set by the gateway: HMAC proof of the "
                                         "identity headers")

    @model_validator(mode="after")
    def _verified(self) -> GatewayIdentity:
        self.identity()  # a ProblemError (401) passes through pydantic unchanged
        return self

    def identity(self) -> Identity:
        """The verified caller (a 401 problem without X-User-Id or a valid proof)."""
        return identity_from_headers({USER_ID_HEADER: self.x_user_id or "",
                                      CLIENT_ID_HEADER: self.x_client_id or "",
                                      ROLES_HEADER: self.x_user_roles or "",
                                      PERMISSIONS_HEADER: self.x_user_permissions or "",
                                      PROOF_HEADER: self.x_identity_proof or ""})
