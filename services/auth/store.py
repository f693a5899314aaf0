"""Database access of the auth service for logins, tokens and verify (psycopg 3 async pool).

The admin operations (users, RBAC, keys, signing keys, audit) are in `admin_store`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.platform.outbox import add_payload

from .api_keys import StoredKey
from .events import ClientEnrolled, TokenIssued

NAMESPACE = uuid.UUID("6f1d3f0e-2b7c-5a53-9a49-6a1f0c1e0a11")


def fixed_id(name: str) -> str:
    """A stable id for a row the service itself owns (admin client, built-in roles)."""
    return str(uuid.uuid5(NAMESPACE, name))


ADMIN_CLIENT_ID = fixed_id("client:admin")
ADMIN_USER_ID = fixed_id("user:admin")
ALL_PERMISSIONS = [
    "products:read", "products:write", "orders:read", "orders:write", "customers:read",
    "payments:read", "webhooks:read", "webhooks:write", "clients:read", "clients:write",
    "users:read", "users:write", "rbac:read", "rbac:write", "signing-keys:read",
    "signing-keys:write", "tokens:revoke", "audit:read",
]
ROLES = {"admin": "every permission", "customer": "places orders, reads the catalog"}
PERMISSIONS = {
    "admin": ALL_PERMISSIONS,
    "customer": ["products:read", "orders:read", "orders:write", "customers:read",
                 "payments:read", "webhooks:read", "webhooks:write"],
}
GROUPS = {"admins": ["admin"], "customers": ["customer"]}
NESTING = [("customers", "admins")]  # (parent, child): admins are customers too
ENROLLED_GROUP = "customers"

_CLIENT_FOR_KEY = """
SELECT k.client_id::text AS client_id, extract(epoch FROM k.expires_at)::float8 AS expires_at
  FROM api_keys k JOIN clients c ON c.id = k.client_id
 WHERE k.key_hash = %s AND k.revoked_at IS NULL AND c.disabled_at IS NULL
   AND (k.expires_at IS NULL OR k.expires_at > now())
"""
_USER = """
SELECT u.id::text AS id, u.client_id::text AS client_id, u.password_hash
  FROM users u JOIN clients c ON c.id = u.client_id
 WHERE u.username = %s AND u.disabled_at IS NULL AND c.disabled_at IS NULL
"""
_ACTIVE_USER = """
SELECT u.id::text AS id, u.client_id::text AS client_id, u.password_hash
  FROM users u JOIN clients c ON c.id = u.client_id
 WHERE u.id = %s AND u.disabled_at IS NULL AND c.disabled_at IS NULL
"""
MEMBER_OF = """
WITH RECURSIVE member_of(group_id) AS (
    SELECT group_id FROM user_groups WHERE user_id = %s
  UNION
    SELECT gg.parent_id FROM group_groups gg JOIN member_of m ON gg.child_id = m.group_id
)
"""
_GRANT = MEMBER_OF + """
SELECT r.name AS role, p.name AS permission FROM member_of m
  JOIN group_roles gr ON gr.group_id = m.group_id
  JOIN roles r ON r.id = gr.role_id
  LEFT JOIN role_permissions rp ON rp.role_id = r.id
  LEFT JOIN permissions p ON p.id = rp.permission_id
"""
BUMP_EPOCH = "UPDATE auth_epoch SET value = value + 1"


@dataclass(frozen=True)
class UserRecord:
    """A user that may log in."""

    id: str
    client_id: str
    password_hash: str


@dataclass(frozen=True)
class KeyRecord:
    """An active API key: its client, and when its rotation overlap ends (unix time)."""

    client_id: str
    expires_at: float | None = None


@dataclass(frozen=True)
class Grant:
    """What a token carries: the user's roles and permissions through nested groups."""

    roles: list[str]
    permissions: list[str]


@dataclass(frozen=True)
class EnrolledClient:
    """Ids of what enrolment created (the secrets are returned by the caller, not stored)."""

    client_id: str
    user_id: str


@dataclass(frozen=True)
class RefreshRecord:
    """A refresh token to store: its hash, its family and the access token beside it."""

    jti: str
    family: str
    user_id: str
    client_id: str
    token_hash: str
    expires_at: int
    access_jti: str
    access_expires_at: int


@dataclass(frozen=True)
class RefreshUse:
    """The outcome of presenting a refresh token: `ok` (with the user), `reuse` or `invalid`."""

    outcome: str
    user: UserRecord | None = None


@dataclass
class RevocationSnapshot:
    """What verify must know that a token does not say: revoked jtis, disabled users, keys."""

    epoch: int
    revoked_jtis: set[str] = field(default_factory=set)
    disabled_users: set[str] = field(default_factory=set)
    signing_keys: list[dict[str, Any]] = field(default_factory=list)


def _ts(value: float) -> datetime:

    return datetime.fromtimestamp(value, tz=UTC)


class AuthStore:
    """Queries and writes of the auth service's hot paths over an async psycopg pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def client_for_key(self, key_hash: str) -> KeyRecord | None:
        """The active client that owns the (unrevoked, unexpired) key with this hash."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_CLIENT_FOR_KEY, (key_hash,))
            row = await cur.fetchone()
        return KeyRecord(row["client_id"], row["expires_at"]) if row else None

    async def find_user(self, username: str) -> UserRecord | None:
        """The active user with this username."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_USER, (username,))
            row = await cur.fetchone()
        return UserRecord(**row) if row else None

    async def grant_token(self, user: UserRecord) -> Grant:
        """The user's roles and permissions, with an `auth.token_issued` outbox event."""
        async with self._pool.connection() as conn, conn.transaction():
            grant = await grant_of(conn, user.id)
            await add_payload(conn, TokenIssued(user_id=user.id, client_id=user.client_id,
                                                roles=grant.roles))
        return grant

    async def store_refresh(self, record: RefreshRecord) -> None:
        """Keep a new refresh token (hashed)."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO refresh_tokens (jti, family_id, user_id, client_id, token_hash, "
                "expires_at, access_jti, access_expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (record.jti, record.family, record.user_id, record.client_id, record.token_hash,
                 _ts(record.expires_at), record.access_jti, _ts(record.access_expires_at)))

    async def use_refresh(self, jti: str, token_hash: str, client_id: str) -> RefreshUse:
        """Spend a refresh token once; a second use revokes its whole family (reuse)."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT family_id::text AS family_id, user_id::text AS user_id, token_hash, "
                "client_id::text AS client_id, used_at, revoked_at, expires_at > now() AS live "
                "FROM refresh_tokens WHERE jti = %s FOR UPDATE", (jti,))
            row = await cur.fetchone()
            if (row is None or row["token_hash"] != token_hash or row["client_id"] != client_id
                    or row["revoked_at"] is not None or not row["live"]):
                return RefreshUse("invalid")
            if row["used_at"] is not None:
                await revoke_family(conn, row["family_id"])
                return RefreshUse("reuse")
            await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE jti = %s", (jti,))
            cur = await conn.execute(_ACTIVE_USER, (row["user_id"],))
            user = await cur.fetchone()
        return RefreshUse("ok", UserRecord(**user)) if user else RefreshUse("invalid")

    async def logout(self, jti: str, token_hash: str, client_id: str) -> bool:
        """Revoke the family of this refresh token (and its access tokens); False if unknown."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT family_id::text AS family_id FROM refresh_tokens WHERE jti = %s "
                "AND token_hash = %s AND client_id = %s", (jti, token_hash, client_id))
            row = await cur.fetchone()
            if row is None:
                return False
            await revoke_family(conn, row["family_id"])
        return True

    async def epoch(self) -> int:
        """The revocation epoch (one tiny row; polled by verify at most every second)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT value FROM auth_epoch")
            row = await cur.fetchone()
        return int(row["value"]) if row else 0

    async def revocations(self) -> RevocationSnapshot:
        """Everything verify checks besides the token itself, at the current epoch."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT value FROM auth_epoch")
            row = await cur.fetchone()
            snap = RevocationSnapshot(epoch=int(row["value"]) if row else 0)
            cur = await conn.execute("SELECT jti FROM revoked_tokens WHERE expires_at > now()")
            snap.revoked_jtis = {r["jti"] for r in await cur.fetchall()}
            cur = await conn.execute(
                "SELECT u.id::text AS id FROM users u JOIN clients c ON c.id = u.client_id "
                "WHERE u.disabled_at IS NOT NULL OR c.disabled_at IS NOT NULL")
            snap.disabled_users = {r["id"] for r in await cur.fetchall()}
            cur = await conn.execute(
                "SELECT kid, private_pem, status, extract(epoch FROM retire_at)::float8 AS "
                "retire_at FROM signing_keys WHERE status <> 'retired' ORDER BY created_at")
            snap.signing_keys = list(await cur.fetchall())
        return snap

    async def ensure_signing_key(self, kid: str, private_pem: str) -> None:
        """Make the secret's key the current signing key when there is none yet."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            cur = await conn.execute("SELECT 1 FROM signing_keys WHERE status = 'current'")
            if await cur.fetchone() is None:
                await conn.execute(
                    "INSERT INTO signing_keys (kid, private_pem, status) VALUES (%s, %s, "
                    "'current') ON CONFLICT (kid) DO UPDATE SET status = 'current', "
                    "retire_at = NULL, retired_at = NULL", (kid, private_pem))
                await conn.execute(BUMP_EPOCH)

    async def enrol_client(self, name: str, key: StoredKey, username: str,
                           password_hash: str, actor: Any = None) -> EnrolledClient:
        """Create a client, its API key and its first user (in group `customers`)."""
        client_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("INSERT INTO clients (id, name) VALUES (%s, %s)",
                               (client_id, name))
            await conn.execute(
                "INSERT INTO api_keys (id, client_id, prefix, key_hash) VALUES (%s, %s, %s, %s)",
                (str(uuid.uuid4()), client_id, key.prefix, key.key_hash))
            await conn.execute(
                "INSERT INTO users (id, client_id, username, password_hash) VALUES (%s, %s, %s, %s)",
                (user_id, client_id, username, password_hash))
            await conn.execute("INSERT INTO user_groups (user_id, group_id) VALUES (%s, %s)",
                               (user_id, fixed_id(f"group:{ENROLLED_GROUP}")))
            await add_payload(conn, ClientEnrolled(client_id=client_id, user_id=user_id, name=name,
                                                   key_prefix=key.prefix))
            if actor is not None:
                from .admin_store import audit

                await audit(conn, actor, "admin.client_enrolled", f"client:{client_id}",
                            {"name": name, "user_id": user_id, "key_prefix": key.prefix})
        return EnrolledClient(client_id=client_id, user_id=user_id)

    async def ensure_builtins(self, admin_key: StoredKey, admin_password_hash: str) -> None:
        """Upsert roles, permissions, groups, the admin client, its key and the admin user.

        Other keys of the admin client are revoked: only the current secret opens it.
        """
        async with self._pool.connection() as conn, conn.transaction():
            await _upsert_rbac(conn)
            await conn.execute(
                "INSERT INTO clients (id, name) VALUES (%s, 'admin') "
                "ON CONFLICT (id) DO UPDATE SET disabled_at = NULL", (ADMIN_CLIENT_ID,))
            await conn.execute(
                "INSERT INTO api_keys (id, client_id, prefix, key_hash) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL, expires_at = NULL",
                (fixed_id(f"key:{admin_key.key_hash}"), ADMIN_CLIENT_ID, admin_key.prefix,
                 admin_key.key_hash))
            await conn.execute(
                "UPDATE api_keys SET revoked_at = now() WHERE client_id = %s "
                "AND key_hash <> %s AND revoked_at IS NULL", (ADMIN_CLIENT_ID, admin_key.key_hash))
            await conn.execute(
                "INSERT INTO users (id, client_id, username, password_hash) "
                "VALUES (%s, %s, 'admin', %s) ON CONFLICT (username) DO UPDATE SET "
                "password_hash = EXCLUDED.password_hash, client_id = EXCLUDED.client_id, "
                "disabled_at = NULL, updated_at = now()",
                (ADMIN_USER_ID, ADMIN_CLIENT_ID, admin_password_hash))
            await conn.execute(
                "INSERT INTO user_groups (user_id, group_id) "
                "SELECT id, %s FROM users WHERE username = 'admin' ON CONFLICT DO NOTHING",
                (fixed_id("group:admins"),))
            await conn.execute(BUMP_EPOCH)

    async def record_audit(self, conn: Any, envelope: dict[str, Any]) -> None:
        """Store one `auth.*` event in `audit_events` (inside the inbox transaction)."""
        from psycopg.types.json import Jsonb

        data = envelope.get("data") or {}
        await conn.execute(
            "INSERT INTO audit_events (message_id, type, occurred_at, trace_id, user_id, "
            "client_id, data) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (envelope["id"], envelope["type"], envelope.get("occurred_at"),
             envelope.get("trace_id"), _uuid_or_none(data.get("user_id")),
             _uuid_or_none(data.get("client_id")), Jsonb(data)))


async def grant_of(conn: Any, user_id: str) -> Grant:
    """Roles and permissions of a user through its groups and their nesting."""
    cur = await conn.execute(_GRANT, (user_id,))
    rows = await cur.fetchall()
    roles = sorted({r["role"] for r in rows})
    permissions = sorted({r["permission"] for r in rows if r["permission"]})
    return Grant(roles=roles, permissions=permissions)


async def revoke_family(conn: Any, family_id: str) -> None:
    """Revoke every refresh token of a family and the access tokens issued beside them."""
    await conn.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) SELECT access_jti::text, access_expires_at "
        "FROM refresh_tokens WHERE family_id = %s AND access_jti IS NOT NULL "
        "AND access_expires_at > now() ON CONFLICT DO NOTHING", (family_id,))
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = %s AND revoked_at IS NULL",
        (family_id,))
    await conn.execute(BUMP_EPOCH)


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


async def _upsert_rbac(conn: Any) -> None:
    for perm in ALL_PERMISSIONS:
        await conn.execute(
            "INSERT INTO permissions (id, name) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
            (fixed_id(f"permission:{perm}"), perm))
    for role, description in ROLES.items():
        await conn.execute(
            "INSERT INTO roles (id, name, description) VALUES (%s, %s, %s) "
            "ON CONFLICT (name) DO NOTHING", (fixed_id(f"role:{role}"), role, description))
    for role, names in PERMISSIONS.items():
        for perm in names:
            await conn.execute(
                "INSERT INTO role_permissions (role_id, permission_id) "
                "SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = %s AND p.name = %s "
                "ON CONFLICT DO NOTHING", (role, perm))
    for group, roles in GROUPS.items():
        await conn.execute(
            "INSERT INTO groups (id, name) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
            (fixed_id(f"group:{group}"), group))
        for role in roles:
            await conn.execute(
                "INSERT INTO group_roles (group_id, role_id) SELECT g.id, r.id FROM groups g, "
                "roles r WHERE g.name = %s AND r.name = %s ON CONFLICT DO NOTHING", (group, role))
    for parent, child in NESTING:
        await conn.execute(
            "INSERT INTO group_groups (parent_id, child_id) SELECT p.id, c.id FROM groups p, "
            "groups c WHERE p.name = %s AND c.name = %s ON CONFLICT DO NOTHING", (parent, child))
