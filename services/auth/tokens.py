"""RS256 tokens: access and refresh JWTs signed by a ring of rotating keys, and the JWKS.

Every token carries `iss`, `aud`, `sub`, `client_id`, `iat`, `nbf`, `exp`, `jti` and `typ`
("access" or "refresh"); an access token also carries `roles` and `permissions`, a refresh
token its rotation `family`. The header names the signing key (`kid`, the RFC 7638
thumbprint of its public key) and nothing else: a token whose header points elsewhere for
its key (`jku`, `x5u`, `jwk`, `x5c`, `x5t`, `crit`) or uses any algorithm but RS256 is refused.

The ring holds the current key (signs), previous keys (still verify, and stay in the JWKS,
until every token they signed has expired) and nothing retired.

>>> issuer = TokenIssuer(pem)                                            # doctest: +SKIP
>>> token = issuer.issue_access(user_id="u1", client_id="c1", roles=["admin"], permissions=[])  # doctest: +SKIP
>>> issuer.verify(token.token).roles                                     # doctest: +SKIP
('admin',)
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

ISSUER = "sandbox-auth"
AUDIENCE = "sandbox"
ACCESS_TOKEN_TTL_S = 15 * 60
REFRESH_TOKEN_TTL_S = 8 * 60 * 60
KEY_OVERLAP_S = REFRESH_TOKEN_TTL_S
"""A rotated-out signing key keeps verifying (and stays in the JWKS) this long."""
TokenType = Literal["access", "refresh"]
_REQUIRED = ["exp", "iat", "nbf", "sub", "iss", "aud", "jti", "typ", "client_id"]
_FOREIGN_KEY_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "crit"})
_MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """The token is malformed, forged, expired, of the wrong type, or not meant for us."""


@dataclass(frozen=True)
class Claims:
    """The verified claims of a token."""

    user_id: str
    client_id: str
    roles: tuple[str, ...]
    expires_at: int
    jti: str = ""
    typ: str = "access"
    permissions: tuple[str, ...] = ()
    family: str = ""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed token and what the store needs to know about it."""

    token: str
    jti: str
    expires_at: int
    expires_in: int


@dataclass(frozen=True)
class SigningKey:
    """One RSA key of the ring; `retire_at` (unix time) for a previous key, else None."""

    kid: str
    private: RSAPrivateKey
    status: Literal["current", "previous", "retired"]
    retire_at: float | None = None

    @property
    def public(self) -> RSAPublicKey:
        return self.private.public_key()


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


def load_private_key(pem: str) -> RSAPrivateKey:
    """The RSA private key of a PEM text (ValueError for anything else)."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("a signing key must be an RSA private key")  # noqa: TRY004
    return key


def private_key_pem(key: RSAPrivateKey) -> str:
    """PKCS#8 PEM of `key` (what the signing_keys table keeps)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def new_private_key() -> RSAPrivateKey:
    """A fresh RSA 2048 signing key (CPU-bound: call it in a thread)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signing_key(pem: str, status: str = "current", retire_at: float | None = None) -> SigningKey:
    """A ring entry from stored PEM; its kid is the thumbprint of its public key."""
    private = load_private_key(pem)
    return SigningKey(kid=jwk_thumbprint(private.public_key()), private=private,
                      status=status, retire_at=retire_at)  # type: ignore[arg-type]


class KeyRing:
    """The signing keys one process knows: exactly one current, any number of previous."""

    def __init__(self, keys: Iterable[SigningKey]) -> None:
        self._keys = {k.kid: k for k in keys if k.status != "retired"}
        current = [k for k in self._keys.values() if k.status == "current"]
        if len(current) != 1:
            raise ValueError(f"a key ring needs exactly one current key, got {len(current)}")
        self.current = current[0]

    def verifying_key(self, kid: object, now: float) -> RSAPublicKey | None:
        """The public key for `kid` when it is ours and not past its retirement."""
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None or (key.retire_at is not None and key.retire_at <= now):
            return None
        return key.public

    def published(self, now: float) -> list[SigningKey]:
        """The keys the JWKS serves: the current one first, then unexpired previous ones."""
        rest = [k for k in self._keys.values() if k is not self.current
                and (k.retire_at is None or k.retire_at > now)]
        return [self.current, *rest]


class TokenIssuer:
    """Signs with the ring's current key and verifies against every live key of the ring."""

    def __init__(
        self,
        keys: str | KeyRing,
        *,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        ttl_s: int = ACCESS_TOKEN_TTL_S,
        refresh_ttl_s: int = REFRESH_TOKEN_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ring = keys if isinstance(keys, KeyRing) else KeyRing([signing_key(keys)])
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self.ttl_s = ttl_s
        self.refresh_ttl_s = refresh_ttl_s

    @property
    def kid(self) -> str:
        """The kid of the current signing key."""
        return self.ring.current.kid

    def _sign(self, typ: TokenType, user_id: str, client_id: str, ttl: int,
              extra: dict[str, Any]) -> IssuedToken:
        now = int(self._clock())
        jti = str(uuid.uuid4())
        claims = {"iss": self._issuer, "aud": self._audience, "sub": user_id,
                  "client_id": client_id, "iat": now, "nbf": now, "exp": now + ttl,
                  "jti": jti, "typ": typ, **extra}
        key = self.ring.current
        token = jwt.encode(claims, key.private, algorithm="RS256",
                           headers={"kid": key.kid, "typ": "JWT"})
        return IssuedToken(token=token, jti=jti, expires_at=now + ttl, expires_in=ttl)

    def issue_access(self, *, user_id: str, client_id: str, roles: Iterable[str],
                     permissions: Iterable[str]) -> IssuedToken:
        """An access token carrying the user's roles and permissions."""
        return self._sign("access", user_id, client_id, self.ttl_s,
                          {"roles": sorted(set(roles)), "permissions": sorted(set(permissions))})

    def issue_refresh(self, *, user_id: str, client_id: str, family: str) -> IssuedToken:
        """A refresh token of rotation family `family` (single use, stored hashed)."""
        return self._sign("refresh", user_id, client_id, self.refresh_ttl_s, {"family": family})

    def issue(self, *, user_id: str, client_id: str, roles: Iterable[str],
              permissions: Iterable[str] = ()) -> tuple[str, int]:
        """An access token and its lifetime in seconds."""
        issued = self.issue_access(user_id=user_id, client_id=client_id, roles=roles,
                                   permissions=permissions)
        return issued.token, issued.expires_in

    def verify(self, token: str, typ: TokenType = "access") -> Claims:
        """Verified claims of `token`; raises InvalidToken for anything not issued by us as `typ`."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed token")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise InvalidToken("only RS256 is accepted")
            if _FOREIGN_KEY_HEADERS & set(header):
                raise InvalidToken("key location headers are refused")
            public = self.ring.verifying_key(header.get("kid"), self._clock())
            if public is None:
                raise InvalidToken("unknown or retired signing key")
            doc: dict[str, Any] = jwt.decode(
                token, public, algorithms=["RS256"], audience=self._audience,
                issuer=self._issuer, options={"require": _REQUIRED, "verify_nbf": True},
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidToken("malformed token") from exc
        if doc.get("typ") != typ:
            raise InvalidToken(f"not an {typ} token")
        return _claims(doc, typ)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The current and still-valid previous public keys as a JSON Web Key Set."""
        out = []
        for key in self.ring.published(self._clock()):
            numbers = key.public.public_numbers()
            out.append({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": key.kid,
                        "n": _b64uint(numbers.n), "e": _b64uint(numbers.e)})
        return {"keys": out}


def _names(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and "," not in v
                                              and v.isprintable() for v in value):
        return None
    return tuple(value)


def _claims(doc: dict[str, Any], typ: TokenType) -> Claims:
    sub, client_id, jti = doc["sub"], doc["client_id"], doc["jti"]
    roles = _names(doc.get("roles", [])) if typ == "access" else ()
    permissions = _names(doc.get("permissions", [])) if typ == "access" else ()
    family = doc.get("family", "") if typ == "refresh" else ""
    if typ == "access" and ("roles" not in doc or "permissions" not in doc):
        raise InvalidToken("missing claims")
    if not (isinstance(sub, str) and sub and isinstance(client_id, str) and client_id
            and isinstance(jti, str) and jti and roles is not None and permissions is not None
            and isinstance(family, str) and (typ == "access" or family)
            and isinstance(doc["exp"], int)):
        raise InvalidToken("malformed claims")
    for text in (sub, client_id, jti, family):
        if len(text) > 200 or not text.isprintable() or "\n" in text or "," in text:
            raise InvalidToken("malformed claims")
    return Claims(user_id=sub, client_id=client_id, roles=roles, expires_at=int(doc["exp"]),
                  jti=jti, typ=typ, permissions=permissions, family=family)
