"""The gateway as auth's consumer: the verify subrequest NGINX makes (read from
compose/nginx/gateway.conf.template) sent to the auth mock, and what NGINX uses of the
answer. Recorded in mocks/pacts/gateway-auth.json."""

from __future__ import annotations

import httpx
import pytest

from mocks.nginx import verify_call

pytestmark = pytest.mark.consumer("gateway")
KEY, TOKEN = "sk_contract_test_key_0001", "eyJ.contract-test.token"
CLIENT = {"client_id": "7b0c6f4e-1d2a-4c3b-8e9f-0a1b2c3d4e5f",
          "user_id": "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11"}


NGINX_SETS = {"x-required-permission": "customers:read", "x-real-ip": "172.20.0.1",
              "x-original-method": "GET", "x-original-uri": "/v1/customers/me"}


def enrolled(auth_mock):
    auth_mock.add("clients", api_key=KEY, username="shop-1", password="pw", **CLIENT)
    auth_mock.add("tokens", access_token=TOKEN, api_key=KEY, roles=["customer"], **CLIENT)


def subrequest(api_key: str | None, authorization: str | None) -> httpx.Request:
    """The request NGINX sends: its method, path and set headers; the client's headers."""
    call = verify_call()
    client = {"X-Api-Key": api_key, "Authorization": authorization}
    headers = {name: value for name, value in client.items()
               if value is not None and name in call.client_headers}
    # what NGINX sets, with realistic values: the permission of a customer's route, a peer
    headers.update({name: NGINX_SETS.get(name.lower(), "from-nginx") for name in call.set_headers})
    return httpx.Request(call.method, f"http://auth:8000{call.path}", headers=headers)


def test_a_verified_request_gets_every_identity_header_the_gateway_copies(auth_mock):
    enrolled(auth_mock)
    with httpx.Client() as client:
        r = client.send(subrequest(KEY, f"Bearer {TOKEN}"))
    assert r.status_code in verify_call().statuses and r.status_code == 200
    for name in verify_call().identity_headers:
        assert r.headers.get(name), f"auth's 200 lacks {name}, which the gateway copies"
    assert r.headers["X-User-Id"] == CLIENT["user_id"]
    assert r.headers["X-User-Roles"] == "customer"


@pytest.mark.parametrize("api_key,authorization", [
    (KEY, None), (None, f"Bearer {TOKEN}"), (KEY, "Bearer not-issued"),
    ("sk_another_client_key_0002", f"Bearer {TOKEN}")])
def test_an_unverified_request_is_a_401_the_gateway_passes_on(auth_mock, api_key, authorization):
    enrolled(auth_mock)
    with httpx.Client() as client:
        r = client.send(subrequest(api_key, authorization))
    assert r.status_code == 401 and r.status_code in verify_call().statuses
    assert r.headers["content-type"] == "application/problem+json"
    assert not any(r.headers.get(n) for n in verify_call().identity_headers)


def test_the_auth_contract_documents_what_the_gateway_relies_on(auth_mock):
    call = verify_call()
    op = auth_mock.contract.operation(f"{call.method} {call.path}")
    declared = {h.lower() for h in (op.response(200) or {}).get("headers", {})}
    assert {h.lower() for h in call.identity_headers} <= declared
    assert op.response(401) is not None
    sent = {p.name.lower() for p in op.params("header")}
    assert {h.lower() for h in call.client_headers} <= sent
