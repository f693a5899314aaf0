"""The admin API through a TestClient (FakeStore for the DB): permissions, RBAC, keys, audit."""

from __future__ import annotations

import time

import jwt
import pytest
from auth_fakes import ADMIN_KEY, ADMIN_PASSWORD, FakeStore, admin_store, make_app
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


@pytest.fixture
def store() -> FakeStore:
    return admin_store()[0]


@pytest.fixture
def app_state(store: FakeStore):
    return make_app(store)


@pytest.fixture
def client(app_state) -> TestClient:
    return TestClient(app_state[0])


def _login(client: TestClient, key: str, username: str, password: str) -> dict:
    resp = client.post("/v1/auth/token", headers={"X-Api-Key": key},
                       json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    token = _login(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)["access_token"]
    return {"X-Api-Key": ADMIN_KEY, "Authorization": f"Bearer {token}"}


def _enrol(client: TestClient, admin: dict[str, str], name: str = "shop") -> dict:
    resp = client.post("/v1/admin/clients", json={"name": name}, headers=admin)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _as(client: TestClient, enrolled: dict) -> dict[str, str]:
    token = _login(client, enrolled["api_key"], enrolled["username"],
                   enrolled["password"])["access_token"]
    return {"X-Api-Key": enrolled["api_key"], "Authorization": f"Bearer {token}"}


def test_admin_routes_need_credentials_and_the_permission(client: TestClient,
                                                          admin: dict[str, str]) -> None:
    resp = client.post("/v1/admin/clients", json={"name": "shop"})
    assert resp.status_code == 401 and resp.headers["content-type"].startswith(PROBLEM)
    # forged gateway headers give nothing: auth verifies the caller itself
    forged = client.post("/v1/admin/clients", json={"name": "shop"},
                         headers={"X-User-Id": "u", "X-User-Roles": "admin",
                                  "X-User-Permissions": "clients:write"})
    assert forged.status_code == 401
    customer = _as(client, _enrol(client, admin))
    for method, path in [("POST", "/v1/admin/clients"), ("GET", "/v1/admin/users"),
                         ("POST", "/v1/admin/roles"), ("GET", "/v1/admin/audit"),
                         ("POST", "/v1/admin/signing-keys/rotate"),
                         ("POST", "/v1/admin/tokens/revoke"), ("GET", "/v1/admin/groups")]:
        resp = client.request(method, path, headers=customer, json={})
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["status"] == 403


def test_enrolled_client_can_log_in_and_pass_verify(client: TestClient,
                                                    admin: dict[str, str]) -> None:
    enrolled = _enrol(client, admin, "Acme Shop!")
    assert set(enrolled) == {"client_id", "api_key", "username", "password", "user_id"}
    assert enrolled["username"].startswith("acme-shop-")
    headers = _as(client, enrolled)
    verify = client.get("/internal/verify", headers=headers)
    assert verify.status_code == 200
    assert verify.headers["x-client-id"] == enrolled["client_id"]
    assert verify.headers["x-user-roles"] == "customer"
    assert "users:write" not in verify.headers["x-user-permissions"]
    crossed = client.get("/internal/verify", headers={**headers, "X-Api-Key": ADMIN_KEY})
    assert crossed.status_code == 401


def test_enrol_client_validates_the_body(client: TestClient, admin: dict[str, str]) -> None:
    for body in [{"name": ""}, {"name": "a\x00b"}, {"name": "x", "extra": 1}, []]:
        resp = client.post("/v1/admin/clients", json=body, headers=admin)
        assert resp.status_code == 422 and resp.headers["content-type"].startswith(PROBLEM)


def test_users_create_update_disable(client: TestClient, admin: dict[str, str],
                                     store: FakeStore) -> None:
    enrolled = _enrol(client, admin)
    resp = client.post("/v1/admin/users", headers=admin, json={
        "client_id": enrolled["client_id"], "username": "grace", "password": "pw-grace-1",
        "groups": ["customers"]})
    assert resp.status_code == 201, resp.text
    user = resp.json()
    assert user["groups"] == ["customers"] and not user["disabled"]
    dup = client.post("/v1/admin/users", headers=admin, json={
        "client_id": enrolled["client_id"], "username": "grace", "password": "pw-grace-1"})
    assert dup.status_code == 409
    unknown = client.post("/v1/admin/users", headers=admin, json={
        "client_id": "not-a-client", "username": "h", "password": "pw-h-12345"})
    assert unknown.status_code == 404
    grace = _as(client, {**enrolled, "username": "grace", "password": "pw-grace-1"})
    assert client.get("/internal/verify", headers=grace).status_code == 200
    patched = client.patch(f"/v1/admin/users/{user['id']}", headers=admin,
                           json={"password": "pw-grace-2"})
    assert patched.status_code == 200
    _as(client, {**enrolled, "username": "grace", "password": "pw-grace-2"})
    disabled = client.post(f"/v1/admin/users/{user['id']}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get("/internal/verify", headers=grace).status_code == 401
    assert client.post("/v1/auth/token", headers={"X-Api-Key": enrolled["api_key"]},
                       json={"username": "grace", "password": "pw-grace-2"}).status_code == 401
    assert client.get("/v1/admin/users/nope", headers=admin).status_code == 404
    me = jwt.decode(admin["Authorization"][7:], options={"verify_signature": False})["sub"]
    assert client.post(f"/v1/admin/users/{me}/disable", headers=admin).status_code == 409


def test_roles_permissions_and_groups_crud(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/v1/admin/permissions", headers=admin,
                       json={"name": "reports:read", "description": "see reports"}
                       ).status_code == 201
    assert client.post("/v1/admin/permissions", headers=admin,
                       json={"name": "reports:read"}).status_code == 409
    role = client.post("/v1/admin/roles", headers=admin,
                       json={"name": "analyst", "permissions": ["reports:read"]})
    assert role.status_code == 201 and role.json()["permissions"] == ["reports:read"]
    assert client.post("/v1/admin/roles", headers=admin,
                       json={"name": "bad", "permissions": ["nope:nope"]}).status_code == 404
    assert client.put("/v1/admin/roles/analyst/permissions/orders:read", headers=admin
                      ).json()["permissions"] == ["orders:read", "reports:read"]
    assert client.delete("/v1/admin/roles/analyst/permissions/orders:read", headers=admin
                         ).json()["permissions"] == ["reports:read"]
    renamed = client.patch("/v1/admin/roles/analyst", headers=admin,
                           json={"name": "analysts", "description": "reads reports"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "analysts"
    assert client.patch("/v1/admin/roles/admin", headers=admin, json={"name": "root"}
                        ).status_code == 409
    assert client.delete("/v1/admin/roles/admin", headers=admin).status_code == 409
    assert client.delete("/v1/admin/permissions/audit:read", headers=admin).status_code == 409
    group = client.post("/v1/admin/groups", headers=admin, json={"name": "finance"})
    assert group.status_code == 201
    assert client.put("/v1/admin/groups/finance/roles/analysts", headers=admin
                      ).json()["roles"] == ["analysts"]
    assert client.get("/v1/admin/groups/finance", headers=admin).json()["roles"] == ["analysts"]
    assert client.delete("/v1/admin/groups/finance/roles/analysts", headers=admin
                         ).json()["roles"] == []
    assert client.delete("/v1/admin/roles/analysts", headers=admin).status_code == 204
    assert client.get("/v1/admin/roles/analysts", headers=admin).status_code == 404
    assert client.delete("/v1/admin/permissions/reports:read", headers=admin).status_code == 204
    assert client.delete("/v1/admin/groups/finance", headers=admin).status_code == 204
    assert client.delete("/v1/admin/groups/admins", headers=admin).status_code == 409
    names = {r["name"] for r in client.get("/v1/admin/roles", headers=admin).json()["items"]}
    assert names == {"admin", "customer"}
    for bad in ["Upper", "with space", "x" * 65, "-lead"]:
        assert client.post("/v1/admin/roles", headers=admin, json={"name": bad}
                           ).status_code == 422


def test_builtin_roles_are_those_of_the_contract(client: TestClient, admin: dict[str, str]) -> None:
    roles = {r["name"]: r for r in client.get("/v1/admin/roles", headers=admin).json()["items"]}
    assert roles["customer"]["permissions"] == sorted([
        "products:read", "orders:read", "orders:write", "customers:read", "payments:read",
        "webhooks:read", "webhooks:write"])
    assert len(roles["admin"]["permissions"]) == 18
    perms = client.get("/v1/admin/permissions", headers=admin).json()["items"]
    assert {p["name"] for p in perms} == set(roles["admin"]["permissions"])


def test_nested_groups_resolve_permissions_and_refuse_a_cycle(client: TestClient,
                                                              admin: dict[str, str]) -> None:
    enrolled = _enrol(client, admin)
    for name in ("team-a", "team-b", "team-c"):
        assert client.post("/v1/admin/groups", headers=admin, json={"name": name}
                           ).status_code == 201
    client.post("/v1/admin/permissions", headers=admin, json={"name": "reports:read"})
    client.post("/v1/admin/roles", headers=admin,
                json={"name": "reporter", "permissions": ["reports:read"]})
    client.put("/v1/admin/groups/team-a/roles/reporter", headers=admin)
    # team-c in team-b in team-a
    assert client.put("/v1/admin/groups/team-a/groups/team-b", headers=admin).status_code == 200
    assert client.put("/v1/admin/groups/team-b/groups/team-c", headers=admin).status_code == 200
    user_id = enrolled["user_id"]
    assert client.put(f"/v1/admin/groups/team-c/users/{user_id}", headers=admin
                      ).json()["groups"] == ["customers", "team-c"]
    eff = client.get(f"/v1/admin/users/{user_id}/permissions", headers=admin).json()
    assert eff["groups"] == ["customers", "team-a", "team-b", "team-c"]
    assert eff["roles"] == ["customer", "reporter"] and "reports:read" in eff["permissions"]
    for parent, child in [("team-c", "team-a"), ("team-c", "team-b"), ("team-a", "team-a")]:
        cycle = client.put(f"/v1/admin/groups/{parent}/groups/{child}", headers=admin)
        assert cycle.status_code == 409, (parent, child)
        assert cycle.headers["content-type"].startswith(PROBLEM)
        assert "cycle" in cycle.json()["detail"]
    token = _as(client, enrolled)
    claims = jwt.decode(token["Authorization"][7:], options={"verify_signature": False})
    assert "reports:read" in claims["permissions"] and "reporter" in claims["roles"]
    assert client.delete("/v1/admin/groups/team-b/groups/team-c", headers=admin).status_code == 200
    eff = client.get(f"/v1/admin/users/{user_id}/permissions", headers=admin).json()
    assert "reports:read" not in eff["permissions"]
    assert client.delete(f"/v1/admin/groups/team-c/users/{user_id}", headers=admin
                         ).json()["groups"] == ["customers"]


def test_api_key_rotation_overlap_and_revocation(client: TestClient, admin: dict[str, str],
                                                 store: FakeStore, app_state) -> None:
    enrolled = _enrol(client, admin)
    cid = enrolled["client_id"]
    (key,) = client.get(f"/v1/admin/clients/{cid}/keys", headers=admin).json()["items"]
    assert key["prefix"] == enrolled["api_key"][:8] and "api_key" not in key
    old_headers = _as(client, enrolled)
    rotated = client.post(f"/v1/admin/clients/{cid}/keys/{key['id']}/rotate", headers=admin,
                          json={"overlap_s": 60})
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["new"]["api_key"]
    assert rotated.json()["previous"]["expires_at"] is not None
    assert client.get("/internal/verify", headers=old_headers).status_code == 200  # overlap
    new_headers = {**old_headers, "X-Api-Key": new_key}
    assert client.get("/internal/verify", headers=new_headers).status_code == 200
    # the overlap ends: the old key stops
    next(k for k in store.api_keys.values() if k.id == key["id"]).expires_at = time.time() - 1
    store.bump()
    app_state[1].revocations.expire()  # instead of waiting for the 1 s refresh
    assert client.get("/internal/verify", headers=old_headers).status_code == 401
    new_id = rotated.json()["new"]["id"]
    revoked = client.post(f"/v1/admin/clients/{cid}/keys/{new_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get("/internal/verify", headers=new_headers).status_code == 401
    again = client.post(f"/v1/admin/clients/{cid}/keys/{new_id}/revoke", headers=admin)
    assert again.status_code == 409
    assert client.post(f"/v1/admin/clients/{cid}/keys/nope/rotate", headers=admin
                       ).status_code == 404
    assert client.post(f"/v1/admin/clients/{cid}/keys/{key['id']}/rotate", headers=admin,
                       json={"overlap_s": -1}).status_code == 422
    extra = client.post(f"/v1/admin/clients/{cid}/keys", headers=admin)
    assert extra.status_code == 201 and len(extra.json()["api_key"]) == 64


def test_signing_key_rotation_keeps_old_tokens_until_retired(client: TestClient,
                                                             admin: dict[str, str]) -> None:
    before = client.get("/.well-known/jwks.json").json()["keys"]
    assert len(before) == 1
    old_kid = before[0]["kid"]
    resp = client.post("/v1/admin/signing-keys/rotate", headers=admin)
    assert resp.status_code == 201 and resp.json()["status"] == "current"
    new_kid = resp.json()["kid"]
    jwks = [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]]
    assert jwks == [new_kid, old_kid]
    assert client.get("/internal/verify", headers=admin).status_code == 200  # old token works
    fresh = _login(client, ADMIN_KEY, "admin", ADMIN_PASSWORD)["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid
    new_admin = {**admin, "Authorization": f"Bearer {fresh}"}
    listed = {k["kid"]: k["status"] for k in
              client.get("/v1/admin/signing-keys", headers=new_admin).json()["items"]}
    assert listed == {old_kid: "previous", new_kid: "current"}
    assert client.post(f"/v1/admin/signing-keys/{new_kid}/retire", headers=new_admin
                       ).status_code == 409
    retired = client.post(f"/v1/admin/signing-keys/{old_kid}/retire", headers=new_admin)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert client.get("/internal/verify", headers=admin).status_code == 401
    assert [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]] == [new_kid]
    assert client.post("/v1/admin/signing-keys/nope/retire", headers=new_admin).status_code == 404


def test_token_revocation_by_jti(client: TestClient, admin: dict[str, str]) -> None:
    enrolled = _enrol(client, admin)
    user = _as(client, enrolled)
    jti = jwt.decode(user["Authorization"][7:], options={"verify_signature": False})["jti"]
    assert client.post("/v1/admin/tokens/revoke", headers=admin, json={"jti": jti}
                       ).status_code == 204
    assert client.get("/internal/verify", headers=user).status_code == 401
    assert client.post("/v1/admin/tokens/revoke", headers=admin, json={"jti": ""}
                       ).status_code == 422


def test_every_admin_write_is_in_the_audit_trail(client: TestClient, admin: dict[str, str]) -> None:
    enrolled = _enrol(client, admin)
    client.post("/v1/admin/groups", headers=admin, json={"name": "ops"})
    client.put(f"/v1/admin/groups/ops/users/{enrolled['user_id']}", headers=admin)
    client.post(f"/v1/admin/users/{enrolled['user_id']}/disable", headers=admin)
    items = client.get("/v1/admin/audit", headers=admin).json()["items"]
    types = [i["type"] for i in items]
    assert types[:4] == ["admin.user_disabled", "admin.group_user_added", "admin.group_created",
                         "admin.client_enrolled"]
    me = jwt.decode(admin["Authorization"][7:], options={"verify_signature": False})["sub"]
    assert all(i["actor_id"] == me for i in items)
    assert items[0]["target"] == f"user:{enrolled['user_id']}"
    only = client.get("/v1/admin/audit", headers=admin,
                      params={"type": "admin.group_created"}).json()["items"]
    assert [i["target"] for i in only] == ["group:ops"]
    assert client.get("/v1/admin/audit", headers=admin, params={"limit": 0}).status_code == 422
    assert client.get("/v1/admin/audit", headers=admin, params={"since": "yesterday"}
                      ).status_code == 422


def test_no_input_ends_in_a_500(client: TestClient, admin: dict[str, str]) -> None:
    weird = ["%00", "..", "\u00e9", "a" * 300, "%2e%2e%2fetc", "1;DROP TABLE users"]
    statuses = set()
    for value in weird:
        for path in [f"/v1/admin/users/{value}", f"/v1/admin/roles/{value}",
                     f"/v1/admin/groups/{value}/groups/{value}",
                     f"/v1/admin/clients/{value}/keys",
                     f"/v1/admin/signing-keys/{value}/retire"]:
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                statuses.add(client.request(method, path, headers=admin, json={"x": value})
                             .status_code)
    assert statuses and max(statuses) < 500, statuses
