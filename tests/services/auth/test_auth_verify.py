"""The gateway's verify decision, its API-key cache, its revocations and throttle, no HTTP."""

from __future__ import annotations

import asyncio
import time

from auth_fakes import PROOF_KEY, FakeKey, FakeStore, private_key_pem

from services.auth.api_keys import hash_api_key
from services.auth.store import KeyRecord, RevocationSnapshot
from services.auth.throttle import FailureThrottle
from services.auth.tokens import TokenIssuer
from services.auth.verify import REVOCATION_BOUND_S, KeyCache, RequestVerifier, Revocations
from services.platform.identity import verify_proof

TOKENS = TokenIssuer(private_key_pem())


def _verifier(store: FakeStore, **kw: object) -> RequestVerifier:
    revocations = Revocations(epoch=store.epoch, load=store.revocations, interval_s=0)
    return RequestVerifier(TOKENS, KeyCache(store.client_for_key), revocations, **kw)  # type: ignore[arg-type]


def _access(user_id: str, client_id: str, perms: tuple[str, ...] = ()) -> str:
    return TOKENS.issue_access(user_id=user_id, client_id=client_id, roles=["customer"],
                               permissions=perms).token


def test_key_and_token_of_the_same_client_give_the_identity_and_its_proof() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", groups=["customers"])
    token = _access(user.id, user.client_id, ("orders:read", "orders:write"))
    identity = asyncio.run(_verifier(store).verify("k1", f"Bearer {token}"))
    assert identity is not None
    headers = identity.headers(PROOF_KEY)
    assert {k: v for k, v in headers.items() if k != "X-Identity-Proof"} == {
        "X-User-Id": user.id, "X-Client-Id": user.client_id, "X-User-Roles": "customer",
        "X-User-Permissions": "orders:read,orders:write"}
    assert verify_proof(PROOF_KEY, headers["X-Identity-Proof"], user.id, user.client_id,
                        "customer", "orders:read,orders:write")
    expires_at = int(headers["X-Identity-Proof"].split(".")[1])
    assert expires_at <= time.time() + 60


def test_the_routes_permission_is_required() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", groups=[])
    token = _access(user.id, user.client_id, ("orders:read",))
    verifier = _verifier(store)
    ok = asyncio.run(verifier.check("k1", f"Bearer {token}", required_permission="orders:read"))
    assert ok.status == 200
    denied = asyncio.run(verifier.check("k1", f"Bearer {token}",
                                        required_permission="orders:write"))
    assert denied.status == 403 and denied.retry_after is None


def test_token_of_another_client_is_refused() -> None:
    store = FakeStore()
    store.add_user(api_key="k1", username="u1", password="p", groups=[])
    other = store.add_user(api_key="k2", username="u2", password="p", groups=[])
    token = _access(other.id, other.client_id)
    assert asyncio.run(_verifier(store).verify("k1", f"Bearer {token}")) is None


def test_a_refresh_token_is_no_access_token() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", groups=[])
    refresh = TOKENS.issue_refresh(user_id=user.id, client_id=user.client_id, family="f")
    assert asyncio.run(_verifier(store).verify("k1", f"Bearer {refresh.token}")) is None


def test_missing_or_malformed_credentials_never_reach_the_key_store() -> None:
    store = FakeStore()
    verifier = _verifier(store)
    token = _access("u", "c")
    cases = [(None, f"Bearer {token}"), ("k", None), ("k", token), ("k", "Basic dTpw"),
             ("k", "Bearer "), ("k", "Bearer garbage"), ("x" * 1000, f"Bearer {token}")]
    for key, authorization in cases:
        assert asyncio.run(verifier.verify(key, authorization)) is None
    assert store.key_lookups == 0


def test_unknown_key_is_refused() -> None:
    assert asyncio.run(_verifier(FakeStore()).verify("nope", f"Bearer {_access('u', 'c')}")) is None


def test_revoked_jti_and_disabled_user_are_refused_once_the_epoch_moves() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", groups=[])
    first, second = _access(user.id, user.client_id), _access(user.id, user.client_id)
    verifier = _verifier(store)
    assert asyncio.run(verifier.verify("k1", f"Bearer {first}")) is not None
    import jwt

    store.revoked[jwt.decode(first, options={"verify_signature": False})["jti"]] = time.time() + 60
    store.bump()
    assert asyncio.run(verifier.verify("k1", f"Bearer {first}")) is None
    assert asyncio.run(verifier.verify("k1", f"Bearer {second}")) is not None
    store.disabled.add(user.id)
    store.bump()
    assert asyncio.run(verifier.verify("k1", f"Bearer {second}")) is None


def test_revocations_read_the_epoch_at_most_once_per_interval() -> None:
    store = FakeStore()
    now = [0.0]
    loads = []

    async def load() -> RevocationSnapshot:
        loads.append(now[0])
        return await store.revocations()

    revs = Revocations(epoch=store.epoch, load=load, interval_s=1.0, clock=lambda: now[0])

    async def scenario() -> None:
        for _ in range(5):
            await revs.fresh()
        now[0] = 0.5
        await revs.fresh()
        now[0] = 1.0
        await revs.fresh()          # one epoch read, unchanged: no reload
        store.bump()
        now[0] = 1.5
        assert revs.current is not None and revs.current.epoch == 0
        now[0] = 2.0
        assert (await revs.fresh()).epoch == 1

    asyncio.run(scenario())
    assert loads == [0.0, 2.0]
    assert store.epoch_reads == 2
    assert REVOCATION_BOUND_S == 6


def test_a_revoked_or_rotated_key_is_forgotten_by_the_cache_at_the_next_epoch() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", groups=[])
    token = _access(user.id, user.client_id)
    changed = []
    revs = Revocations(epoch=store.epoch, load=store.revocations, interval_s=0)
    cache = KeyCache(store.client_for_key, ttl_s=300)
    revs.on_change = lambda snap: (changed.append(snap.epoch), cache.clear())
    verifier = RequestVerifier(TOKENS, cache, revs)
    assert asyncio.run(verifier.verify("k1", f"Bearer {token}")) is not None
    store.api_keys[hash_api_key("k1")].revoked_at = time.time()
    store.bump()
    assert asyncio.run(verifier.verify("k1", f"Bearer {token}")) is None
    assert changed == [0, 1]


def test_the_address_throttle_answers_before_any_lookup() -> None:
    store = FakeStore()
    user = store.add_user(api_key="k1", username="u", password="p", groups=[])
    token = _access(user.id, user.client_id)
    verifier = _verifier(store, throttle=FailureThrottle(max_failures=3, window_s=60,
                                                         lockout_s=60))
    for i in range(3):
        bogus = asyncio.run(verifier.check(f"bogus-{i}", f"Bearer {token}", address="10.0.0.9"))
        assert bogus.status == 401
    lookups, reads = store.key_lookups, store.epoch_reads
    throttled = asyncio.run(verifier.check("k1", f"Bearer {token}", address="10.0.0.9"))
    assert throttled.status == 403 and throttled.retry_after == 60
    assert (store.key_lookups, store.epoch_reads) == (lookups, reads)
    other = asyncio.run(verifier.check("k1", f"Bearer {token}", address="10.0.0.10"))
    assert other.status == 200


def test_key_cache_serves_hits_until_the_ttl_then_asks_again() -> None:
    store = FakeStore()
    store.api_keys[hash_api_key("k")] = FakeKey("id", "c1", "k", hash_api_key("k"))
    now = [100.0]
    cache = KeyCache(store.client_for_key, ttl_s=5, miss_ttl_s=1, clock=lambda: now[0])

    async def scenario() -> list[str | None]:
        seen = [await cache.client_for(hash_api_key("k")) for _ in range(3)]
        now[0] += 6
        seen.append(await cache.client_for(hash_api_key("k")))
        return seen

    assert asyncio.run(scenario()) == ["c1"] * 4
    assert store.key_lookups == 2


def test_key_cache_never_outlives_a_rotated_keys_overlap() -> None:
    wall = [1000.0]
    calls = []

    async def lookup(key_hash: str) -> KeyRecord | None:
        calls.append(key_hash)
        return KeyRecord("c1", expires_at=1002.0) if wall[0] < 1002.0 else None

    now = [0.0]
    cache = KeyCache(lookup, ttl_s=5, clock=lambda: now[0], wall=lambda: wall[0])

    async def scenario() -> None:
        assert await cache.client_for("h") == "c1"
        now[0], wall[0] = 1.0, 1001.0
        assert await cache.client_for("h") == "c1"      # cached
        now[0], wall[0] = 2.5, 1002.5
        assert await cache.client_for("h") is None      # overlap over: asked again

    asyncio.run(scenario())
    assert len(calls) == 2


def test_key_cache_keeps_misses_shorter() -> None:
    store = FakeStore()
    now = [0.0]
    cache = KeyCache(store.client_for_key, ttl_s=5, miss_ttl_s=1, clock=lambda: now[0])

    async def scenario() -> None:
        assert await cache.client_for("h") is None
        store.api_keys["h"] = FakeKey("id", "c-new", "h", "h")  # enrolled right after a miss
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


def test_while_one_refresh_waits_the_others_use_young_lists() -> None:
    store = FakeStore()
    now = [0.0]
    gate = asyncio.Event()

    async def slow_epoch() -> int:
        await gate.wait()
        return await store.epoch()

    revs = Revocations(epoch=slow_epoch, load=store.revocations, interval_s=1.0,
                       clock=lambda: now[0])

    async def scenario() -> None:
        gate.set()
        await revs.fresh()
        gate.clear()
        now[0] = 1.5
        slow = asyncio.create_task(revs.fresh())
        await asyncio.sleep(0)
        assert (await asyncio.wait_for(revs.fresh(), 1)).epoch == 0   # not blocked
        now[0] = 2.5                       # too old: this one waits for the refresh
        waiting = asyncio.create_task(revs.fresh())
        await asyncio.sleep(0)
        assert not waiting.done()
        gate.set()
        await slow
        await waiting

    asyncio.run(scenario())
