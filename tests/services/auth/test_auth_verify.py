"""The gateway's verify decision and its API-key cache, without HTTP."""

from __future__ import annotations

import asyncio

from auth_fakes import FakeStore, private_key_pem

from services.auth.api_keys import hash_api_key
from services.auth.tokens import TokenIssuer
from services.auth.verify import KeyCache, RequestVerifier

TOKENS = TokenIssuer(private_key_pem())


def _verifier(store: FakeStore) -> RequestVerifier:
    return RequestVerifier(TOKENS, KeyCache(store.client_for_key))


def test_key_and_token_of_the_same_client_give_the_identity() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", roles=["customer"])
    token, _ = TOKENS.issue(user_id=user.id, client_id=user.client_id, roles=["customer"])
    identity = asyncio.run(_verifier(store).verify("k1", f"Bearer {token}"))
    assert identity is not None
    assert identity.headers() == {"X-User-Id": user.id, "X-Client-Id": user.client_id,
                                  "X-User-Roles": "customer"}


def test_token_of_another_client_is_refused() -> None:
    store = FakeStore()
    store.add_user(api_key="k1", username="u1", password="p", roles=[])
    other = store.add_user(api_key="k2", username="u2", password="p", roles=[])
    token, _ = TOKENS.issue(user_id=other.id, client_id=other.client_id, roles=[])
    assert asyncio.run(_verifier(store).verify("k1", f"Bearer {token}")) is None


def test_missing_or_malformed_credentials_never_reach_the_store() -> None:
    store = FakeStore()
    verifier = _verifier(store)
    token, _ = TOKENS.issue(user_id="u", client_id="c", roles=[])
    cases = [(None, f"Bearer {token}"), ("k", None), ("k", token), ("k", "Basic dTpw"),
             ("k", "Bearer "), ("k", "Bearer garbage"), ("x" * 1000, f"Bearer {token}")]
    for key, authorization in cases:
        assert asyncio.run(verifier.verify(key, authorization)) is None
    assert store.key_lookups == 0


def test_unknown_key_is_refused() -> None:
    token, _ = TOKENS.issue(user_id="u", client_id="c", roles=[])
    assert asyncio.run(_verifier(FakeStore()).verify("nope", f"Bearer {token}")) is None


def test_key_cache_serves_hits_until_the_ttl_then_asks_again() -> None:
    store = FakeStore(keys={hash_api_key("k"): "c1"})
    now = [100.0]
    cache = KeyCache(store.client_for_key, ttl_s=5, miss_ttl_s=1, clock=lambda: now[0])

    async def scenario() -> list[str | None]:
        seen = [await cache.client_for(hash_api_key("k")) for _ in range(3)]
        now[0] += 6
        seen.append(await cache.client_for(hash_api_key("k")))
        return seen

    assert asyncio.run(scenario()) == ["c1"] * 4
    assert store.key_lookups == 2


def test_key_cache_keeps_misses_shorter() -> None:
    store = FakeStore()
    now = [0.0]
    cache = KeyCache(store.client_for_key, ttl_s=5, miss_ttl_s=1, clock=lambda: now[0])

    async def scenario() -> None:
        assert await cache.client_for("h") is None
        store.keys["h"] = "c-new"            # enrolled right after a failed attempt
        assert await cache.client_for("h") is None
        now[0] += 1.5
        assert await cache.client_for("h") == "c-new"

    asyncio.run(scenario())
    assert store.key_lookups == 2


def test_key_cache_stays_bounded() -> None:
    store = FakeStore()
    cache = KeyCache(store.client_for_key, max_entries=10)

    async def scenario() -> None:
        for i in range(50):
            await cache.client_for(f"h{i}")

    asyncio.run(scenario())
    assert len(cache._entries) <= 10
