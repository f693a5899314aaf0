"""Database side of the admin API: users, RBAC, API keys, signing keys, revocation, audit.

Every write runs in one transaction with its audit row (`audit`): who (actor), what
(type), on what (target), when, and the trace id. A change verify must see bumps the
revocation epoch in the same transaction. Errors a client can cause are ProblemErrors
(404 unknown, 409 conflict), never database errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from services.platform.problem import ProblemError
from services.platform.tracing import current_trace_id

from .api_keys import StoredKey
from .rbac import would_cycle
from .store import ALL_PERMISSIONS, BUMP_EPOCH, GROUPS, MEMBER_OF, ROLES, grant_of

BUILTIN_ROLES = frozenset(ROLES)
BUILTIN_GROUPS = frozenset(GROUPS)
BUILTIN_PERMISSIONS = frozenset(ALL_PERMISSIONS)


@dataclass(frozen=True)
class Actor:
    """Who performs an admin operation (from the caller's verified token)."""

    user_id: str
    client_id: str


def not_found(what: str) -> ProblemError:
    return ProblemError(404, "Not Found", f"no {what}")


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "Conflict", detail)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def valid_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


async def audit(conn: Any, actor: Actor, type_: str, target: str, data: dict[str, Any]) -> None:
    """Write one audit row (inside the operation's transaction)."""
    await conn.execute(
        "INSERT INTO audit_events (message_id, type, occurred_at, trace_id, user_id, client_id, "
        "actor_id, target, data) VALUES (%s, %s, now(), %s, %s, %s, %s, %s, %s)",
        (str(uuid.uuid4()), type_, current_trace_id(), actor.user_id,
         actor.client_id if valid_uuid(actor.client_id) else None, actor.user_id, target,
         Jsonb(data)))


def _key_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "prefix": row["prefix"], "created_at": _iso(row["created_at"]),
            "expires_at": _iso(row["expires_at"]), "revoked_at": _iso(row["revoked_at"]),
            "active": bool(row["active"])}


_KEY_COLUMNS = ("id, prefix, created_at, expires_at, revoked_at, (revoked_at IS NULL AND "
                "(expires_at IS NULL OR expires_at > now())) AS active")


class AdminStore:
    """The admin operations over an async psycopg pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    # --- clients and API keys ---------------------------------------------------------

    async def list_clients(self) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id::text AS id, name, created_at, disabled_at FROM clients ORDER BY "
                "created_at, id LIMIT 1000")
            rows = await cur.fetchall()
        return [{"id": r["id"], "name": r["name"], "created_at": _iso(r["created_at"]),
                 "disabled": r["disabled_at"] is not None} for r in rows]

    async def _client_exists(self, conn: Any, client_id: str) -> None:
        if not valid_uuid(client_id):
            raise not_found(f"client {client_id}")
        cur = await conn.execute("SELECT 1 FROM clients WHERE id = %s", (client_id,))
        if await cur.fetchone() is None:
            raise not_found(f"client {client_id}")

    async def list_keys(self, client_id: str) -> list[dict[str, Any]]:
        if not valid_uuid(client_id):
            raise not_found(f"client {client_id}")
        async with self._pool.connection() as conn:
            await self._client_exists(conn, client_id)
            cur = await conn.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE client_id = %s "
                                     "ORDER BY created_at", (client_id,))
            return [_key_out(r) for r in await cur.fetchall()]

    async def create_key(self, actor: Actor, client_id: str, key: StoredKey) -> dict[str, Any]:
        if not valid_uuid(client_id):
            raise not_found(f"client {client_id}")
        async with self._pool.connection() as conn, conn.transaction():
            await self._client_exists(conn, client_id)
            key_id = str(uuid.uuid4())
            cur = await conn.execute(
                f"INSERT INTO api_keys (id, client_id, prefix, key_hash) VALUES (%s, %s, %s, %s) "
                f"RETURNING {_KEY_COLUMNS}", (key_id, client_id, key.prefix, key.key_hash))
            row = await cur.fetchone()
            await audit(conn, actor, "admin.api_key_created", f"api_key:{key_id}",
                        {"client_id": client_id, "prefix": key.prefix})
        return _key_out(row)

    async def _active_key(self, conn: Any, client_id: str, key_id: str) -> dict[str, Any]:
        if not (valid_uuid(client_id) and valid_uuid(key_id)):
            raise not_found(f"API key {key_id} of client {client_id}")
        cur = await conn.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = %s AND "
                                 "client_id = %s FOR UPDATE", (key_id, client_id))
        row = await cur.fetchone()
        if row is None:
            raise not_found(f"API key {key_id} of client {client_id}")
        if not row["active"]:
            raise conflict(f"API key {key_id} is already revoked or expired")
        return row

    async def rotate_key(self, actor: Actor, client_id: str, key_id: str, key: StoredKey,
                         overlap_s: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new key for the client; the old one keeps working `overlap_s` seconds."""
        async with self._pool.connection() as conn, conn.transaction():
            await self._active_key(conn, client_id, key_id)
            cur = await conn.execute(
                f"UPDATE api_keys SET expires_at = now() + make_interval(secs => %s) "
                f"WHERE id = %s RETURNING {_KEY_COLUMNS}", (overlap_s, key_id))
            old = await cur.fetchone()
            new_id = str(uuid.uuid4())
            cur = await conn.execute(
                f"INSERT INTO api_keys (id, client_id, prefix, key_hash) VALUES (%s, %s, %s, %s) "
                f"RETURNING {_KEY_COLUMNS}", (new_id, client_id, key.prefix, key.key_hash))
            new = await cur.fetchone()
            await conn.execute(BUMP_EPOCH)
            await audit(conn, actor, "admin.api_key_rotated", f"api_key:{key_id}",
                        {"client_id": client_id, "new_key_id": new_id, "overlap_s": overlap_s})
        return _key_out(new), _key_out(old)

    async def revoke_key(self, actor: Actor, client_id: str, key_id: str) -> dict[str, Any]:
        async with self._pool.connection() as conn, conn.transaction():
            await self._active_key(conn, client_id, key_id)
            cur = await conn.execute(f"UPDATE api_keys SET revoked_at = now() WHERE id = %s "
                                     f"RETURNING {_KEY_COLUMNS}", (key_id,))
            row = await cur.fetchone()
            await conn.execute(BUMP_EPOCH)
            await audit(conn, actor, "admin.api_key_revoked", f"api_key:{key_id}",
                        {"client_id": client_id})
        return _key_out(row)

    # --- users ------------------------------------------------------------------------

    _USER_SQL = ("SELECT u.id::text AS id, u.client_id::text AS client_id, u.username, "
                 "u.created_at, u.disabled_at, COALESCE((SELECT array_agg(g.name ORDER BY g.name) "
                 "FROM user_groups ug JOIN groups g ON g.id = ug.group_id WHERE ug.user_id = u.id), "
                 "'{}') AS groups FROM users u")

    @staticmethod
    def _user_out(r: dict[str, Any]) -> dict[str, Any]:
        return {"id": r["id"], "client_id": r["client_id"], "username": r["username"],
                "disabled": r["disabled_at"] is not None, "groups": list(r["groups"] or []),
                "created_at": _iso(r["created_at"])}

    async def _user(self, conn: Any, user_id: str) -> dict[str, Any]:
        if not valid_uuid(user_id):
            raise not_found(f"user {user_id}")
        cur = await conn.execute(self._USER_SQL + " WHERE u.id = %s", (user_id,))
        row = await cur.fetchone()
        if row is None:
            raise not_found(f"user {user_id}")
        return self._user_out(row)

    async def list_users(self, client_id: str | None = None) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            if client_id is not None:
                if not valid_uuid(client_id):
                    return []
                cur = await conn.execute(self._USER_SQL + " WHERE u.client_id = %s ORDER BY "
                                         "u.created_at LIMIT 1000", (client_id,))
            else:
                cur = await conn.execute(self._USER_SQL + " ORDER BY u.created_at LIMIT 1000")
            return [self._user_out(r) for r in await cur.fetchall()]

    async def get_user(self, user_id: str) -> dict[str, Any]:
        async with self._pool.connection() as conn:
            return await self._user(conn, user_id)

    async def create_user(self, actor: Actor, client_id: str, username: str,
                          password_hash: str, groups: Iterable[str]) -> dict[str, Any]:
        user_id = str(uuid.uuid4())
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await self._client_exists(conn, client_id)
                await conn.execute(
                    "INSERT INTO users (id, client_id, username, password_hash) "
                    "VALUES (%s, %s, %s, %s)", (user_id, client_id, username, password_hash))
                for name in groups:
                    gid = await self._group_id(conn, name)
                    await conn.execute("INSERT INTO user_groups (user_id, group_id) VALUES "
                                       "(%s, %s) ON CONFLICT DO NOTHING", (user_id, gid))
                await audit(conn, actor, "admin.user_created", f"user:{user_id}",
                            {"username": username, "client_id": client_id,
                             "groups": sorted(groups)})
                return await self._user(conn, user_id)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"username {username!r} is taken") from exc

    async def update_user(self, actor: Actor, user_id: str, username: str | None,
                          password_hash: str | None) -> dict[str, Any]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await self._user(conn, user_id)
                if username is not None:
                    await conn.execute("UPDATE users SET username = %s, updated_at = now() "
                                       "WHERE id = %s", (username, user_id))
                if password_hash is not None:
                    await conn.execute("UPDATE users SET password_hash = %s, updated_at = now() "
                                       "WHERE id = %s", (password_hash, user_id))
                changed = [n for n, v in (("username", username), ("password", password_hash))
                           if v is not None]
                await audit(conn, actor, "admin.user_updated", f"user:{user_id}",
                            {"changed": changed, **({"username": username} if username else {})})
                return await self._user(conn, user_id)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"username {username!r} is taken") from exc

    async def set_user_disabled(self, actor: Actor, user_id: str, disabled: bool) -> dict[str, Any]:
        async with self._pool.connection() as conn, conn.transaction():
            await self._user(conn, user_id)
            await conn.execute(
                "UPDATE users SET disabled_at = CASE WHEN %s THEN COALESCE(disabled_at, now()) "
                "END, updated_at = now() WHERE id = %s", (disabled, user_id))
            if disabled:  # its refresh tokens die with it
                await conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id "
                                   "= %s AND revoked_at IS NULL", (user_id,))
            await conn.execute(BUMP_EPOCH)
            await audit(conn, actor, "admin.user_disabled" if disabled else "admin.user_enabled",
                        f"user:{user_id}", {})
            return await self._user(conn, user_id)

    async def effective(self, user_id: str) -> dict[str, Any]:
        """Groups (through nesting), roles and permissions of a user."""
        async with self._pool.connection() as conn:
            await self._user(conn, user_id)
            cur = await conn.execute(MEMBER_OF + "SELECT g.name FROM member_of m JOIN groups g "
                                     "ON g.id = m.group_id ORDER BY g.name", (user_id,))
            groups = [r["name"] for r in await cur.fetchall()]
            grant = await grant_of(conn, user_id)
        return {"user_id": user_id, "groups": groups, "roles": grant.roles,
                "permissions": grant.permissions}

    # --- permissions, roles, groups ---------------------------------------------------

    async def _named_id(self, conn: Any, table: str, name: str) -> str:
        cur = await conn.execute(f"SELECT id::text AS id FROM {table} WHERE name = %s", (name,))
        row = await cur.fetchone()
        if row is None:
            raise not_found(f"{table[:-1]} {name!r}")
        return row["id"]

    async def _group_id(self, conn: Any, name: str) -> str:
        return await self._named_id(conn, "groups", name)

    async def list_permissions(self) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT id::text AS id, name, description FROM permissions "
                                     "ORDER BY name")
            return [{**r, "builtin": r["name"] in BUILTIN_PERMISSIONS} for r in await cur.fetchall()]

    async def _permission(self, conn: Any, name: str) -> dict[str, Any]:
        cur = await conn.execute("SELECT id::text AS id, name, description FROM permissions "
                                 "WHERE name = %s", (name,))
        row = await cur.fetchone()
        if row is None:
            raise not_found(f"permission {name!r}")
        return {**row, "builtin": row["name"] in BUILTIN_PERMISSIONS}

    async def get_permission(self, name: str) -> dict[str, Any]:
        async with self._pool.connection() as conn:
            return await self._permission(conn, name)

    async def create_permission(self, actor: Actor, name: str, description: str) -> dict[str, Any]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("INSERT INTO permissions (id, name, description) VALUES "
                                   "(%s, %s, %s)", (str(uuid.uuid4()), name, description))
                await audit(conn, actor, "admin.permission_created", f"permission:{name}",
                            {"description": description})
                return await self._permission(conn, name)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"permission {name!r} exists") from exc

    async def update_permission(self, actor: Actor, name: str, description: str) -> dict[str, Any]:
        async with self._pool.connection() as conn, conn.transaction():
            await self._permission(conn, name)
            await conn.execute("UPDATE permissions SET description = %s WHERE name = %s",
                               (description, name))
            await audit(conn, actor, "admin.permission_updated", f"permission:{name}",
                        {"description": description})
            return await self._permission(conn, name)

    async def delete_permission(self, actor: Actor, name: str) -> None:
        if name in BUILTIN_PERMISSIONS:
            raise conflict(f"permission {name!r} is built in")
        async with self._pool.connection() as conn, conn.transaction():
            await self._permission(conn, name)
            await conn.execute("DELETE FROM permissions WHERE name = %s", (name,))
            await audit(conn, actor, "admin.permission_deleted", f"permission:{name}", {})

    async def _role(self, conn: Any, name: str) -> dict[str, Any]:
        cur = await conn.execute(
            "SELECT r.id::text AS id, r.name, r.description, COALESCE((SELECT array_agg(p.name "
            "ORDER BY p.name) FROM role_permissions rp JOIN permissions p ON p.id = "
            "rp.permission_id WHERE rp.role_id = r.id), '{}') AS permissions FROM roles r "
            "WHERE r.name = %s", (name,))
        row = await cur.fetchone()
        if row is None:
            raise not_found(f"role {name!r}")
        return {**row, "permissions": list(row["permissions"]),
                "builtin": row["name"] in BUILTIN_ROLES}

    async def list_roles(self) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT name FROM roles ORDER BY name")
            return [await self._role(conn, r["name"]) for r in await cur.fetchall()]

    async def get_role(self, name: str) -> dict[str, Any]:
        async with self._pool.connection() as conn:
            return await self._role(conn, name)

    async def create_role(self, actor: Actor, name: str, description: str,
                          permissions: Iterable[str]) -> dict[str, Any]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                role_id = str(uuid.uuid4())
                await conn.execute("INSERT INTO roles (id, name, description) VALUES "
                                   "(%s, %s, %s)", (role_id, name, description))
                perms = sorted(set(permissions))
                for perm in perms:
                    pid = await self._named_id(conn, "permissions", perm)
                    await conn.execute("INSERT INTO role_permissions (role_id, permission_id) "
                                       "VALUES (%s, %s)", (role_id, pid))
                await audit(conn, actor, "admin.role_created", f"role:{name}",
                            {"description": description, "permissions": perms})
                return await self._role(conn, name)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"role {name!r} exists") from exc

    async def update_role(self, actor: Actor, name: str, new_name: str | None,
                          description: str | None) -> dict[str, Any]:
        if new_name is not None and new_name != name and name in BUILTIN_ROLES:
            raise conflict(f"role {name!r} is built in and keeps its name")
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await self._role(conn, name)
                if description is not None:
                    await conn.execute("UPDATE roles SET description = %s WHERE name = %s",
                                       (description, name))
                if new_name is not None:
                    await conn.execute("UPDATE roles SET name = %s WHERE name = %s",
                                       (new_name, name))
                await audit(conn, actor, "admin.role_updated", f"role:{name}",
                            {"name": new_name or name, "description": description})
                return await self._role(conn, new_name or name)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"role {new_name!r} exists") from exc

    async def delete_role(self, actor: Actor, name: str) -> None:
        if name in BUILTIN_ROLES:
            raise conflict(f"role {name!r} is built in")
        async with self._pool.connection() as conn, conn.transaction():
            await self._role(conn, name)
            await conn.execute("DELETE FROM roles WHERE name = %s", (name,))
            await audit(conn, actor, "admin.role_deleted", f"role:{name}", {})

    async def set_role_permission(self, actor: Actor, role: str, permission: str,
                                  granted: bool) -> dict[str, Any]:
        async with self._pool.connection() as conn, conn.transaction():
            role_id = (await self._role(conn, role))["id"]
            perm_id = (await self._permission(conn, permission))["id"]
            if granted:
                await conn.execute("INSERT INTO role_permissions (role_id, permission_id) VALUES "
                                   "(%s, %s) ON CONFLICT DO NOTHING", (role_id, perm_id))
            else:
                await conn.execute("DELETE FROM role_permissions WHERE role_id = %s AND "
                                   "permission_id = %s", (role_id, perm_id))
            await audit(conn, actor, "admin.role_permission_" + ("granted" if granted else "revoked"),
                        f"role:{role}", {"permission": permission})
            return await self._role(conn, role)

    async def _group(self, conn: Any, name: str) -> dict[str, Any]:
        cur = await conn.execute(
            "SELECT g.id::text AS id, g.name, g.description, "
            "COALESCE((SELECT array_agg(r.name ORDER BY r.name) FROM group_roles gr JOIN roles r "
            "ON r.id = gr.role_id WHERE gr.group_id = g.id), '{}') AS roles, "
            "COALESCE((SELECT array_agg(c.name ORDER BY c.name) FROM group_groups gg JOIN groups c "
            "ON c.id = gg.child_id WHERE gg.parent_id = g.id), '{}') AS member_groups, "
            "COALESCE((SELECT array_agg(p.name ORDER BY p.name) FROM group_groups gg JOIN groups p "
            "ON p.id = gg.parent_id WHERE gg.child_id = g.id), '{}') AS member_of "
            "FROM groups g WHERE g.name = %s", (name,))
        row = await cur.fetchone()
        if row is None:
            raise not_found(f"group {name!r}")
        return {**row, "roles": list(row["roles"]), "member_groups": list(row["member_groups"]),
                "member_of": list(row["member_of"]), "builtin": row["name"] in BUILTIN_GROUPS}

    async def list_groups(self) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT name FROM groups ORDER BY name")
            return [await self._group(conn, r["name"]) for r in await cur.fetchall()]

    async def get_group(self, name: str) -> dict[str, Any]:
        async with self._pool.connection() as conn:
            return await self._group(conn, name)

    async def create_group(self, actor: Actor, name: str, description: str) -> dict[str, Any]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute("INSERT INTO groups (id, name, description) VALUES "
                                   "(%s, %s, %s)", (str(uuid.uuid4()), name, description))
                await audit(conn, actor, "admin.group_created", f"group:{name}",
                            {"description": description})
                return await self._group(conn, name)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"group {name!r} exists") from exc

    async def update_group(self, actor: Actor, name: str, new_name: str | None,
                           description: str | None) -> dict[str, Any]:
        if new_name is not None and new_name != name and name in BUILTIN_GROUPS:
            raise conflict(f"group {name!r} is built in and keeps its name")
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await self._group(conn, name)
                if description is not None:
                    await conn.execute("UPDATE groups SET description = %s WHERE name = %s",
                                       (description, name))
                if new_name is not None:
                    await conn.execute("UPDATE groups SET name = %s WHERE name = %s",
                                       (new_name, name))
                await audit(conn, actor, "admin.group_updated", f"group:{name}",
                            {"name": new_name or name, "description": description})
                return await self._group(conn, new_name or name)
        except psycopg.errors.UniqueViolation as exc:
            raise conflict(f"group {new_name!r} exists") from exc

    async def delete_group(self, actor: Actor, name: str) -> None:
        if name in BUILTIN_GROUPS:
            raise conflict(f"group {name!r} is built in")
        async with self._pool.connection() as conn, conn.transaction():
            await self._group(conn, name)
            await conn.execute("DELETE FROM groups WHERE name = %s", (name,))
            await audit(conn, actor, "admin.group_deleted", f"group:{name}", {})

    async def set_group_role(self, actor: Actor, group: str, role: str,
                             granted: bool) -> dict[str, Any]:
        async with self._pool.connection() as conn, conn.transaction():
            gid = await self._group_id(conn, group)
            rid = (await self._role(conn, role))["id"]
            if granted:
                await conn.execute("INSERT INTO group_roles (group_id, role_id) VALUES (%s, %s) "
                                   "ON CONFLICT DO NOTHING", (gid, rid))
            else:
                await conn.execute("DELETE FROM group_roles WHERE group_id = %s AND role_id = %s",
                                   (gid, rid))
            await audit(conn, actor, "admin.group_role_" + ("granted" if granted else "revoked"),
                        f"group:{group}", {"role": role})
            return await self._group(conn, group)

    async def set_group_member_group(self, actor: Actor, parent: str, child: str,
                                     member: bool) -> dict[str, Any]:
        """Nest `child` in `parent` (its members become members of parent); refuse a cycle."""
        async with self._pool.connection() as conn, conn.transaction():
            pid = await self._group_id(conn, parent)
            cid = await self._group_id(conn, child)
            if member:
                await conn.execute("LOCK TABLE group_groups IN SHARE ROW EXCLUSIVE MODE")
                cur = await conn.execute("SELECT parent_id::text AS parent, child_id::text AS "
                                         "child FROM group_groups")
                edges = [(r["parent"], r["child"]) for r in await cur.fetchall()]
                if would_cycle(edges, pid, cid):
                    raise conflict(f"nesting group {child!r} in {parent!r} would make a cycle "
                                   f"({parent!r} is already nested in {child!r}, or is it)")
                await conn.execute("INSERT INTO group_groups (parent_id, child_id) VALUES "
                                   "(%s, %s) ON CONFLICT DO NOTHING", (pid, cid))
            else:
                await conn.execute("DELETE FROM group_groups WHERE parent_id = %s AND "
                                   "child_id = %s", (pid, cid))
            await audit(conn, actor, "admin.group_nested" if member else "admin.group_unnested",
                        f"group:{parent}", {"child": child})
            return await self._group(conn, parent)

    async def set_group_user(self, actor: Actor, group: str, user_id: str,
                             member: bool) -> dict[str, Any]:
        async with self._pool.connection() as conn, conn.transaction():
            gid = await self._group_id(conn, group)
            await self._user(conn, user_id)
            if member:
                await conn.execute("INSERT INTO user_groups (user_id, group_id) VALUES (%s, %s) "
                                   "ON CONFLICT DO NOTHING", (user_id, gid))
            else:
                await conn.execute("DELETE FROM user_groups WHERE user_id = %s AND group_id = %s",
                                   (user_id, gid))
            await audit(conn, actor, "admin.group_user_" + ("added" if member else "removed"),
                        f"group:{group}", {"user_id": user_id})
            return await self._user(conn, user_id)

    # --- signing keys and token revocation ---------------------------------------------

    async def list_signing_keys(self) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT kid, status, created_at, retire_at, retired_at FROM "
                                     "signing_keys ORDER BY created_at")
            rows = await cur.fetchall()
        return [{"kid": r["kid"], "status": r["status"], "created_at": _iso(r["created_at"]),
                 "retire_at": _iso(r["retire_at"]), "retired_at": _iso(r["retired_at"])}
                for r in rows]

    async def rotate_signing_key(self, actor: Actor, kid: str, private_pem: str,
                                 overlap_s: int) -> None:
        """Make `kid` current; the current key verifies `overlap_s` more seconds."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            cur = await conn.execute("UPDATE signing_keys SET status = 'previous', retire_at = "
                                     "now() + make_interval(secs => %s) WHERE status = 'current' "
                                     "RETURNING kid", (overlap_s,))
            old = await cur.fetchone()
            await conn.execute("INSERT INTO signing_keys (kid, private_pem, status) VALUES "
                               "(%s, %s, 'current')", (kid, private_pem))
            await conn.execute(BUMP_EPOCH)
            await audit(conn, actor, "admin.signing_key_rotated", f"signing_key:{kid}",
                        {"previous": old["kid"] if old else None, "overlap_s": overlap_s})

    async def retire_signing_key(self, actor: Actor, kid: str) -> None:
        """Stop verifying tokens signed by a previous key at once."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT status FROM signing_keys WHERE kid = %s FOR UPDATE",
                                     (kid,))
            row = await cur.fetchone()
            if row is None:
                raise not_found(f"signing key {kid!r}")
            if row["status"] == "current":
                raise conflict("the current signing key cannot be retired: rotate first")
            if row["status"] == "retired":
                raise conflict(f"signing key {kid!r} is already retired")
            await conn.execute("UPDATE signing_keys SET status = 'retired', retired_at = now() "
                               "WHERE kid = %s", (kid,))
            await conn.execute(BUMP_EPOCH)
            await audit(conn, actor, "admin.signing_key_retired", f"signing_key:{kid}", {})

    async def revoke_token(self, actor: Actor, jti: str, keep_until: float) -> None:
        """Revoke a token by jti (an access or a refresh token, which also ends its family)."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO revoked_tokens (jti, expires_at) VALUES (%s, %s) ON CONFLICT (jti) "
                "DO NOTHING", (jti, datetime.fromtimestamp(keep_until, tz=UTC)))
            if valid_uuid(jti):
                await conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE jti = %s "
                                   "AND revoked_at IS NULL", (jti,))
            await conn.execute(BUMP_EPOCH)
            await audit(conn, actor, "admin.token_revoked", f"token:{jti}", {})

    async def record(self, actor: Actor, type_: str, target: str, data: dict[str, Any]) -> None:
        """An audit row for an operation with no write of its own."""
        async with self._pool.connection() as conn:
            await audit(conn, actor, type_, target, data)

    # --- the audit trail --------------------------------------------------------------

    async def audit_events(self, *, actor_id: str | None, type_: str | None,
                           target: str | None, since: datetime | None, until: datetime | None,
                           limit: int) -> list[dict[str, Any]]:
        where, args = [], []
        if actor_id is not None:
            if not valid_uuid(actor_id):
                return []
            where.append("actor_id = %s")
            args.append(actor_id)
        if type_ is not None:
            where.append("type = %s")
            args.append(type_)
        if target is not None:
            where.append("target = %s")
            args.append(target)
        if since is not None:
            where.append("occurred_at >= %s")
            args.append(since)
        if until is not None:
            where.append("occurred_at < %s")
            args.append(until)
        sql = ("SELECT message_id::text AS id, type, occurred_at, trace_id, actor_id::text AS "
               "actor_id, user_id::text AS user_id, client_id::text AS client_id, target, data "
               "FROM audit_events")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY occurred_at DESC NULLS LAST, recorded_at DESC LIMIT %s"
        args.append(limit)
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, tuple(args))
            rows = await cur.fetchall()
        return [{**r, "occurred_at": _iso(r["occurred_at"])} for r in rows]
