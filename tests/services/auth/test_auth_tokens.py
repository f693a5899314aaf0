"""RS256 tokens: round trip, JWKS, and every way a token must be refused."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import jwt
import pytest
from auth_fakes import private_key_pem
from cryptography.hazmat.primitives import serialization

from services.auth.tokens import AUDIENCE, ISSUER, InvalidToken, TokenIssuer


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer(private_key_pem())


def _claims(**over: object) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "client_id": "c1", "roles": ["admin"],
            "iat": now, "exp": now + 60}
    base.update(over)
    return base


def _sign(claims: dict, pem: str, kid: str, alg: str = "RS256") -> str:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def test_issued_token_verifies_with_its_claims(issuer: TokenIssuer) -> None:
    token, ttl = issuer.issue(user_id="u1", client_id="c1", roles=["customer", "admin"])
    claims = issuer.verify(token)
    assert (claims.user_id, claims.client_id, claims.roles) == ("u1", "c1", ("admin", "customer"))
    assert ttl == 15 * 60
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == issuer.kid
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["iss"] == "sandbox-auth" and body["aud"] == "sandbox"
    assert body["exp"] - body["iat"] == 900


def test_jwks_publishes_the_signing_key(issuer: TokenIssuer) -> None:
    token, _ = issuer.issue(user_id="u1", client_id="c1", roles=[])
    (jwk,) = issuer.jwks()["keys"]
    assert jwk["kid"] == issuer.kid and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    public = jwt.PyJWK(jwk).key
    decoded = jwt.decode(token, public, algorithms=["RS256"], audience="sandbox")
    assert decoded["sub"] == "u1"


def test_kid_is_the_rfc7638_thumbprint(issuer: TokenIssuer) -> None:
    (jwk,) = issuer.jwks()["keys"]
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=")
    assert issuer.kid == expected.decode()
    assert TokenIssuer(private_key_pem(1)).kid != issuer.kid


def test_expired_token_is_rejected() -> None:
    old = TokenIssuer(private_key_pem(), clock=lambda: time.time() - 3600)
    token, _ = old.issue(user_id="u1", client_id="c1", roles=[])
    with pytest.raises(InvalidToken):
        TokenIssuer(private_key_pem()).verify(token)


def test_token_signed_by_another_key_is_rejected(issuer: TokenIssuer) -> None:
    forged = _sign(_claims(), private_key_pem(1), kid=issuer.kid)
    with pytest.raises(InvalidToken):
        issuer.verify(forged)


@pytest.mark.parametrize("over", [{"aud": "other"}, {"iss": "someone-else"}, {"client_id": None},
                                  {"roles": "admin"}, {"sub": 7}])
def test_wrong_audience_issuer_or_claims_are_rejected(issuer: TokenIssuer, over: dict) -> None:
    claims = {k: v for k, v in _claims(**over).items() if v is not None}
    with pytest.raises(InvalidToken):
        issuer.verify(_sign(claims, private_key_pem(), kid=issuer.kid))


def test_alg_none_and_hs256_confusion_are_rejected(issuer: TokenIssuer) -> None:
    none_token = jwt.encode(_claims(), None, algorithm="none", headers={"kid": issuer.kid})
    public_pem = issuer.jwks()  # an attacker knows the public key
    assert public_pem
    hs_header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "kid": issuer.kid, "typ": "JWT"}).encode()).rstrip(b"=")
    hs_token = hs_header.decode() + "." + none_token.split(".")[1] + ".c2ln"
    for token in (none_token, hs_token, "not-a-jwt", "", "a.b.c"):
        with pytest.raises(InvalidToken):
            issuer.verify(token)
