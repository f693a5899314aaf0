"""The auth service's admin API, tokens and revocation, driven from the host through the gateway.

What each case must get:

| case | expected |
| --- | --- |
| admin creates a permission, role, nested groups and a user | 201s; effective permissions resolved through the nesting; the user's token carries them |
| nesting that makes a cycle | 409 problem+json naming the cycle |
| a customer on the admin API | 403 problem+json |
| API key rotated with a 3 s overlap | old key accepted during the overlap, refused after it (+ the bound); the new key works; a revoked key is refused within the bound |
| refresh token | rotates; a spent one presented again is 401 and revokes its whole family |
| logout | the refresh token and its access token stop working |
| signing key rotated | JWKS serves the new and the old key; tokens of both verify; new tokens carry the new kid |
| token revoked by jti / user disabled | refused through the gateway within the revocation bound; a disabled user cannot log in or refresh |
| every admin write | in GET /v1/admin/audit: who, what, target, when, trace id |
| 5 wrong passwords for a username | the next login (even with the right password) is 429 problem+json with Retry-After |

The bound is 6 s with the gateway's 5 s verify cache (auth refreshes its revocations every
second); this file allows `WAIT_S` so that it also holds for a gateway that caches longer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.security]

BOUND_S = 6.0
WAIT_S = 15.0
PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == status


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def login(gateway_url: str, api_key: str, username: str, password: str) -> dict[str, Any]:
    response = httpx.post(f"{gateway_url}/v1/auth/token", headers={"X-Api-Key": api_key},
                          json={"username": username, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(api_key: str, token: str) -> dict[str, str]:
    return {"X-Api-Key": api_key, "Authorization": f"Bearer {token}"}


def probe(gateway_url: str, headers: dict[str, str]) -> int:
    """403 while the credentials are good (a customer lacks audit:read), 401 once refused."""
    return httpx.get(f"{gateway_url}/v1/admin/audit", headers=headers, timeout=10).status_code


def wait_for(check: Callable[[], bool], timeout: float = WAIT_S) -> float:
    """Seconds until `check()` holds (fails the test past `timeout`)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.25)
    return time.monotonic() - start


_DIRECT = """
import json, sys, urllib.request as u
req = u.Request("http://127.0.0.1:8000" + sys.argv[1], data=sys.argv[2].encode(), method="POST",
                headers={"Content-Type": "application/json", "X-Api-Key": sys.argv[3]})
try:
    r = u.urlopen(req, timeout=10)
    print(json.dumps([r.status, r.read().decode()]))
except u.HTTPError as e:
    print(json.dumps([e.code, e.read().decode()]))
"""


class AuthPublic:
    """POST /v1/auth/refresh and /logout: through the gateway when it routes them (public,
    key only), else straight to auth inside its container (a gateway from before they were
    public answers them with its own 401/404)."""

    def __init__(self, sandbox: Any, gateway_url: str) -> None:
        self.sandbox = sandbox
        self.gateway_url = gateway_url
        answer = httpx.post(f"{gateway_url}/v1/auth/refresh", headers={"X-Api-Key": "x"},
                            json={}, timeout=10)
        self.through_gateway = answer.status_code == 422

    def post(self, path: str, api_key: str, body: dict[str, Any]) -> tuple[int, Any]:
        if self.through_gateway:
            response = httpx.post(f"{self.gateway_url}{path}", headers={"X-Api-Key": api_key},
                                  json=body, timeout=10)
            return response.status_code, response.json() if response.content else None
        code, output = self.sandbox.exec("auth", ["python3", "-c", _DIRECT, path,
                                                  json.dumps(body), api_key])
        assert code == 0, output
        status, text = json.loads(output.strip().splitlines()[-1])
        return status, json.loads(text) if text else None


@pytest.fixture
def auth_public(sandbox: Any, gateway_url: str) -> AuthPublic:
    return AuthPublic(sandbox, gateway_url)


@pytest.fixture
def admin(admin_client: Any) -> Any:
    return admin_client


def enrol(admin: Any) -> dict[str, Any]:
    response = admin.post("/v1/admin/clients", json={"name": unique("auth-admin")})
    assert response.status_code == 201, response.text
    return response.json()


def test_admin_builds_nested_groups_and_effective_permissions(admin, gateway_url):
    enrolled = enrol(admin)
    perm, role = f"{unique('reports')}:read", unique("reporter")
    top, middle, leaf = unique("top"), unique("middle"), unique("leaf")
    assert admin.post("/v1/admin/permissions", json={"name": perm}).status_code == 201
    created = admin.post("/v1/admin/roles", json={"name": role, "permissions": [perm]})
    assert created.status_code == 201 and created.json()["permissions"] == [perm]
    for group in (top, middle, leaf):
        assert admin.post("/v1/admin/groups", json={"name": group}).status_code == 201
    assert admin.request("PUT", f"/v1/admin/groups/{top}/roles/{role}").status_code == 200
    assert admin.request("PUT", f"/v1/admin/groups/{top}/groups/{middle}").status_code == 200
    assert admin.request("PUT", f"/v1/admin/groups/{middle}/groups/{leaf}").status_code == 200
    username = unique("nested-user")
    user = admin.post("/v1/admin/users", json={
        "client_id": enrolled["client_id"], "username": username, "password": "pw-" + username,
        "groups": [leaf]})
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    effective = admin.get(f"/v1/admin/users/{user_id}/permissions").json()
    assert set(effective["groups"]) == {top, middle, leaf}
    assert effective["roles"] == [role] and effective["permissions"] == [perm]
    # a cycle, direct or through the middle group, is refused
    for parent, child in [(leaf, top), (middle, top), (leaf, leaf)]:
        cycle = admin.request("PUT", f"/v1/admin/groups/{parent}/groups/{child}")
        assert_problem(cycle, 409)
        assert "cycle" in cycle.json()["detail"]
    token = login(gateway_url, enrolled["api_key"], username, "pw-" + username)["access_token"]
    assert claims(token)["permissions"] == [perm] and claims(token)["roles"] == [role]
    # unnesting takes the permission away
    assert admin.request("DELETE", f"/v1/admin/groups/{middle}/groups/{leaf}").status_code == 200
    assert admin.get(f"/v1/admin/users/{user_id}/permissions").json()["permissions"] == []


def test_a_customer_is_refused_the_admin_api(admin, gateway_url):
    enrolled = enrol(admin)
    token = login(gateway_url, enrolled["api_key"], enrolled["username"],
                  enrolled["password"])["access_token"]
    headers = bearer(enrolled["api_key"], token)
    for method, path in [("POST", "/v1/admin/roles"), ("GET", "/v1/admin/users"),
                         ("POST", "/v1/admin/signing-keys/rotate"), ("GET", "/v1/admin/audit"),
                         ("POST", "/v1/admin/tokens/revoke"), ("POST", "/v1/admin/clients")]:
        response = httpx.request(method, f"{gateway_url}{path}", headers=headers, json={},
                                 timeout=10)
        assert_problem(response, 403)


def test_api_key_rotation_keeps_the_old_key_for_its_overlap_then_revocation(admin, gateway_url):
    enrolled = enrol(admin)
    client_id = enrolled["client_id"]
    (key,) = admin.get(f"/v1/admin/clients/{client_id}/keys").json()["items"]
    token = login(gateway_url, enrolled["api_key"], enrolled["username"],
                  enrolled["password"])["access_token"]
    old = bearer(enrolled["api_key"], token)
    rotated = admin.post(f"/v1/admin/clients/{client_id}/keys/{key['id']}/rotate",
                         json={"overlap_s": 3})
    assert rotated.status_code == 200, rotated.text
    new = bearer(rotated.json()["new"]["api_key"], token)
    assert probe(gateway_url, old) == 403      # still accepted: the overlap
    assert probe(gateway_url, new) == 403
    waited = wait_for(lambda: probe(gateway_url, old) == 401)
    assert waited <= 3 + WAIT_S
    assert probe(gateway_url, new) == 403
    revoked = admin.post(f"/v1/admin/clients/{client_id}/keys/{rotated.json()['new']['id']}"
                         "/revoke")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    wait_for(lambda: probe(gateway_url, new) == 401)
    listed = admin.get(f"/v1/admin/clients/{client_id}/keys").json()["items"]
    assert all(not k["active"] for k in listed) and all("api_key" not in k for k in listed)


def test_refresh_rotates_and_a_reused_refresh_token_revokes_its_family(admin, gateway_url,
                                                                      auth_public):
    enrolled = enrol(admin)
    key = enrolled["api_key"]
    first = login(gateway_url, key, enrolled["username"], enrolled["password"])
    status, second = auth_public.post("/v1/auth/refresh", key,
                                      {"refresh_token": first["refresh_token"]})
    assert status == 200, second
    assert second["refresh_token"] != first["refresh_token"]
    assert claims(second["refresh_token"])["family"] == claims(first["refresh_token"])["family"]
    assert probe(gateway_url, bearer(key, second["access_token"])) == 403
    # the access token is no refresh token, and the spent refresh token is no access token
    assert auth_public.post("/v1/auth/refresh", key,
                            {"refresh_token": second["access_token"]})[0] == 401
    assert probe(gateway_url, bearer(key, first["refresh_token"])) == 401
    status, body = auth_public.post("/v1/auth/refresh", key,
                                    {"refresh_token": first["refresh_token"]})
    assert status == 401 and "family" in body["detail"]
    assert auth_public.post("/v1/auth/refresh", key,
                            {"refresh_token": second["refresh_token"]})[0] == 401
    wait_for(lambda: probe(gateway_url, bearer(key, second["access_token"])) == 401)


def test_logout_revokes_the_refresh_token_and_its_access_token(admin, gateway_url, auth_public):
    enrolled = enrol(admin)
    key = enrolled["api_key"]
    pair = login(gateway_url, key, enrolled["username"], enrolled["password"])
    assert auth_public.post("/v1/auth/logout", key,
                            {"refresh_token": pair["refresh_token"]})[0] == 204
    assert auth_public.post("/v1/auth/refresh", key,
                            {"refresh_token": pair["refresh_token"]})[0] == 401
    wait_for(lambda: probe(gateway_url, bearer(key, pair["access_token"])) == 401)


def test_signing_key_rotation_serves_old_and_new_keys(admin, gateway_url):
    enrolled = enrol(admin)
    before = login(gateway_url, enrolled["api_key"], enrolled["username"],
                   enrolled["password"])["access_token"]
    old_kid = jwt.get_unverified_header(before)["kid"]
    rotated = admin.post("/v1/admin/signing-keys/rotate", json={})
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid and rotated.json()["status"] == "current"
    jwks = httpx.get(f"{gateway_url}/.well-known/jwks.json", timeout=10).json()["keys"]
    kids = [k["kid"] for k in jwks]
    assert kids[0] == new_kid and old_kid in kids
    after = login(gateway_url, enrolled["api_key"], enrolled["username"],
                  enrolled["password"])["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    for token in (before, after):   # both verify, through the gateway and at auth
        assert probe(gateway_url, bearer(enrolled["api_key"], token)) == 403
        jwk = next(k for k in jwks if k["kid"] == jwt.get_unverified_header(token)["kid"])
        jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience="sandbox")
    listed = {k["kid"]: k for k in admin.get("/v1/admin/signing-keys").json()["items"]}
    assert listed[new_kid]["status"] == "current"
    assert listed[old_kid]["status"] == "previous" and listed[old_kid]["retire_at"]


def test_a_revoked_token_is_refused_through_the_gateway_within_the_bound(admin, gateway_url):
    enrolled = enrol(admin)
    token = login(gateway_url, enrolled["api_key"], enrolled["username"],
                  enrolled["password"])["access_token"]
    headers = bearer(enrolled["api_key"], token)
    me = httpx.get(f"{gateway_url}/v1/customers/me", headers=headers, timeout=10)
    assert probe(gateway_url, headers) == 403
    revoked = admin.post("/v1/admin/tokens/revoke", json={"jti": claims(token)["jti"]})
    assert revoked.status_code == 204, revoked.text
    waited = wait_for(lambda: probe(gateway_url, headers) == 401)
    assert waited <= WAIT_S
    if me.status_code == 200:  # a gateway that proves identity to the services: the bound
        waited = wait_for(lambda: httpx.get(f"{gateway_url}/v1/customers/me", headers=headers,
                                            timeout=10).status_code == 401, BOUND_S + 2)


def test_a_disabled_user_is_refused_and_cannot_log_in_or_refresh(admin, gateway_url,
                                                                 auth_public):
    enrolled = enrol(admin)
    key = enrolled["api_key"]
    pair = login(gateway_url, key, enrolled["username"], enrolled["password"])
    headers = bearer(key, pair["access_token"])
    assert probe(gateway_url, headers) == 403
    disabled = admin.post(f"/v1/admin/users/{enrolled['user_id']}/disable")
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    wait_for(lambda: probe(gateway_url, headers) == 401)
    again = httpx.post(f"{gateway_url}/v1/auth/token", headers={"X-Api-Key": key},
                       json={"username": enrolled["username"], "password": enrolled["password"]},
                       timeout=10)
    assert_problem(again, 401)
    assert auth_public.post("/v1/auth/refresh", key,
                            {"refresh_token": pair["refresh_token"]})[0] == 401


def test_admin_operations_are_in_the_audit_trail(admin):
    group = unique("audited")
    assert admin.post("/v1/admin/groups", json={"name": group}).status_code == 201
    assert admin.request("DELETE", f"/v1/admin/groups/{group}").status_code == 204
    admin_id = claims(admin.token)["sub"]
    trail = admin.get("/v1/admin/audit", params={"target": f"group:{group}"}).json()["items"]
    assert [e["type"] for e in trail] == ["admin.group_deleted", "admin.group_created"]
    for event in trail:
        assert event["actor_id"] == admin_id and event["occurred_at"]
        assert event["trace_id"]
    mine = admin.get("/v1/admin/audit", params={"actor_id": admin_id, "limit": 5}).json()
    assert 1 <= len(mine["items"]) <= 5
    assert_problem(admin.get("/v1/admin/audit", params={"limit": 0}), 422)


def test_login_lockout_answers_429_with_retry_after(admin, gateway_url):
    enrolled = enrol(admin)
    wrong = {"username": enrolled["username"], "password": "not-the-password"}
    for _ in range(5):
        response = httpx.post(f"{gateway_url}/v1/auth/token",
                              headers={"X-Api-Key": enrolled["api_key"]}, json=wrong, timeout=10)
        assert_problem(response, 401)
    locked = httpx.post(f"{gateway_url}/v1/auth/token", headers={"X-Api-Key": enrolled["api_key"]},
                        json={"username": enrolled["username"],
                              "password": enrolled["password"]}, timeout=10)
    assert_problem(locked, 429)
    assert 1 <= int(locked.headers["retry-after"]) <= 300
