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
            "permissions": ["orders:read"], "iat": now, "nbf": now, "exp": now + 60,
            "jti": "j1", "typ": "access"}
    base.update(over)
    return base


def _sign(claims: dict, pem: str, kid: str, alg: str = "RS256", **headers: object) -> str:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, **headers})


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


@pytest.mark.parametrize("over", [
    {"aud": "other"}, {"iss": "someone-else"}, {"client_id": None}, {"roles": "admin"},
    {"sub": 7}, {"nbf": int(time.time()) + 300}, {"exp": int(time.time()) - 1},
    {"typ": "refresh"}, {"typ": None}, {"jti": None}, {"nbf": None}, {"iat": None},
    {"exp": None}, {"aud": None}, {"iss": None}, {"permissions": None}, {"roles": None},
    {"permissions": ["a,b"]}, {"sub": "u\n1"}])
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


def test_the_claims_and_header_of_an_access_token(issuer: TokenIssuer) -> None:
    issued = issuer.issue_access(user_id="u1", client_id="c1", roles=["customer"],
                                 permissions=["orders:write", "orders:read"])
    body = jwt.decode(issued.token, options={"verify_signature": False})
    assert set(body) == {"iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "typ",
                         "roles", "permissions"}
    assert body["typ"] == "access" and body["jti"] == issued.jti
    assert body["permissions"] == ["orders:read", "orders:write"]
    assert jwt.get_unverified_header(issued.token) == {"alg": "RS256", "kid": issuer.kid,
                                                       "typ": "JWT"}
    claims = issuer.verify(issued.token)
    assert claims.permissions == ("orders:read", "orders:write") and claims.jti == issued.jti


def test_access_and_refresh_tokens_are_not_interchangeable(issuer: TokenIssuer) -> None:
    refresh = issuer.issue_refresh(user_id="u1", client_id="c1", family="f1")
    access = issuer.issue_access(user_id="u1", client_id="c1", roles=[], permissions=[])
    assert issuer.verify(refresh.token, "refresh").family == "f1"
    with pytest.raises(InvalidToken):
        issuer.verify(refresh.token)               # a refresh token used as access
    with pytest.raises(InvalidToken):
        issuer.verify(access.token, "refresh")     # and the other way round
    body = jwt.decode(refresh.token, options={"verify_signature": False})
    assert "roles" not in body and body["exp"] - body["iat"] == 8 * 3600


@pytest.mark.parametrize("header", [{"jku": "http://127.0.0.1/jwks"}, {"x5u": "http://127.0.0.1/c"},
                                    {"jwk": {"kty": "RSA"}}, {"x5c": ["MII"]}, {"crit": ["exp"]}])
def test_key_location_headers_are_refused(issuer: TokenIssuer, header: dict) -> None:
    token = _sign(_claims(), private_key_pem(), kid=issuer.kid, **header)
    with pytest.raises(InvalidToken):
        issuer.verify(token)


@pytest.mark.parametrize("kid", ["", "../../etc/passwd", "' OR 1=1 --", None])
def test_unknown_kids_are_refused(issuer: TokenIssuer, kid: object) -> None:
    key = serialization.load_pem_private_key(private_key_pem().encode(), password=None)
    headers = {} if kid is None else {"kid": kid}
    with pytest.raises(InvalidToken):
        issuer.verify(jwt.encode(_claims(), key, algorithm="RS256", headers=headers))


def test_a_rotated_ring_verifies_old_tokens_until_the_old_key_retires() -> None:
    from services.auth.tokens import KeyRing, signing_key

    now = [time.time()]
    old_key = signing_key(private_key_pem(), "current")
    issuer = TokenIssuer(KeyRing([old_key]), clock=lambda: now[0])
    old_token = issuer.issue_access(user_id="u", client_id="c", roles=[], permissions=[])
    new_key = signing_key(private_key_pem(1), "current")
    previous = signing_key(private_key_pem(), "previous", retire_at=now[0] + 600)
    issuer.ring = KeyRing([previous, new_key])
    new_token = issuer.issue_access(user_id="u", client_id="c", roles=[], permissions=[])
    assert jwt.get_unverified_header(new_token.token)["kid"] == new_key.kid
    assert [k["kid"] for k in issuer.jwks()["keys"]] == [new_key.kid, old_key.kid]
    with pytest.raises(InvalidToken):  # past retire_at the old key verifies nothing
        now[0] += 601
        issuer.verify(old_token.token)
    assert [k["kid"] for k in issuer.jwks()["keys"]] == [new_key.kid]
    now[0] -= 601
    assert issuer.verify(old_token.token).user_id == "u"
    issuer.ring = KeyRing([new_key])  # retired
    with pytest.raises(InvalidToken):
        issuer.verify(old_token.token)
    assert issuer.verify(new_token.token).user_id == "u"


def test_a_ring_needs_exactly_one_current_key() -> None:
    from services.auth.tokens import KeyRing, signing_key

    with pytest.raises(ValueError):
        KeyRing([signing_key(private_key_pem(), "previous")])
