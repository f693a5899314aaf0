"""The gateway's hot path: API key + bearer token → identity, or nothing.

Tokens are checked first (in memory, no I/O) so garbage never reaches the database;
API-key lookups are cached for a few seconds, misses for less. A database failure is
the only thing that propagates (it becomes a 503); every other failure is "not allowed".
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .api_keys import hash_api_key, plausible_key
from .tokens import InvalidToken, TokenIssuer

KeyLookup = Callable[[str], Awaitable[str | None]]
"""Async: SHA-256 hex of an API key → the enrolled, active client id, or None."""


@dataclass(frozen=True)
class Identity:
    """Who the request is from, as the gateway will tell the services."""

    user_id: str
    client_id: str
    roles: tuple[str, ...]

    def headers(self) -> dict[str, str]:
        """The `X-User-Id`, `X-Client-Id`, `X-User-Roles` headers."""
        return {"X-User-Id": self.user_id, "X-Client-Id": self.client_id,
                "X-User-Roles": ",".join(self.roles)}


class KeyCache:
    """A small TTL cache in front of the API-key lookup (hits `ttl_s`, misses `miss_ttl_s`)."""

    def __init__(self, lookup: KeyLookup, *, ttl_s: float = 5.0, miss_ttl_s: float = 1.0,
                 max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._lookup = lookup
        self._ttl = ttl_s
        self._miss_ttl = miss_ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, str | None]] = {}

    async def client_for(self, key_hash: str) -> str | None:
        """The client id of the key with this hash (cached), or None if not enrolled."""
        now = self._clock()
        hit = self._entries.get(key_hash)
        if hit is not None and hit[0] > now:
            return hit[1]
        client_id = await self._lookup(key_hash)
        if len(self._entries) >= self._max:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self._max:
                self._entries.clear()
        self._entries[key_hash] = (now + (self._ttl if client_id else self._miss_ttl), client_id)
        return client_id

    def forget(self, key_hash: str) -> None:
        """Drop one entry (after enrolling or revoking that key)."""
        self._entries.pop(key_hash, None)


class RequestVerifier:
    """Decides `/internal/verify`: an Identity when key and token agree, else None."""

    def __init__(self, tokens: TokenIssuer, keys: KeyCache) -> None:
        self._tokens = tokens
        self._keys = keys

    async def verify(self, api_key: str | None, authorization: str | None) -> Identity | None:
        """Check the bearer token, then that the API key is enrolled for the token's client."""
        if not plausible_key(api_key) or not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            claims = self._tokens.verify(token.strip())
        except InvalidToken:
            return None
        client_id = await self._keys.client_for(hash_api_key(api_key))  # type: ignore[arg-type]
        if client_id is None or client_id != claims.client_id:
            return None
        return Identity(user_id=claims.user_id, client_id=claims.client_id, roles=claims.roles)
