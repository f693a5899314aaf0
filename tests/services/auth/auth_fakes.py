"""Shared test doubles for the auth tests: RSA keys, an in-memory store, a test app.

`FakeStore` plays both AuthStore (token, refresh, verify) and AdminStore (the admin API)
over plain dicts, with the same errors (ProblemError 404/409) and the same epoch rule:
every change verify must see bumps `epoch`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from services.auth.admin_routes import router as admin_router
from services.auth.admin_store import (
    BUILTIN_GROUPS,
    BUILTIN_PERMISSIONS,
    BUILTIN_ROLES,
    Actor,
    conflict,
    not_found,
    valid_uuid,
)
from services.auth.api_keys import StoredKey, hash_api_key, stored_key
from services.auth.passwords import hash_password
from services.auth.rbac import groups_of, would_cycle
from services.auth.routes import auth_state, router
from services.auth.state import AuthState
from services.auth.store import (
    GROUPS,
    NESTING,
    PERMISSIONS,
    EnrolledClient,
    Grant,
    KeyRecord,
    RefreshRecord,
    RefreshUse,
    RevocationSnapshot,
    UserRecord,
)
from services.auth.tokens import TokenIssuer, jwk_thumbprint, load_private_key
from services.platform.problem import install_fastapi_handlers

ADMIN_KEY = "a" * 64
ADMIN_PASSWORD = "admin-password"
PROOF_KEY = "identity-proof-key-for-tests"


@lru_cache(maxsize=4)
def private_key_pem(seed: int = 0) -> str:
    """A fresh RSA 2048 key (PKCS#8 PEM), one per `seed` for the whole test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def kid_of(pem: str) -> str:
    return jwk_thumbprint(load_private_key(pem).public_key())


@dataclass
class FakeKey:
    id: str
    client_id: str
    prefix: str
    key_hash: str
    created_at: float = field(default_factory=time.time)
    expires_at: float | None = None
    revoked_at: float | None = None

    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None
                                            or self.expires_at > time.time())

    def out(self) -> dict[str, Any]:
        return {"id": self.id, "prefix": self.prefix, "created_at": str(self.created_at),
                "expires_at": str(self.expires_at) if self.expires_at else None,
                "revoked_at": str(self.revoked_at) if self.revoked_at else None,
                "active": self.active()}


@dataclass
class FakeStore:
    """In-memory stand-in for AuthStore and AdminStore."""

    api_keys: dict[str, FakeKey] = field(default_factory=dict)           # key hash -> key
    users: dict[str, UserRecord] = field(default_factory=dict)          # username -> user
    disabled: set[str] = field(default_factory=set)                     # user ids
    clients: dict[str, str] = field(default_factory=dict)               # id -> name
    permissions: dict[str, str] = field(default_factory=dict)           # name -> description
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)      # name -> role
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)     # name -> group
    nesting: set[tuple[str, str]] = field(default_factory=set)          # (parent, child) names
    user_groups: dict[str, set[str]] = field(default_factory=dict)      # user id -> names
    refresh: dict[str, dict[str, Any]] = field(default_factory=dict)    # jti -> row
    revoked: dict[str, float] = field(default_factory=dict)             # jti -> keep until
    signing: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    epoch_value: int = 0
    epoch_reads: int = 0
    key_lookups: int = 0
    events: list[tuple[str, str]] = field(default_factory=list)
    fail_with: BaseException | None = None

    def __post_init__(self) -> None:
        for role, perms in PERMISSIONS.items():
            for perm in perms:
                self.permissions.setdefault(perm, "")
            self.roles[role] = {"id": str(uuid.uuid4()), "name": role, "description": "",
                                "permissions": set(perms)}
        for group, roles in GROUPS.items():
            self.groups[group] = {"id": str(uuid.uuid4()), "name": group, "description": "",
                                  "roles": set(roles)}
        self.nesting |= set(NESTING)

    # --- helpers for tests ------------------------------------------------------------

    def add_user(self, *, api_key: str, username: str, password: str, groups: list[str],
                 client_id: str | None = None) -> UserRecord:
        client_id = client_id or str(uuid.uuid4())
        self.clients.setdefault(client_id, username)
        key = stored_key(api_key)
        self.api_keys[key.key_hash] = FakeKey(str(uuid.uuid4()), client_id, key.prefix,
                                              key.key_hash)
        user = UserRecord(id=str(uuid.uuid4()), client_id=client_id,
                          password_hash=hash_password(password, n=2**4))
        self.users[username] = user
        self.user_groups[user.id] = set(groups)
        return user

    def bump(self) -> None:
        self.epoch_value += 1

    def _audit(self, actor: Actor, type_: str, target: str, data: dict[str, Any]) -> None:
        self.audit.append({"id": str(uuid.uuid4()), "type": type_, "occurred_at": str(time.time()),
                           "trace_id": None, "actor_id": actor.user_id, "user_id": actor.user_id,
                           "client_id": actor.client_id, "target": target, "data": data})

    def _user_by_id(self, user_id: str) -> UserRecord:
        for user in self.users.values():
            if user.id == user_id:
                return user
        raise not_found(f"user {user_id}")

    def _user_out(self, user: UserRecord) -> dict[str, Any]:
        name = next(n for n, u in self.users.items() if u.id == user.id)
        return {"id": user.id, "client_id": user.client_id, "username": name,
                "disabled": user.id in self.disabled,
                "groups": sorted(self.user_groups.get(user.id, set())), "created_at": None}

    def grant(self, user_id: str) -> Grant:
        groups = groups_of(self.user_groups.get(user_id, set()), self.nesting)
        roles = sorted({r for g in groups if g in self.groups for r in self.groups[g]["roles"]})
        perms = sorted({p for r in roles for p in self.roles[r]["permissions"]})
        return Grant(roles=roles, permissions=perms)

    # --- AuthStore --------------------------------------------------------------------

    async def client_for_key(self, key_hash: str) -> KeyRecord | None:
        self.key_lookups += 1
        if self.fail_with is not None:
            raise self.fail_with
        key = self.api_keys.get(key_hash)
        if key is None or not key.active():
            return None
        return KeyRecord(key.client_id, key.expires_at)

    async def find_user(self, username: str) -> UserRecord | None:
        user = self.users.get(username)
        return user if user is not None and user.id not in self.disabled else None

    async def grant_token(self, user: UserRecord) -> Grant:
        self.events.append(("auth.token_issued", user.id))
        return self.grant(user.id)

    async def enrol_client(self, name: str, key: StoredKey, username: str,
                           password_hash: str, actor: Any = None) -> EnrolledClient:
        assert len(key.key_hash) == 64 and len(key.prefix) == 8
        client_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.clients[client_id] = name
        self.api_keys[key.key_hash] = FakeKey(str(uuid.uuid4()), client_id, key.prefix,
                                              key.key_hash)
        self.users[username] = UserRecord(id=user_id, client_id=client_id,
                                          password_hash=password_hash)
        self.user_groups[user_id] = {"customers"}
        self.events.append(("auth.client_enrolled", client_id))
        if actor is not None:
            self._audit(actor, "admin.client_enrolled", f"client:{client_id}", {"name": name})
        return EnrolledClient(client_id=client_id, user_id=user_id)

    async def store_refresh(self, record: RefreshRecord) -> None:
        self.refresh[record.jti] = {"record": record, "used": False, "revoked": False}

    def _revoke_family(self, family: str) -> None:
        for row in self.refresh.values():
            rec = row["record"]
            if rec.family == family:
                row["revoked"] = True
                self.revoked[rec.access_jti] = rec.access_expires_at
        self.bump()

    async def use_refresh(self, jti: str, token_hash: str, client_id: str) -> RefreshUse:
        row = self.refresh.get(jti)
        if (row is None or row["record"].token_hash != token_hash or row["revoked"]
                or row["record"].client_id != client_id):
            return RefreshUse("invalid")
        if row["used"]:
            self._revoke_family(row["record"].family)
            return RefreshUse("reuse")
        row["used"] = True
        if row["record"].user_id in self.disabled:
            return RefreshUse("invalid")
        return RefreshUse("ok", self._user_by_id(row["record"].user_id))

    async def logout(self, jti: str, token_hash: str, client_id: str) -> bool:
        row = self.refresh.get(jti)
        if row is None or row["record"].token_hash != token_hash:
            return False
        self._revoke_family(row["record"].family)
        return True

    async def epoch(self) -> int:
        self.epoch_reads += 1
        if self.fail_with is not None:
            raise self.fail_with
        return self.epoch_value

    async def revocations(self) -> RevocationSnapshot:
        if self.fail_with is not None:
            raise self.fail_with
        return RevocationSnapshot(epoch=self.epoch_value, revoked_jtis=set(self.revoked),
                                  disabled_users=set(self.disabled),
                                  signing_keys=[dict(k) for k in self.signing
                                                if k["status"] != "retired"])

    # --- AdminStore -------------------------------------------------------------------

    async def list_clients(self) -> list[dict[str, Any]]:
        return [{"id": c, "name": n, "created_at": None, "disabled": False}
                for c, n in self.clients.items()]

    def _client(self, client_id: str) -> None:
        if client_id not in self.clients:
            raise not_found(f"client {client_id}")

    async def list_keys(self, client_id: str) -> list[dict[str, Any]]:
        self._client(client_id)
        return [k.out() for k in self.api_keys.values() if k.client_id == client_id]

    async def create_key(self, actor: Actor, client_id: str, key: StoredKey) -> dict[str, Any]:
        self._client(client_id)
        new = self.api_keys[key.key_hash] = FakeKey(str(uuid.uuid4()), client_id, key.prefix,
                                                    key.key_hash)
        self._audit(actor, "admin.api_key_created", f"api_key:{new.id}", {})
        return new.out()

    def _active_key(self, client_id: str, key_id: str) -> FakeKey:
        key = next((k for k in self.api_keys.values()
                    if k.id == key_id and k.client_id == client_id), None)
        if key is None:
            raise not_found(f"API key {key_id}")
        if not key.active():
            raise conflict(f"API key {key_id} is already revoked or expired")
        return key

    async def rotate_key(self, actor: Actor, client_id: str, key_id: str, key: StoredKey,
                         overlap_s: int) -> tuple[dict[str, Any], dict[str, Any]]:
        old = self._active_key(client_id, key_id)
        old.expires_at = time.time() + overlap_s
        new = self.api_keys[key.key_hash] = FakeKey(str(uuid.uuid4()), client_id, key.prefix,
                                                    key.key_hash)
        self.bump()
        self._audit(actor, "admin.api_key_rotated", f"api_key:{key_id}", {"overlap_s": overlap_s})
        return new.out(), old.out()

    async def revoke_key(self, actor: Actor, client_id: str, key_id: str) -> dict[str, Any]:
        key = self._active_key(client_id, key_id)
        key.revoked_at = time.time()
        self.bump()
        self._audit(actor, "admin.api_key_revoked", f"api_key:{key_id}", {})
        return key.out()

    async def list_users(self, client_id: str | None = None) -> list[dict[str, Any]]:
        return [self._user_out(u) for u in self.users.values()
                if client_id is None or u.client_id == client_id]

    async def get_user(self, user_id: str) -> dict[str, Any]:
        return self._user_out(self._user_by_id(user_id))

    async def create_user(self, actor: Actor, client_id: str, username: str,
                          password_hash: str, groups: list[str]) -> dict[str, Any]:
        self._client(client_id)
        if username in self.users:
            raise conflict(f"username {username!r} is taken")
        for g in groups:
            if g not in self.groups:
                raise not_found(f"group {g!r}")
        user = UserRecord(id=str(uuid.uuid4()), client_id=client_id, password_hash=password_hash)
        self.users[username] = user
        self.user_groups[user.id] = set(groups)
        self._audit(actor, "admin.user_created", f"user:{user.id}", {"username": username})
        return self._user_out(user)

    async def update_user(self, actor: Actor, user_id: str, username: str | None,
                          password_hash: str | None) -> dict[str, Any]:
        user = self._user_by_id(user_id)
        old = next(n for n, u in self.users.items() if u.id == user_id)
        if username is not None and username != old:
            if username in self.users:
                raise conflict(f"username {username!r} is taken")
            self.users[username] = self.users.pop(old)
        if password_hash is not None:
            name = username or old
            self.users[name] = user = UserRecord(user.id, user.client_id, password_hash)
        self._audit(actor, "admin.user_updated", f"user:{user_id}", {})
        return self._user_out(user)

    async def set_user_disabled(self, actor: Actor, user_id: str, disabled: bool) -> dict[str, Any]:
        user = self._user_by_id(user_id)
        if disabled:
            self.disabled.add(user_id)
            for row in self.refresh.values():
                if row["record"].user_id == user_id:
                    row["revoked"] = True
        else:
            self.disabled.discard(user_id)
        self.bump()
        self._audit(actor, "admin.user_disabled" if disabled else "admin.user_enabled",
                    f"user:{user_id}", {})
        return self._user_out(user)

    async def effective(self, user_id: str) -> dict[str, Any]:
        self._user_by_id(user_id)
        grant = self.grant(user_id)
        return {"user_id": user_id,
                "groups": sorted(groups_of(self.user_groups.get(user_id, set()), self.nesting)),
                "roles": grant.roles, "permissions": grant.permissions}

    def _perm_out(self, name: str) -> dict[str, Any]:
        if name not in self.permissions:
            raise not_found(f"permission {name!r}")
        return {"id": name, "name": name, "description": self.permissions[name],
                "builtin": name in BUILTIN_PERMISSIONS}

    async def list_permissions(self) -> list[dict[str, Any]]:
        return [self._perm_out(n) for n in sorted(self.permissions)]

    async def get_permission(self, name: str) -> dict[str, Any]:
        return self._perm_out(name)

    async def create_permission(self, actor: Actor, name: str, description: str) -> dict[str, Any]:
        if name in self.permissions:
            raise conflict(f"permission {name!r} exists")
        self.permissions[name] = description
        self._audit(actor, "admin.permission_created", f"permission:{name}", {})
        return self._perm_out(name)

    async def update_permission(self, actor: Actor, name: str, description: str) -> dict[str, Any]:
        self._perm_out(name)
        self.permissions[name] = description
        self._audit(actor, "admin.permission_updated", f"permission:{name}", {})
        return self._perm_out(name)

    async def delete_permission(self, actor: Actor, name: str) -> None:
        if name in BUILTIN_PERMISSIONS:
            raise conflict(f"permission {name!r} is built in")
        self._perm_out(name)
        del self.permissions[name]
        for role in self.roles.values():
            role["permissions"].discard(name)
        self._audit(actor, "admin.permission_deleted", f"permission:{name}", {})

    def _role_out(self, name: str) -> dict[str, Any]:
        role = self.roles.get(name)
        if role is None:
            raise not_found(f"role {name!r}")
        return {"id": role["id"], "name": name, "description": role["description"],
                "permissions": sorted(role["permissions"]), "builtin": name in BUILTIN_ROLES}

    async def list_roles(self) -> list[dict[str, Any]]:
        return [self._role_out(n) for n in sorted(self.roles)]

    async def get_role(self, name: str) -> dict[str, Any]:
        return self._role_out(name)

    async def create_role(self, actor: Actor, name: str, description: str,
                          permissions: list[str]) -> dict[str, Any]:
        if name in self.roles:
            raise conflict(f"role {name!r} exists")
        for perm in permissions:
            self._perm_out(perm)
        self.roles[name] = {"id": str(uuid.uuid4()), "name": name, "description": description,
                            "permissions": set(permissions)}
        self._audit(actor, "admin.role_created", f"role:{name}", {})
        return self._role_out(name)

    async def update_role(self, actor: Actor, name: str, new_name: str | None,
                          description: str | None) -> dict[str, Any]:
        if new_name is not None and new_name != name and name in BUILTIN_ROLES:
            raise conflict(f"role {name!r} is built in and keeps its name")
        self._role_out(name)
        if new_name is not None and new_name != name:
            if new_name in self.roles:
                raise conflict(f"role {new_name!r} exists")
            self.roles[new_name] = self.roles.pop(name)
            for group in self.groups.values():
                if name in group["roles"]:
                    group["roles"] = (group["roles"] - {name}) | {new_name}
        if description is not None:
            self.roles[new_name or name]["description"] = description
        self._audit(actor, "admin.role_updated", f"role:{name}", {})
        return self._role_out(new_name or name)

    async def delete_role(self, actor: Actor, name: str) -> None:
        if name in BUILTIN_ROLES:
            raise conflict(f"role {name!r} is built in")
        self._role_out(name)
        del self.roles[name]
        for group in self.groups.values():
            group["roles"].discard(name)
        self._audit(actor, "admin.role_deleted", f"role:{name}", {})

    async def set_role_permission(self, actor: Actor, role: str, permission: str,
                                  granted: bool) -> dict[str, Any]:
        self._role_out(role)
        self._perm_out(permission)
        (self.roles[role]["permissions"].add if granted
         else self.roles[role]["permissions"].discard)(permission)
        self._audit(actor, "admin.role_permission_" + ("granted" if granted else "revoked"),
                    f"role:{role}", {"permission": permission})
        return self._role_out(role)

    def _group_out(self, name: str) -> dict[str, Any]:
        group = self.groups.get(name)
        if group is None:
            raise not_found(f"group {name!r}")
        return {"id": group["id"], "name": name, "description": group["description"],
                "roles": sorted(group["roles"]),
                "member_groups": sorted(c for p, c in self.nesting if p == name),
                "member_of": sorted(p for p, c in self.nesting if c == name),
                "builtin": name in BUILTIN_GROUPS}

    async def list_groups(self) -> list[dict[str, Any]]:
        return [self._group_out(n) for n in sorted(self.groups)]

    async def get_group(self, name: str) -> dict[str, Any]:
        return self._group_out(name)

    async def create_group(self, actor: Actor, name: str, description: str) -> dict[str, Any]:
        if name in self.groups:
            raise conflict(f"group {name!r} exists")
        self.groups[name] = {"id": str(uuid.uuid4()), "name": name, "description": description,
                             "roles": set()}
        self._audit(actor, "admin.group_created", f"group:{name}", {})
        return self._group_out(name)

    async def update_group(self, actor: Actor, name: str, new_name: str | None,
                           description: str | None) -> dict[str, Any]:
        if new_name is not None and new_name != name and name in BUILTIN_GROUPS:
            raise conflict(f"group {name!r} is built in and keeps its name")
        self._group_out(name)
        if description is not None:
            self.groups[name]["description"] = description
        self._audit(actor, "admin.group_updated", f"group:{name}", {})
        return self._group_out(name)

    async def delete_group(self, actor: Actor, name: str) -> None:
        if name in BUILTIN_GROUPS:
            raise conflict(f"group {name!r} is built in")
        self._group_out(name)
        del self.groups[name]
        self.nesting = {(p, c) for p, c in self.nesting if name not in (p, c)}
        for names in self.user_groups.values():
            names.discard(name)
        self._audit(actor, "admin.group_deleted", f"group:{name}", {})

    async def set_group_role(self, actor: Actor, group: str, role: str,
                             granted: bool) -> dict[str, Any]:
        self._group_out(group)
        self._role_out(role)
        (self.groups[group]["roles"].add if granted else self.groups[group]["roles"].discard)(role)
        self._audit(actor, "admin.group_role_" + ("granted" if granted else "revoked"),
                    f"group:{group}", {"role": role})
        return self._group_out(group)

    async def set_group_member_group(self, actor: Actor, parent: str, child: str,
                                     member: bool) -> dict[str, Any]:
        self._group_out(parent)
        self._group_out(child)
        if member:
            if would_cycle(self.nesting, parent, child):
                raise conflict(f"nesting group {child!r} in {parent!r} would make a cycle")
            self.nesting.add((parent, child))
        else:
            self.nesting.discard((parent, child))
        self._audit(actor, "admin.group_nested" if member else "admin.group_unnested",
                    f"group:{parent}", {"child": child})
        return self._group_out(parent)

    async def set_group_user(self, actor: Actor, group: str, user_id: str,
                             member: bool) -> dict[str, Any]:
        self._group_out(group)
        user = self._user_by_id(user_id)
        names = self.user_groups.setdefault(user_id, set())
        (names.add if member else names.discard)(group)
        self._audit(actor, "admin.group_user_" + ("added" if member else "removed"),
                    f"group:{group}", {"user_id": user_id})
        return self._user_out(user)

    async def list_signing_keys(self) -> list[dict[str, Any]]:
        return [{"kid": k["kid"], "status": k["status"], "created_at": None,
                 "retire_at": str(k["retire_at"]) if k.get("retire_at") else None,
                 "retired_at": None} for k in self.signing]

    async def rotate_signing_key(self, actor: Actor, kid: str, private_pem: str,
                                 overlap_s: int) -> None:
        for key in self.signing:
            if key["status"] == "current":
                key["status"], key["retire_at"] = "previous", time.time() + overlap_s
        self.signing.append({"kid": kid, "private_pem": private_pem, "status": "current",
                             "retire_at": None})
        self.bump()
        self._audit(actor, "admin.signing_key_rotated", f"signing_key:{kid}", {})

    async def retire_signing_key(self, actor: Actor, kid: str) -> None:
        key = next((k for k in self.signing if k["kid"] == kid), None)
        if key is None:
            raise not_found(f"signing key {kid!r}")
        if key["status"] != "previous":
            raise conflict(f"signing key {kid!r} is {key['status']}")
        key["status"] = "retired"
        self.bump()
        self._audit(actor, "admin.signing_key_retired", f"signing_key:{kid}", {})

    async def revoke_token(self, actor: Actor, jti: str, keep_until: float) -> None:
        self.revoked[jti] = keep_until
        if jti in self.refresh:
            self.refresh[jti]["revoked"] = True
        self.bump()
        self._audit(actor, "admin.token_revoked", f"token:{jti}", {})

    async def audit_events(self, *, actor_id: str | None, type_: str | None,
                           target: str | None, since: Any, until: Any,
                           limit: int) -> list[dict[str, Any]]:
        rows = [r for r in reversed(self.audit)
                if (actor_id is None or r["actor_id"] == actor_id)
                and (type_ is None or r["type"] == type_)
                and (target is None or r["target"] == target)]
        return rows[:limit]


def make_app(store: FakeStore, tokens: TokenIssuer | None = None, *,
             proof_key: str | None = PROOF_KEY) -> tuple[FastAPI, AuthState]:
    """The auth routes on a bare app, with the state dependency pointing at `store`."""
    pem = private_key_pem()
    if not store.signing:
        store.signing.append({"kid": kid_of(pem), "private_pem": pem, "status": "current",
                              "retire_at": None})
    state = AuthState.build(tokens or TokenIssuer(pem), store, admin=store, proof_key=proof_key)
    app = FastAPI()
    install_fastapi_handlers(app)
    app.include_router(router)
    app.include_router(admin_router)
    app.dependency_overrides[auth_state] = lambda: state
    return app, state


def admin_store() -> tuple[FakeStore, UserRecord]:
    """A store holding the admin client and user, as the service upserts them at start."""
    store = FakeStore()
    admin = store.add_user(api_key=ADMIN_KEY, username="admin", password=ADMIN_PASSWORD,
                           groups=["admins"])
    assert stored_key(ADMIN_KEY).key_hash in store.api_keys
    assert valid_uuid(admin.id) and hash_api_key(ADMIN_KEY) in store.api_keys
    return store, admin
