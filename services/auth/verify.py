"""The gateway's hot path: API key + bearer token (+ the route's permission) → a verdict.

Order of the checks, cheapest first:

1. the per-address failure throttle (memory): an address with too many refused requests
   is answered 403 `X-Auth-Denied: throttled` before anything else, so rotating bogus keys
   cannot flood the database;
2. revocations and signing keys (memory, refreshed from the database when older than
   `REVOCATION_REFRESH_S`: one read of a one-row table, a reload only when it moved);
3. the token (memory, no I/O): RS256 by one of our live keys, an access token, every
   claim, its jti not revoked, its user not disabled;
4. the API key (cached lookup): enrolled for the token's client, not revoked or expired;
5. the route's permission (X-Required-Permission): missing → 403.

Revocation bound: auth's view is at most 1 s old, the gateway caches a 200 for 5 s at most
(2 to 4 s fresh, drawn per answer so that clients' entries do not expire together, then 1 s stale), so a
revocation (user disabled, key revoked, token revoked, signing key retired) is enforced
everywhere within 6 s. (While one request's refresh waits on a slow database, the others
go on with lists up to 2 s old: 7 s then.) A database failure is the only exception that propagates (a 503).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.platform.identity import (
    CLIENT_ID_HEADER,
    PERMISSIONS_HEADER,
    PROOF_HEADER,
    ROLES_HEADER,
    USER_ID_HEADER,
    proof_expiry,
    sign_proof,
)

from .api_keys import hash_api_key, plausible_key
from .store import KeyRecord, RevocationSnapshot
from .throttle import FailureThrottle, verify_throttle
from .tokens import InvalidToken, TokenIssuer

REVOCATION_REFRESH_S = 1.0
GATEWAY_FRESH_S = 4.0
"""How long the gateway may reuse a 200 of verify (its Cache-Control max-age, at most)..."""
GATEWAY_FRESH_MIN_S = 2
"""...drawn afresh for each answer, in whole seconds from this to GATEWAY_FRESH_S: the
entries of clients that began together (a load test's clients, a fleet after a restart)
would otherwise all expire in the same instant, and their refreshes would queue at auth
together, every 4 s (seen: 25-75 ms each, at 1,000 requests/s through 12 clients)."""
GATEWAY_STALE_S = 1.0
"""...and past that, how long it may still serve it while one request asks again
(stale-while-revalidate): a busy client's requests do not all wait on that one."""
GATEWAY_CACHE_S = GATEWAY_FRESH_S + GATEWAY_STALE_S
REVOCATION_BOUND_S = REVOCATION_REFRESH_S + GATEWAY_CACHE_S
"""A revocation is enforced through the gateway within this many seconds (6)."""


def verify_cache_control(draw: Callable[[int, int], int] = random.randint) -> str:
    """The Cache-Control of a verify 200: a max-age from GATEWAY_FRESH_MIN_S to
    GATEWAY_FRESH_S (``draw(low, high)``, both included), then stale-while-revalidate.

    >>> verify_cache_control(lambda low, high: high)
    'max-age=4, stale-while-revalidate=1'
    """
    fresh = draw(GATEWAY_FRESH_MIN_S, int(GATEWAY_FRESH_S))
    return f"max-age={fresh}, stale-while-revalidate={GATEWAY_STALE_S:.0f}"

KeyLookup = Callable[[str], Awaitable[KeyRecord | None]]
"""Async: SHA-256 hex of an API key → the active key's client (and overlap end), or None."""


@dataclass(frozen=True)
class Identity:
    """Who the request is from, as the gateway will tell the services."""

    user_id: str
    client_id: str
    roles: tuple[str, ...]
    permissions: tuple[str, ...] = ()
    expires_at: int = 0
    jti: str = ""

    def headers(self, proof_key: str | bytes | None = None, *,
                now: float | None = None) -> dict[str, str]:
        """The five identity headers (the proof only when a key is given)."""
        roles, permissions = ",".join(self.roles), ",".join(self.permissions)
        out = {USER_ID_HEADER: self.user_id, CLIENT_ID_HEADER: self.client_id,
               ROLES_HEADER: roles, PERMISSIONS_HEADER: permissions}
        if proof_key:
            out[PROOF_HEADER] = sign_proof(proof_key, self.user_id, self.client_id, roles,
                                           permissions,
                                           expires_at=proof_expiry(self.expires_at, now=now))
        return out


@dataclass(frozen=True)
class Verdict:
    """The answer of verify: 200 with an identity, 401, or 403 (missing permission/throttled)."""

    status: int
    identity: Identity | None = None
    detail: str = ""
    retry_after: int | None = None


class KeyCache:
    """A small TTL cache in front of the API-key lookup (hits `ttl_s`, misses `miss_ttl_s`).

    A hit never outlives the key's own overlap end; `clear()` empties it when the
    revocation epoch moves (a key revoked or rotated).
    """

    def __init__(self, lookup: KeyLookup, *, ttl_s: float = 5.0, miss_ttl_s: float = 1.0,
                 max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._lookup = lookup
        self._ttl = ttl_s
        self._miss_ttl = miss_ttl_s
        self._max = max_entries
        self._clock = clock
        self._wall = wall
        self._entries: dict[str, tuple[float, str | None]] = {}

    async def client_for(self, key_hash: str) -> str | None:
        """The client id of the key with this hash (cached), or None if not enrolled."""
        now = self._clock()
        hit = self._entries.get(key_hash)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await self._lookup(key_hash)
        if len(self._entries) >= self._max:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self._max:
                self._entries.clear()
        if record is None:
            self._entries[key_hash] = (now + self._miss_ttl, None)
            return None
        until = now + self._ttl
        if record.expires_at is not None:
            until = min(until, now + (record.expires_at - self._wall()))
        self._entries[key_hash] = (until, record.client_id)
        return record.client_id

    def forget(self, key_hash: str) -> None:
        """Drop one entry (after enrolling or revoking that key)."""
        self._entries.pop(key_hash, None)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()


@dataclass
class Revocations:
    """The revocation lists in memory, refreshed when the database's epoch has moved.

    `fresh()` costs nothing within `interval_s` of the last check, else one read of the
    one-row epoch table, and a reload only when it changed.
    """

    epoch: Callable[[], Awaitable[int]]
    load: Callable[[], Awaitable[RevocationSnapshot]]
    on_change: Callable[[RevocationSnapshot], None] = lambda snap: None
    interval_s: float = REVOCATION_REFRESH_S
    clock: Callable[[], float] = time.monotonic
    current: RevocationSnapshot | None = None
    _checked: float = field(default=float("-inf"))
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def fresh(self) -> RevocationSnapshot:
        """The lists, at most `interval_s` old (raises the database's error when it is down)."""
        if self.current is not None:
            age = self.clock() - self._checked
            # one request refreshes; the others keep the lists while they are young enough
            if age < self.interval_s or (self._lock.locked() and age < 2 * self.interval_s):
                return self.current
        async with self._lock:
            if self.current is not None and self.clock() - self._checked < self.interval_s:
                return self.current
            started = self.clock()
            if self.current is None or await self.epoch() != self.current.epoch:
                snap = await self.load()
                self.on_change(snap)
                self.current = snap
            self._checked = started
            return self.current

    def expire(self) -> None:
        """Check the database on the next call (after a change made by this process)."""
        self._checked = float("-inf")


class RequestVerifier:
    """Decides `/internal/verify` and authenticates the admin API's callers."""

    def __init__(self, tokens: TokenIssuer, keys: KeyCache, revocations: Revocations | None = None,
                 throttle: FailureThrottle | None = None) -> None:
        self._tokens = tokens
        self._keys = keys
        self._revocations = revocations
        self.throttle = throttle or verify_throttle()

    def _refuse(self, address: str | None, detail: str) -> Verdict:
        if address:
            self.throttle.fail(address)
        return Verdict(401, detail=detail)

    async def check(self, api_key: str | None, authorization: str | None, *,
                    required_permission: str = "", address: str | None = None) -> Verdict:
        """The verdict for one request (see the module's docstring for the order)."""
        if address:
            wait = self.throttle.retry_after(address)
            if wait is not None:
                return Verdict(403, detail="too many failed attempts from this address",
                               retry_after=wait)
        if not plausible_key(api_key) or not authorization or len(authorization) > 8192:
            return self._refuse(address, "API key and bearer token required")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self._refuse(address, "API key and bearer token required")
        snap = await self._revocations.fresh() if self._revocations is not None else None
        try:
            claims = self._tokens.verify(token.strip(), "access")
        except InvalidToken:
            return self._refuse(address, "the bearer token is not valid")
        if snap is not None and (claims.jti in snap.revoked_jtis
                                 or claims.user_id in snap.disabled_users):
            return self._refuse(address, "the token was revoked or its user disabled")
        client_id = await self._keys.client_for(hash_api_key(api_key))  # type: ignore[arg-type]
        if client_id is None or client_id != claims.client_id:
            return self._refuse(address, "the API key is not enrolled for the token's client")
        identity = Identity(user_id=claims.user_id, client_id=claims.client_id,
                            roles=claims.roles, permissions=claims.permissions,
                            expires_at=claims.expires_at, jti=claims.jti)
        if required_permission and required_permission not in claims.permissions:
            return Verdict(403, identity, detail=f"permission {required_permission!r} required")
        return Verdict(200, identity)

    async def verify(self, api_key: str | None, authorization: str | None) -> Identity | None:
        """The identity when key and token agree (no permission, no throttle), else None."""
        verdict = await self.check(api_key, authorization)
        return verdict.identity if verdict.status == 200 else None
