"""What the auth app holds while it runs, built once at start from the secrets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from .api_keys import StoredKey, stored_key
from .passwords import hash_password
from .store import AuthStore, EnrolledClient, UserRecord
from .tokens import TokenIssuer
from .verify import KeyCache, RequestVerifier


class Store(Protocol):
    """The database operations the HTTP routes need (AuthStore, or a fake in tests)."""

    async def client_for_key(self, key_hash: str) -> str | None: ...
    async def find_user(self, username: str) -> UserRecord | None: ...
    async def grant_token(self, user: UserRecord) -> list[str]: ...
    async def enrol_client(self, name: str, key: StoredKey, username: str,
                           password_hash: str) -> EnrolledClient: ...


@dataclass
class AuthState:
    """The signing key, the store, the API-key cache and the verifier of one process."""

    tokens: TokenIssuer
    store: Store
    keys: KeyCache
    verifier: RequestVerifier

    @classmethod
    def build(cls, tokens: TokenIssuer, store: Store, *, key_ttl_s: float = 5.0) -> AuthState:
        """Wire the verifier and its key cache around `store`."""
        keys = KeyCache(store.client_for_key, ttl_s=key_ttl_s)
        return cls(tokens=tokens, store=store, keys=keys, verifier=RequestVerifier(tokens, keys))


async def start_auth(secrets: Any, pool: Any) -> AuthState:
    """Read the auth secrets, upsert the admin client/user/roles, return the state."""
    tokens = TokenIssuer(secrets.get("auth/jwt_private_key"))
    store = AuthStore(pool)
    admin_key = stored_key(secrets.get("auth/admin_api_key"))
    admin_hash = await asyncio.to_thread(hash_password, secrets.get("auth/admin_password"))
    await store.ensure_builtins(admin_key, admin_hash)
    return AuthState.build(tokens, store)
