"""The gateway's route table (compose/nginx/routes.yaml) and its identity rules, from the host.

What each case must get:

| case | answer |
| --- | --- |
| a /v1/ path no table entry matches, even with valid credentials | 404 problem, before auth |
| a method the route's entry does not list | 405 problem, Allow: the entry's methods |
| a customer's token on an admin route (`users:read`, `audit:read`, ...) | 403 problem naming the permission (*) |
| forged X-User-Id / -Client-Id / -Roles / -Permissions / X-Identity-Proof | replaced by auth's; grant nothing |
| the same headers without a token | 401 problem |
| X-Forwarded-For / X-Real-IP / Forwarded naming a private address on /internal/ | 403 problem |
| /internal/ spelled encoded: %69 (403); //, /v1/../, %2e%2e, %2F, %5C (not normal form: 404) | a problem, never the route |

(*) auth answers the 403 once it honours X-Required-Permission (the auth branch of issue 8).
"""

from __future__ import annotations

import ipaddress
import uuid

import httpx
import pytest

from fixtures.raw_http import request, send

pytestmark = [pytest.mark.docker, pytest.mark.security]
PROBLEM = "application/problem+json"
IDENTITY = {"X-User-Id": str(uuid.uuid4()), "X-Client-Id": str(uuid.uuid4()),
            "X-User-Roles": "admin", "X-User-Permissions": "products:write,users:read",
            "X-Identity-Proof": "v1.4102444800.forged"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/orders/1/lines", "/v1/customers/other",
                                  "/v1/auth/other", "/v1/admin/nothing", "/v1/"])
def test_a_v1_route_in_no_table_entry_is_404_problem(enrolled_client, path):
    assert_problem(enrolled_client.get(path), 404)


def test_an_unknown_route_is_404_before_any_credential_is_looked_at(gateway_url):
    assert_problem(httpx.get(f"{gateway_url}/v1/nothing", timeout=10), 404)


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/v1/orders/0b3e9a52-6c1d-4f57-9a0e-2d4c8b7f1e60", "GET"),
    ("DELETE", "/v1/products", "GET, POST"),
    ("GET", "/v1/orders", "POST"), ("GET", "/v1/auth/token", "POST"), ("POST", "/healthz", "GET"),
])
def test_a_method_the_entry_lacks_is_405_with_its_allow(enrolled_client, method, path, allow):
    response = enrolled_client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(("method", "path", "permission"), [
    ("GET", "/v1/admin/users", "users:read"), ("GET", "/v1/admin/audit", "audit:read"),
    ("GET", "/v1/admin/clients/0b3e9a52-6c1d-4f57-9a0e-2d4c8b7f1e60", "clients:read"),
    ("POST", "/v1/products", "products:write"),
])
def test_a_customer_lacks_the_routes_permission_403_at_the_gateway(enrolled_client, method,
                                                                   path, permission):
    """Passes once auth answers 403 to a token without X-Required-Permission (auth branch)."""
    body = assert_problem(enrolled_client.request(method, path, json={}), 403)
    assert permission in body["detail"], body


def test_the_admin_has_what_the_shop_routes_need(admin_client, product_factory):
    product = product_factory()
    assert admin_client.get(f"/v1/products/{product['sku']}").status_code == 200


def test_forged_identity_headers_are_replaced_and_grant_nothing(enrolled_client):
    me = enrolled_client.get("/v1/customers/me", headers=IDENTITY)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == enrolled_client.credentials.user_id
    created = enrolled_client.post("/v1/products", headers=IDENTITY, json={
        "sku": f"X-{uuid.uuid4().hex[:10]}", "name": "x", "price_cents": 1, "stock": 1})
    assert_problem(created, 403)


def test_forged_identity_without_a_token_is_401(gateway_url, enrolled_client):
    headers = {**IDENTITY, "X-Api-Key": enrolled_client.credentials.api_key}
    for path in ("/v1/customers/me", f"/v1/orders/{uuid.uuid4()}", "/v1/admin/users"):
        assert_problem(httpx.get(f"{gateway_url}{path}", headers=headers, timeout=10), 401)


@pytest.mark.parametrize("spoof", ["X-Forwarded-For: {ip}", "X-Forwarded-For: 127.0.0.1, {ip}",
                                   "X-Real-IP: {ip}", "Forwarded: for={ip}", "X-Client-IP: {ip}"])
def test_a_spoofed_address_does_not_open_internal_routes(sandbox, gateway_url, spoof):
    subnet = ipaddress.ip_network(sandbox.state.networks["private"]["subnet"])
    name, _, value = spoof.format(ip=subnet.network_address + 5).partition(": ")
    for path in ("/internal/verify", "/internal/products/x", "/internal/alerts"):
        response = httpx.get(f"{gateway_url}{path}", headers={name: value}, timeout=10)
        assert_problem(response, 403)


@pytest.mark.parametrize(("target", "statuses"), [
    ("/internal/alerts", {403}), ("/%69nternal/alerts", {403}), ("/%69%6etern%61l/verify", {403}),
    ("//internal/alerts", {404}), ("/v1/../internal/alerts", {404}),
    ("/v1/%2e%2e/internal/alerts", {404}), ("/v1/webhooks/..%2F..%2Finternal/alerts", {404}),
    ("/internal%2Falerts", {404}), ("/v1/products/x%5C..%5C..%5Cinternal", {404}),
    ("/internal/alerts/../../v1/webhooks/deliveries", {404}), ("/./internal/alerts", {404}),
    ("/INTERNAL/alerts", {404}),
])
def test_encoded_internal_paths_reach_no_internal_route(gateway_url, enrolled_client, target,
                                                        statuses):
    credentials = (f"X-Api-Key: {enrolled_client.credentials.api_key}",
                   f"Authorization: Bearer {enrolled_client.token}")
    for method in ("GET", "POST"):
        answer = send(gateway_url, request(method, target, "Host: gateway", *credentials,
                                           "Content-Length: 0"))
        assert answer.status in statuses, (method, target, answer.status, answer.body)
        assert answer.headers["content-type"] == PROBLEM
