"""The gateway's authentication and identity rules, probed from the host."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = [pytest.mark.docker, pytest.mark.security]


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


def test_a_request_without_api_key_is_401_problem_json(gateway_url):
    with httpx.Client(base_url=gateway_url, timeout=10) as http:
        assert_problem(http.get(f"/v1/orders/{uuid.uuid4()}"), 401)
        assert_problem(http.post("/v1/orders", json={"items": []}), 401)


def test_a_valid_api_key_without_a_jwt_is_401(gateway_url, enrolled_client):
    headers = {"X-Api-Key": enrolled_client.credentials.api_key}
    response = httpx.get(f"{gateway_url}/v1/customers/me", headers=headers, timeout=10)
    assert_problem(response, 401)


def test_a_malformed_jwt_is_401(gateway_url, enrolled_client):
    headers = {
        "X-Api-Key": enrolled_client.credentials.api_key,
        "Authorization": "Bearer not.a.jwt",
    }
    response = httpx.get(f"{gateway_url}/v1/customers/me", headers=headers, timeout=10)
    assert_problem(response, 401)


def test_a_jwt_signed_with_another_key_is_401(gateway_url, enrolled_client):
    """Same claims and kid as a real token, but signed by a key the attacker made."""
    real = jwt.decode(enrolled_client.token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(enrolled_client.token).get("kid")
    attacker_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {**real, "exp": int(time.time()) + 600},
        attacker_key,
        algorithm="RS256",
        headers={"kid": kid},
    )
    headers = {
        "X-Api-Key": enrolled_client.credentials.api_key,
        "Authorization": f"Bearer {forged}",
    }
    response = httpx.get(f"{gateway_url}/v1/customers/me", headers=headers, timeout=10)
    assert_problem(response, 401)


def test_a_jwt_used_with_another_clients_api_key_is_401(gateway_url, client_factory):
    alice, bob = client_factory(), client_factory()
    headers = {"X-Api-Key": bob.credentials.api_key, "Authorization": f"Bearer {alice.token}"}
    response = httpx.get(f"{gateway_url}/v1/customers/me", headers=headers, timeout=10)
    assert_problem(response, 401)


def test_a_forged_x_user_id_is_replaced_by_the_tokens_user(client_factory, product_factory):
    alice, bob = client_factory(), client_factory()
    forged = {"X-User-Id": bob.credentials.user_id, "X-User-Roles": "admin"}

    me = alice.get("/v1/customers/me", headers=forged)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == alice.credentials.user_id

    product = product_factory(stock=5, price_cents=100)
    placed = alice.post(
        "/v1/orders", headers=forged, json={"items": [{"sku": product["sku"], "quantity": 1}]}
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["customer_id"] == alice.credentials.user_id
    assert bob.get(f"/v1/orders/{order['id']}").status_code == 404
    assert alice.get(f"/v1/orders/{order['id']}").status_code == 200


def test_a_forged_admin_role_does_not_grant_admin_routes(enrolled_client):
    response = enrolled_client.post(
        "/v1/products",
        headers={"X-User-Roles": "admin"},
        json={"sku": f"X-{uuid.uuid4().hex[:10]}", "name": "x", "price_cents": 1, "stock": 1},
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    "path", ["/internal/verify", "/internal/products/anything", "/internal/alerts"]
)
def test_internal_routes_are_forbidden_from_the_host(gateway_url, enrolled_client, path):
    assert httpx.get(f"{gateway_url}{path}", timeout=10).status_code == 403
    assert enrolled_client.get(path).status_code == 403
