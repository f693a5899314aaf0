"""RS256 access tokens: issue, verify, and publish the key as a JWKS.

The `kid` is the RFC 7638 thumbprint of the public key, so it changes with the key.

>>> from cryptography.hazmat.primitives.asymmetric import rsa            # doctest: +SKIP
>>> issuer = TokenIssuer(pem)                                            # doctest: +SKIP
>>> token, ttl = issuer.issue(user_id="u1", client_id="c1", roles=["admin"])  # doctest: +SKIP
>>> issuer.verify(token).roles                                           # doctest: +SKIP
('admin',)
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

ISSUER = "sandbox-auth"
AUDIENCE = "sandbox"
ACCESS_TOKEN_TTL_S = 15 * 60
_REQUIRED = ["exp", "iat", "sub", "iss", "aud", "client_id"]


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or not meant for this audience."""


@dataclass(frozen=True)
class Claims:
    """The verified claims the gateway passes on as identity headers."""

    user_id: str
    client_id: str
    roles: tuple[str, ...]
    expires_at: int


def _b64uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk_thumbprint(public_key: RSAPublicKey) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA public key, base64url without padding."""
    numbers = public_key.public_numbers()
    canonical = json.dumps({"e": _b64uint(numbers.e), "kty": "RSA", "n": _b64uint(numbers.n)},
                           separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class TokenIssuer:
    """Signs and verifies RS256 access tokens with one RSA key held in memory."""

    def __init__(
        self,
        private_key_pem: str,
        *,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        ttl_s: int = ACCESS_TOKEN_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("auth/jwt_private_key must be an RSA private key")  # noqa: TRY004
        self._private = key
        self._public: RSAPublicKey = key.public_key()
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self.ttl_s = ttl_s
        self.kid = jwk_thumbprint(self._public)

    def issue(self, *, user_id: str, client_id: str, roles: Iterable[str]) -> tuple[str, int]:
        """A signed token for the user and client; returns (token, seconds until expiry)."""
        now = int(self._clock())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "client_id": client_id,
            "roles": sorted(set(roles)),
            "iat": now,
            "exp": now + self.ttl_s,
        }
        token = jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})
        return token, self.ttl_s

    def verify(self, token: str) -> Claims:
        """Verified claims of `token`; raises InvalidToken for anything not issued by us."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self.kid or header.get("alg") != "RS256":
                raise InvalidToken("unknown key or algorithm")
            doc: dict[str, Any] = jwt.decode(
                token, self._public, algorithms=["RS256"], audience=self._audience,
                issuer=self._issuer, options={"require": _REQUIRED},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        roles = doc.get("roles", [])
        sub, client_id = doc["sub"], doc["client_id"]
        if not (isinstance(sub, str) and isinstance(client_id, str) and isinstance(roles, list)
                and all(isinstance(r, str) and "," not in r for r in roles)):
            raise InvalidToken("malformed claims")
        return Claims(user_id=sub, client_id=client_id, roles=tuple(roles),
                      expires_at=int(doc["exp"]))

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public key as a JSON Web Key Set."""
        numbers = self._public.public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "n": _b64uint(numbers.n), "e": _b64uint(numbers.e)}]}
