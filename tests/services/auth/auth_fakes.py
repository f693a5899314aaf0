"""Shared test doubles for the auth tests: an RSA key, an in-memory store, a test app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from services.auth.api_keys import StoredKey, hash_api_key, stored_key
from services.auth.passwords import hash_password
from services.auth.routes import auth_state, router
from services.auth.state import AuthState
from services.auth.store import EnrolledClient, UserRecord
from services.auth.tokens import TokenIssuer
from services.platform.problem import install_fastapi_handlers

ADMIN_KEY = "a" * 64
ADMIN_PASSWORD = "admin-password"


@lru_cache(maxsize=4)
def private_key_pem(seed: int = 0) -> str:
    """A fresh RSA 2048 key (PKCS#8 PEM), one per `seed` for the whole test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass
class FakeStore:
    """In-memory stand-in for AuthStore with the same async methods."""

    keys: dict[str, str] = field(default_factory=dict)           # key hash -> client id
    users: dict[str, UserRecord] = field(default_factory=dict)   # username -> user
    roles: dict[str, list[str]] = field(default_factory=dict)    # user id -> roles
    key_lookups: int = 0
    events: list[tuple[str, str]] = field(default_factory=list)
    fail_with: BaseException | None = None

    def add_user(self, *, api_key: str, username: str, password: str, roles: list[str],
                 client_id: str | None = None) -> UserRecord:
        client_id = client_id or str(uuid.uuid4())
        self.keys[hash_api_key(api_key)] = client_id
        user = UserRecord(id=str(uuid.uuid4()), client_id=client_id,
                          password_hash=hash_password(password, n=2**4))
        self.users[username] = user
        self.roles[user.id] = roles
        return user

    async def client_for_key(self, key_hash: str) -> str | None:
        self.key_lookups += 1
        if self.fail_with is not None:
            raise self.fail_with
        return self.keys.get(key_hash)

    async def find_user(self, username: str) -> UserRecord | None:
        return self.users.get(username)

    async def grant_token(self, user: UserRecord) -> list[str]:
        self.events.append(("auth.token_issued", user.id))
        return sorted(self.roles.get(user.id, []))

    async def enrol_client(self, name: str, key: StoredKey, username: str,
                           password_hash: str) -> EnrolledClient:
        assert len(key.key_hash) == 64 and len(key.prefix) == 8
        client_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.keys[key.key_hash] = client_id
        self.users[username] = UserRecord(id=user_id, client_id=client_id,
                                          password_hash=password_hash)
        self.roles[user_id] = ["customer"]
        self.events.append(("auth.client_enrolled", client_id))
        return EnrolledClient(client_id=client_id, user_id=user_id)


def make_app(store: FakeStore, tokens: TokenIssuer | None = None) -> tuple[FastAPI, AuthState]:
    """The auth routes on a bare app, with the state dependency pointing at `store`."""
    state = AuthState.build(tokens or TokenIssuer(private_key_pem()), store)
    app = FastAPI()
    install_fastapi_handlers(app)
    app.include_router(router)
    app.dependency_overrides[auth_state] = lambda: state
    return app, state


def admin_store() -> tuple[FakeStore, UserRecord]:
    """A store holding the admin client and user, as the service upserts them at start."""
    store = FakeStore()
    admin = store.add_user(api_key=ADMIN_KEY, username="admin", password=ADMIN_PASSWORD,
                           roles=["admin", "customer"])
    assert stored_key(ADMIN_KEY).key_hash in store.keys
    return store, admin
