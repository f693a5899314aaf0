"""The auth HTTP API (token, refresh, logout, JWKS, verify) through a TestClient, FakeStore for the DB."""

from __future__ import annotations

import random
import re
import string

import jwt
import psycopg
import pytest
from auth_fakes import ADMIN_KEY, ADMIN_PASSWORD, PROOF_KEY, FakeStore, admin_store, make_app
from fastapi.testclient import TestClient

from services.platform.identity import verify_proof

PROBLEM = "application/problem+json"


@pytest.fixture
def store() -> FakeStore:
    return admin_store()[0]


@pytest.fixture
def client(store: FakeStore) -> TestClient:
    app, _ = make_app(store)
    return TestClient(app)


def _login(client: TestClient, key: str, username: str, password: str) -> dict:
    resp = client.post("/v1/auth/token", headers={"X-Api-Key": key},
                       json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["refresh_expires_in"] == 8 * 3600
    assert resp.headers["cache-control"] == "no-store"
    return body


def _token(client: TestClient, key: str, username: str, password: str) -> str:
    return _login(client, key, username, password)["access_token"]


def _verify(client: TestClient, key: str, token: str, **headers: str):
    return client.get("/internal/verify", headers={"X-Api-Key": key,
                                                   "Authorization": f"Bearer {token}", **headers})


def test_token_then_verify_round_trip(client: TestClient, store: FakeStore) -> None:
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    resp = _verify(client, ADMIN_KEY, token)
    assert resp.status_code == 200
    # the gateway keeps it 2 to 4 s, then 1 s more while one request asks again: 5 s at
    # most, within the revocation bound with auth's 1 s refresh
    assert re.fullmatch(r"max-age=[234], stale-while-revalidate=1", resp.headers["cache-control"])
    ages = {_verify(client, ADMIN_KEY, token).headers["cache-control"] for _ in range(40)}
    assert len(ages) > 1, f"one max-age for every answer: entries made together expire together {ages}"
    assert "cache-control" not in _verify(client, ADMIN_KEY, "not-a-token").headers
    admin = store.users["admin"]
    assert resp.headers["x-user-id"] == admin.id
    assert resp.headers["x-client-id"] == admin.client_id
    assert resp.headers["x-user-roles"] == "admin,customer"
    perms = resp.headers["x-user-permissions"].split(",")
    assert "audit:read" in perms and "orders:write" in perms
    assert verify_proof(PROOF_KEY, resp.headers["x-identity-proof"], admin.id, admin.client_id,
                        "admin,customer", resp.headers["x-user-permissions"])
    assert store.events == [("auth.token_issued", admin.id)]


def test_verify_checks_the_required_permission(client: TestClient, store: FakeStore) -> None:
    store.add_user(api_key="c" * 64, username="carol", password="pw-carol", groups=["customers"])
    token = _token(client, "c" * 64, "carol", "pw-carol")
    assert _verify(client, "c" * 64, token, **{"X-Required-Permission": "orders:write"}
                   ).status_code == 200
    denied = _verify(client, "c" * 64, token, **{"X-Required-Permission": "users:write"})
    assert denied.status_code == 403 and denied.headers["content-type"].startswith(PROBLEM)
    assert "x-auth-denied" not in denied.headers
    assert _verify(client, "c" * 64, token, **{"X-Required-Permission": ""}).status_code == 200


def test_verify_throttles_an_address_with_many_failures(store: FakeStore) -> None:
    app, state = make_app(store)
    state.verifier.throttle.max_failures = 5
    client = TestClient(app)
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    for i in range(5):
        assert _verify(client, f"bogus-{i}", token, **{"X-Real-IP": "198.51.100.7"}
                       ).status_code == 401
    lookups = store.key_lookups
    resp = _verify(client, ADMIN_KEY, token, **{"X-Real-IP": "198.51.100.7"})
    assert resp.status_code == 403 and resp.headers["x-auth-denied"] == "throttled"
    assert int(resp.headers["retry-after"]) == 60
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert store.key_lookups == lookups
    assert _verify(client, ADMIN_KEY, token, **{"X-Real-IP": "198.51.100.8"}).status_code == 200


def test_jwks_endpoint_verifies_issued_tokens(client: TestClient) -> None:
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    (jwk,) = client.get("/.well-known/jwks.json").json()["keys"]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience="sandbox",
                        issuer="sandbox-auth")
    assert claims["roles"] == ["admin", "customer"] and claims["typ"] == "access"
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]


@pytest.mark.parametrize("key,username,password", [
    (ADMIN_KEY, "admin", "wrong"),
    ("unknown-key", "admin", ADMIN_PASSWORD),
    (ADMIN_KEY, "nobody", ADMIN_PASSWORD),
])
def test_token_refused_is_a_401_problem(client: TestClient, key: str, username: str,
                                         password: str) -> None:
    resp = client.post("/v1/auth/token", headers={"X-Api-Key": key},
                       json={"username": username, "password": password})
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["status"] == 401


def test_token_needs_the_key_of_the_users_own_client(client: TestClient, store: FakeStore) -> None:
    store.add_user(api_key="other-key", username="bob", password="pw", groups=["customers"])
    resp = client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY},
                       json={"username": "bob", "password": "pw"})
    assert resp.status_code == 401
    assert client.post("/v1/auth/token", json={"username": "bob", "password": "pw"}
                       ).status_code == 401


def test_login_lockout_per_username(client: TestClient, store: FakeStore) -> None:
    store.add_user(api_key="d" * 64, username="dave", password="pw-dave", groups=["customers"])
    for _ in range(5):
        resp = client.post("/v1/auth/token", headers={"X-Api-Key": "d" * 64},
                           json={"username": "dave", "password": "wrong"})
        assert resp.status_code == 401
    locked = client.post("/v1/auth/token", headers={"X-Api-Key": "d" * 64},
                         json={"username": "dave", "password": "pw-dave"})
    assert locked.status_code == 429 and locked.headers["content-type"].startswith(PROBLEM)
    assert 290 <= int(locked.headers["retry-after"]) <= 300
    assert _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)  # other users are unaffected


def test_login_lockout_per_address(store: FakeStore) -> None:
    app, state = make_app(store)
    state.login_addresses.max_failures = 3
    client = TestClient(app)
    for i in range(10):  # unknown usernames lock nobody out
        client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY, "X-Real-IP": "203.0.113.5"},
                    json={"username": f"user{i}", "password": "x"})
    assert client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY,
                                                  "X-Real-IP": "203.0.113.5"},
                       json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 200
    for _ in range(3):  # guesses at a real account count
        client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY, "X-Real-IP": "203.0.113.5"},
                    json={"username": "admin", "password": "wrong"})
    locked = client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY,
                                                    "X-Real-IP": "203.0.113.5"},
                         json={"username": "admin", "password": ADMIN_PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    ok = client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY, "X-Real-IP": "203.0.113.6"},
                     json={"username": "admin", "password": ADMIN_PASSWORD})
    assert ok.status_code == 200


def test_a_success_resets_the_username_count(client: TestClient) -> None:
    for _ in range(4):
        client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY},
                    json={"username": "admin", "password": "wrong"})
    _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    for _ in range(4):
        client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY},
                    json={"username": "admin", "password": "wrong"})
    _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)


def test_verify_answers_only_200_401_or_403(client: TestClient) -> None:
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    rng = random.Random(7)
    junk = ["", " ", "Bearer", f"Bearer {token}x", f"bearer {token[:-3]}", token,
            "Bearer " + "".join(rng.choices(string.printable.strip(), k=300)),
            f"Bearer {token} {token}", "Basic YTpi"]
    keys = [ADMIN_KEY, "", "k" * 500, "x", ADMIN_KEY.upper(), None]
    statuses = set()
    for method in ("GET", "HEAD", "POST"):
        for key in keys:
            for authorization in [*junk, f"Bearer {token}"]:
                headers = {"Authorization": authorization, "X-Required-Permission": "orders:read"}
                if key is not None:
                    headers["X-Api-Key"] = key
                statuses.add(client.request(method, "/internal/verify", headers=headers)
                             .status_code)
    assert statuses == {200, 401}


def test_verify_is_503_only_when_the_database_is_down(store: FakeStore) -> None:
    app, _ = make_app(store)
    client = TestClient(app)
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    store.fail_with = psycopg.OperationalError("connection refused")
    assert _verify(client, "uncached-key", token).status_code == 503
    store.fail_with = RuntimeError("a bug")
    assert _verify(client, "uncached-key", token).status_code == 401


# --- refresh and logout ---------------------------------------------------------------

def _refresh(client: TestClient, key: str, refresh_token: str):
    return client.post("/v1/auth/refresh", headers={"X-Api-Key": key},
                       json={"refresh_token": refresh_token})


def test_refresh_rotates_and_the_old_refresh_token_is_single_use(client: TestClient) -> None:
    first = _login(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    resp = _refresh(client, ADMIN_KEY, first["refresh_token"])
    assert resp.status_code == 200, resp.text
    second = resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert _verify(client, ADMIN_KEY, second["access_token"]).status_code == 200
    claims = jwt.decode(second["refresh_token"], options={"verify_signature": False})
    old_claims = jwt.decode(first["refresh_token"], options={"verify_signature": False})
    assert claims["family"] == old_claims["family"] and claims["typ"] == "refresh"
    # reuse of the spent token: refused, and the whole family is revoked
    reused = _refresh(client, ADMIN_KEY, first["refresh_token"])
    assert reused.status_code == 401 and "family" in reused.json()["detail"]
    assert _refresh(client, ADMIN_KEY, second["refresh_token"]).status_code == 401
    assert _verify(client, ADMIN_KEY, second["access_token"]).status_code == 401
    assert _verify(client, ADMIN_KEY, first["access_token"]).status_code == 401


def test_refresh_needs_the_clients_key_and_a_refresh_token(client: TestClient,
                                                           store: FakeStore) -> None:
    store.add_user(api_key="e" * 64, username="erin", password="pw-erin", groups=["customers"])
    pair = _login(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    assert _refresh(client, "e" * 64, pair["refresh_token"]).status_code == 401
    assert _refresh(client, ADMIN_KEY, pair["access_token"]).status_code == 401  # typ confusion
    assert client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
                       ).status_code == 401
    for junk in ["x", "a.b.c", "\u00e9" * 50]:
        resp = _refresh(client, ADMIN_KEY, junk)
        assert resp.status_code == 401 and resp.headers["content-type"].startswith(PROBLEM)
    assert _refresh(client, ADMIN_KEY, "").status_code == 422
    # an access token is never a refresh token at verify either
    assert _verify(client, ADMIN_KEY, pair["refresh_token"]).status_code == 401
    assert _refresh(client, ADMIN_KEY, pair["refresh_token"]).status_code == 200


def test_refresh_fails_for_a_disabled_user(client: TestClient, store: FakeStore) -> None:
    user = store.add_user(api_key="f" * 64, username="frank", password="pw-frank",
                          groups=["customers"])
    pair = _login(client, "f" * 64, "frank", "pw-frank")
    store.disabled.add(user.id)
    store.bump()
    assert _refresh(client, "f" * 64, pair["refresh_token"]).status_code == 401
    assert _verify(client, "f" * 64, pair["access_token"]).status_code == 401


def test_logout_revokes_the_family(client: TestClient) -> None:
    pair = _login(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    resp = client.post("/v1/auth/logout", headers={"X-Api-Key": ADMIN_KEY},
                       json={"refresh_token": pair["refresh_token"]})
    assert resp.status_code == 204
    assert _refresh(client, ADMIN_KEY, pair["refresh_token"]).status_code == 401
    assert _verify(client, ADMIN_KEY, pair["access_token"]).status_code == 401
    again = client.post("/v1/auth/logout", headers={"X-Api-Key": "zz"},
                        json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


def test_a_service_trusts_exactly_what_verify_answered(client: TestClient) -> None:
    from services.platform.identity import IDENTITY_HEADERS, identity_from_headers, identity_key
    from services.platform.problem import ProblemError

    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    resp = _verify(client, ADMIN_KEY, token)
    forwarded = {name: resp.headers[name] for name in IDENTITY_HEADERS}
    with identity_key(PROOF_KEY):
        who = identity_from_headers(forwarded)
        assert "audit:read" in who.permissions and who.has_role("admin")
        with pytest.raises(ProblemError):
            identity_from_headers({**forwarded, "X-User-Permissions": "everything"})
