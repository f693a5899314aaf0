"""Database access of the auth service (psycopg 3 async pool, rows as dicts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
ROLES = {"admin": "manages clients, users and the catalog", "customer": "places orders"}
PERMISSIONS = {
    "admin": ["clients:write", "users:write", "products:write", "orders:read", "orders:write"],
    "customer": ["orders:read", "orders:write", "webhooks:write"],
}
GROUPS = {"admins": ["admin"], "customers": ["customer"]}
NESTING = [("customers", "admins")]  # (parent, child): admins are customers too
ENROLLED_GROUP = "customers"

_CLIENT_FOR_KEY = """
SELECT k.client_id::text AS client_id
  FROM api_keys k JOIN clients c ON c.id = k.client_id
 WHERE k.key_hash = %s AND k.revoked_at IS NULL AND c.disabled_at IS NULL
"""
_USER = """
SELECT u.id::text AS id, u.client_id::text AS client_id, u.password_hash
  FROM users u JOIN clients c ON c.id = u.client_id
 WHERE u.username = %s AND u.disabled_at IS NULL AND c.disabled_at IS NULL
"""
_ROLES = """
WITH RECURSIVE member_of(group_id) AS (
    SELECT group_id FROM user_groups WHERE user_id = %s
  UNION
    SELECT gg.parent_id FROM group_groups gg JOIN member_of m ON gg.child_id = m.group_id
)
SELECT DISTINCT r.name FROM member_of m
  JOIN group_roles gr ON gr.group_id = m.group_id
  JOIN roles r ON r.id = gr.role_id
 ORDER BY r.name
"""


@dataclass(frozen=True)
class UserRecord:
    """A user that may log in."""

    id: str
    client_id: str
    password_hash: str


@dataclass(frozen=True)
class EnrolledClient:
    """Ids of what enrolment created (the secrets are returned by the caller, not stored)."""

    client_id: str
    user_id: str


class AuthStore:
    """Queries and writes of the auth service over an async psycopg pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def client_for_key(self, key_hash: str) -> str | None:
        """The active client that owns the (unrevoked) key with this hash."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_CLIENT_FOR_KEY, (key_hash,))
            row = await cur.fetchone()
        return row["client_id"] if row else None

    async def find_user(self, username: str) -> UserRecord | None:
        """The active user with this username."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_USER, (username,))
            row = await cur.fetchone()
        return UserRecord(**row) if row else None

    async def grant_token(self, user: UserRecord) -> list[str]:
        """The user's roles (through nested groups), with an `auth.token_issued` outbox event."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(_ROLES, (user.id,))
            roles = [row["name"] for row in await cur.fetchall()]
            await add_payload(conn, TokenIssued(user_id=user.id, client_id=user.client_id,
                                                roles=roles))
        return roles

    async def enrol_client(self, name: str, key: StoredKey, username: str,
                           password_hash: str) -> EnrolledClient:
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
                "ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL",
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


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


async def _upsert_rbac(conn: Any) -> None:
    for role, description in ROLES.items():
        await conn.execute(
            "INSERT INTO roles (id, name, description) VALUES (%s, %s, %s) "
            "ON CONFLICT (name) DO NOTHING", (fixed_id(f"role:{role}"), role, description))
    for role, names in PERMISSIONS.items():
        for perm in names:
            await conn.execute(
                "INSERT INTO permissions (id, name) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                (fixed_id(f"permission:{perm}"), perm))
            await conn.execute(
                "INSERT INTO role_permissions (role_id, permission_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING", (fixed_id(f"role:{role}"), fixed_id(f"permission:{perm}")))
    for group, roles in GROUPS.items():
        await conn.execute(
            "INSERT INTO groups (id, name) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
            (fixed_id(f"group:{group}"), group))
        for role in roles:
            await conn.execute(
                "INSERT INTO group_roles (group_id, role_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (fixed_id(f"group:{group}"), fixed_id(f"role:{role}")))
    for parent, child in NESTING:
        await conn.execute(
            "INSERT INTO group_groups (parent_id, child_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (fixed_id(f"group:{parent}"), fixed_id(f"group:{child}")))
