"""The JWT attack checklist, through the gateway, with a real enrolled API key.

Every forged token goes to `GET /v1/customers/me` with the client's own key and must get
401 problem+json (never a 500, never a 200). The forgeries are made with the run's own
signing key (a run secret), so that each one differs from a valid token in exactly the
way its case names: the control case, the same claims signed the same way, gets 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.auth.tokens import jwk_thumbprint

pytestmark = [pytest.mark.docker, pytest.mark.security]

ROUTE = "/v1/customers/me"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


class Forger:
    """Tokens signed with the run's first signing key (auth/jwt_private_key)."""

    def __init__(self, sandbox: Any, token: str) -> None:
        self.private = serialization.load_pem_private_key(
            sandbox.secret("auth/jwt_private_key").encode(), password=None)
        self.public = self.private.public_key()
        self.kid = jwk_thumbprint(self.public)
        self.claims = jwt.decode(token, options={"verify_signature": False})

    def sign(self, claims: dict[str, Any] | None = None, **headers: Any) -> str:
        return jwt.encode(claims if claims is not None else dict(self.claims), self.private,
                          algorithm="RS256", headers={"kid": self.kid, **headers})

    def with_claims(self, **changes: Any) -> str:
        claims = {**self.claims, **changes}
        return self.sign({k: v for k, v in claims.items() if v is not ...})


@pytest.fixture
def attack(sandbox, enrolled_client):
    client = enrolled_client
    forger = Forger(sandbox, client.token)

    def send(token: str) -> httpx.Response:
        return httpx.get(f"{sandbox.url('gateway')}{ROUTE}", timeout=10,
                         headers={"X-Api-Key": client.credentials.api_key,
                                  "Authorization": f"Bearer {token}"})

    return forger, send


def refused(response: httpx.Response) -> None:
    assert response.status_code == 401, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")


def test_control_the_same_claims_signed_the_same_way_are_accepted(attack):
    forger, send = attack
    assert send(forger.sign()).status_code == 200


def test_alg_none_is_refused(attack):
    forger, send = attack
    for alg in ("none", "None", "NONE"):
        refused(send(unsigned({"alg": alg, "typ": "JWT", "kid": forger.kid}, forger.claims) + "."))


def test_rs_hs_key_confusion_is_refused(attack):
    """HS256 with the public key (as served by JWKS) as the HMAC secret."""
    forger, send = attack
    pem = forger.public.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, pem.strip(), forger.kid.encode()):
        head = unsigned({"alg": "HS256", "typ": "JWT", "kid": forger.kid}, forger.claims)
        mac = hmac.new(secret, head.encode(), hashlib.sha256).digest()
        refused(send(f"{head}.{b64(mac)}"))


@pytest.mark.parametrize("kid", ["../../../../dev/null", "' OR '1'='1", "x" * 2000, "", None])
def test_kid_injection_is_refused(attack, kid):
    forger, send = attack
    headers = {} if kid is None else {"kid": kid}
    token = jwt.encode(dict(forger.claims), forger.private, algorithm="RS256", headers=headers)
    refused(send(token))


def attacker_jwk() -> tuple[Any, dict[str, str]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, jwk


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
def test_key_location_headers_are_refused(sandbox, attack, header):
    forger, send = attack
    key, jwk = attacker_jwk()
    value: Any = {"jwk": jwk, "jku": f"{sandbox.url('gateway')}/.well-known/jwks.json",
                  "x5u": f"{sandbox.url('gateway')}/cert.pem", "x5c": ["MIIB"]}[header]
    # signed by the attacker's key, naming where to find it
    token = jwt.encode(dict(forger.claims), key, algorithm="RS256",
                       headers={"kid": jwk_thumbprint(key.public_key()), header: value})
    refused(send(token))
    # even signed by the real key, a token that names a key location is not ours
    refused(send(forger.sign(**{header: value})))


@pytest.mark.parametrize("case", ["expired", "not yet valid", "wrong issuer", "wrong audience",
                                  "audience list without ours", "typ refresh", "typ missing"])
def test_each_claim_is_checked(attack, case):
    forger, send = attack
    now = int(time.time())
    changes = {"expired": {"exp": now - 60, "iat": now - 1000, "nbf": now - 1000},
               "not yet valid": {"nbf": now + 600},
               "wrong issuer": {"iss": "someone-else"},
               "wrong audience": {"aud": "another-system"},
               "audience list without ours": {"aud": ["another-system"]},
               "typ refresh": {"typ": "refresh"},
               "typ missing": {"typ": ...}}[case]
    refused(send(forger.with_claims(**changes)))


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "sub", "iss", "aud", "jti", "client_id"])
def test_a_token_without_a_required_claim_is_refused(attack, claim):
    forger, send = attack
    refused(send(forger.with_claims(**{claim: ...})))


def test_a_token_for_another_client_is_refused_with_this_key(attack, client_factory):
    forger, send = attack
    other = client_factory()
    refused(send(forger.with_claims(client_id=other.credentials.client_id)))


def test_a_refresh_token_is_no_access_token(sandbox, enrolled_client, attack):
    _, send = attack
    creds = enrolled_client.credentials
    answer = httpx.post(f"{sandbox.url('gateway')}/v1/auth/token", timeout=10,
                        headers={"X-Api-Key": creds.api_key},
                        json={"username": creds.username, "password": creds.password})
    assert answer.status_code == 200, answer.text
    refused(send(answer.json()["refresh_token"]))


@pytest.mark.parametrize("garbage", ["a.b", "a.b.c.d", "....", "%00", "Bearer"])
def test_garbage_is_refused_never_a_500(attack, garbage):
    _, send = attack
    refused(send(garbage))
