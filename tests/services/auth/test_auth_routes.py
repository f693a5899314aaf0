"""The auth HTTP API through a TestClient, with the database replaced by FakeStore."""

from __future__ import annotations

import random
import string

import jwt
import psycopg
import pytest
from auth_fakes import ADMIN_KEY, ADMIN_PASSWORD, FakeStore, admin_store, make_app
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


@pytest.fixture
def store() -> FakeStore:
    return admin_store()[0]


@pytest.fixture
def client(store: FakeStore) -> TestClient:
    app, _ = make_app(store)
    return TestClient(app)


def _token(client: TestClient, key: str, username: str, password: str) -> str:
    resp = client.post("/v1/auth/token", headers={"X-Api-Key": key},
                       json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert resp.headers["cache-control"] == "no-store"
    return body["access_token"]


def test_token_then_verify_round_trip(client: TestClient, store: FakeStore) -> None:
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    resp = client.get("/internal/verify",
                      headers={"X-Api-Key": ADMIN_KEY, "Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    admin = store.users["admin"]
    assert resp.headers["x-user-id"] == admin.id
    assert resp.headers["x-client-id"] == admin.client_id
    assert resp.headers["x-user-roles"] == "admin,customer"
    assert store.events == [("auth.token_issued", admin.id)]


def test_jwks_endpoint_verifies_issued_tokens(client: TestClient) -> None:
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    (jwk,) = client.get("/.well-known/jwks.json").json()["keys"]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience="sandbox",
                        issuer="sandbox-auth")
    assert claims["roles"] == ["admin", "customer"]
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
    store.add_user(api_key="other-key", username="bob", password="pw", roles=["customer"])
    resp = client.post("/v1/auth/token", headers={"X-Api-Key": ADMIN_KEY},
                       json={"username": "bob", "password": "pw"})
    assert resp.status_code == 401
    assert client.post("/v1/auth/token", json={"username": "bob", "password": "pw"}
                       ).status_code == 401


def test_verify_answers_only_200_or_401(client: TestClient) -> None:
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
                headers = {"Authorization": authorization}
                if key is not None:
                    headers["X-Api-Key"] = key
                statuses.add(client.request(method, "/internal/verify", headers=headers)
                             .status_code)
    assert statuses == {200, 401}


def test_verify_is_503_only_when_the_database_is_down(store: FakeStore) -> None:
    app, _ = make_app(store)
    client = TestClient(app)
    token = _token(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)
    headers = {"X-Api-Key": "uncached-key", "Authorization": f"Bearer {token}"}
    store.fail_with = psycopg.OperationalError("connection refused")
    assert client.get("/internal/verify", headers=headers).status_code == 503
    store.fail_with = RuntimeError("a bug")
    assert client.get("/internal/verify", headers=headers).status_code == 401


def test_enrol_client_needs_the_admin_role(client: TestClient) -> None:
    resp = client.post("/v1/admin/clients", json={"name": "shop"})
    assert resp.status_code == 401 and resp.headers["content-type"].startswith(PROBLEM)
    resp = client.post("/v1/admin/clients", json={"name": "shop"},
                       headers={"X-User-Id": "u", "X-User-Roles": "customer"})
    assert resp.status_code == 403 and resp.json()["status"] == 403


def test_enrolled_client_can_log_in_and_pass_verify(client: TestClient, store: FakeStore) -> None:
    resp = client.post("/v1/admin/clients", json={"name": "Acme Shop!"},
                       headers={"X-User-Id": "admin", "X-User-Roles": "admin,customer"})
    assert resp.status_code == 201, resp.text
    enrolled = resp.json()
    assert set(enrolled) == {"client_id", "api_key", "username", "password", "user_id"}
    assert enrolled["username"].startswith("acme-shop-")
    token = _token(client, enrolled["api_key"], enrolled["username"], enrolled["password"])
    verify = client.get("/internal/verify", headers={"X-Api-Key": enrolled["api_key"],
                                                     "Authorization": f"Bearer {token}"})
    assert verify.status_code == 200
    assert verify.headers["x-client-id"] == enrolled["client_id"]
    assert verify.headers["x-user-id"] == enrolled["user_id"]
    assert verify.headers["x-user-roles"] == "customer"
    crossed = client.get("/internal/verify", headers={"X-Api-Key": ADMIN_KEY,
                                                      "Authorization": f"Bearer {token}"})
    assert crossed.status_code == 401


def test_enrol_client_validates_the_body(client: TestClient) -> None:
    resp = client.post("/v1/admin/clients", json={"name": ""},
                       headers={"X-User-Id": "admin", "X-User-Roles": "admin"})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith(PROBLEM)
