"""What the auth app holds while it runs, built once at start from the secrets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.platform.identity import IDENTITY_KEY_SECRET
from services.platform.secret_watch import SecretWatch

from .admin_store import AdminStore
from .api_keys import StoredKey, stored_key
from .passwords import hash_password
from .store import (
    AuthStore,
    EnrolledClient,
    Grant,
    KeyRecord,
    RefreshRecord,
    RefreshUse,
    RevocationSnapshot,
    UserRecord,
)
from .throttle import FailureThrottle, login_throttles
from .tokens import KeyRing, SigningKey, TokenIssuer, signing_key
from .verify import KeyCache, RequestVerifier, Revocations


class Store(Protocol):
    """The database operations of the token and verify routes (AuthStore, or a fake)."""

    async def client_for_key(self, key_hash: str) -> KeyRecord | None: ...
    async def find_user(self, username: str) -> UserRecord | None: ...
    async def grant_token(self, user: UserRecord) -> Grant: ...
    async def enrol_client(self, name: str, key: StoredKey, username: str,
                           password_hash: str, actor: Any = None) -> EnrolledClient: ...
    async def store_refresh(self, record: RefreshRecord) -> None: ...
    async def use_refresh(self, jti: str, token_hash: str, client_id: str) -> RefreshUse: ...
    async def logout(self, jti: str, token_hash: str, client_id: str) -> bool: ...
    async def epoch(self) -> int: ...
    async def revocations(self) -> RevocationSnapshot: ...


@dataclass
class KeyParser:
    """Signing keys parsed once per kid (a reload of the ring does not parse PEM again)."""

    parsed: dict[str, SigningKey] = field(default_factory=dict)

    def ring(self, rows: list[dict[str, Any]]) -> KeyRing | None:
        keys = []
        for row in rows:
            known = self.parsed.get(row["kid"])
            if known is None:
                known = self.parsed[row["kid"]] = signing_key(row["private_pem"])
            keys.append(SigningKey(kid=known.kid, private=known.private, status=row["status"],
                                   retire_at=row.get("retire_at")))
        try:
            return KeyRing(keys)
        except ValueError:
            return None


@dataclass
class AuthState:
    """The signing keys, the stores, the caches and throttles of one process."""

    tokens: TokenIssuer
    store: Store
    keys: KeyCache
    verifier: RequestVerifier
    revocations: Revocations
    admin: Any = None
    proof_key: str | None = None
    login_users: FailureThrottle = field(default_factory=lambda: login_throttles()[0])
    login_addresses: FailureThrottle = field(default_factory=lambda: login_throttles()[1])
    parser: KeyParser = field(default_factory=KeyParser)
    watch: SecretWatch | None = None  # the admin credentials, re-read (start_auth)

    @classmethod
    def build(cls, tokens: TokenIssuer, store: Store, *, admin: Any = None,
              proof_key: str | None = None, key_ttl_s: float = 5.0,
              revocation_interval_s: float = 1.0) -> AuthState:
        """Wire the verifier, its key cache and its revocation lists around `store`."""
        keys = KeyCache(store.client_for_key, ttl_s=key_ttl_s)
        parser = KeyParser()

        def on_change(snap: RevocationSnapshot) -> None:
            ring = parser.ring(snap.signing_keys)
            if ring is not None:
                tokens.ring = ring
            keys.clear()

        revocations = Revocations(epoch=store.epoch, load=store.revocations, on_change=on_change,
                                  interval_s=revocation_interval_s)
        return cls(tokens=tokens, store=store, keys=keys, admin=admin, proof_key=proof_key,
                   verifier=RequestVerifier(tokens, keys, revocations), revocations=revocations,
                   parser=parser)


async def start_auth(secrets: Any, pool: Any) -> AuthState:
    """Read the auth secrets, upsert the built-ins and the first signing key, return the state."""
    pem = secrets.get("auth/jwt_private_key")
    first = signing_key(pem)
    store = AuthStore(pool)
    admin_key = stored_key(secrets.get("auth/admin_api_key"))
    admin_hash = await asyncio.to_thread(hash_password, secrets.get("auth/admin_password"))
    await store.ensure_builtins(admin_key, admin_hash)
    await store.ensure_signing_key(first.kid, pem)
    state = AuthState.build(TokenIssuer(pem), store, admin=AdminStore(pool),
                            proof_key=secrets.get(IDENTITY_KEY_SECRET))
    await state.revocations.fresh()  # the ring as the database has it (rotations survive)
    state.watch = admin_secret_watch(secrets, state)
    return state


ADMIN_SECRETS = ("auth/admin_api_key", "auth/admin_password")
ADMIN_SECRETS_INTERVAL_S = 5.0


def admin_secret_watch(secrets: Any, state: AuthState) -> SecretWatch:
    """Rotation of the admin credentials in the emulator: the admin client's key and the
    admin user's password are replaced (other admin keys revoked, the key cache emptied)
    within ADMIN_SECRETS_INTERVAL_S of the change."""

    async def rotated(values: dict[str, str]) -> None:
        password_hash = await asyncio.to_thread(hash_password, values["auth/admin_password"])
        await state.store.ensure_builtins(stored_key(values["auth/admin_api_key"]),  # type: ignore[attr-defined]
                                          password_hash)
        state.keys.clear()

    return SecretWatch(secrets, ADMIN_SECRETS, rotated, interval_s=ADMIN_SECRETS_INTERVAL_S)
