"""API keys of enrolled clients: only a SHA-256 hash and a short display prefix are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 8
MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class StoredKey:
    """What the database keeps of an API key: never the key itself."""

    prefix: str
    key_hash: str


def new_api_key() -> str:
    """A fresh key: 32 random bytes as hex, the same shape as the admin key secret."""
    return secrets.token_hex(32)


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest used to look a key up.

    >>> hash_api_key("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(key.encode()).hexdigest()


def stored_key(key: str) -> StoredKey:
    """The row values for `key`: its prefix (to recognise it in listings) and its hash."""
    return StoredKey(prefix=key[:PREFIX_LENGTH], key_hash=hash_api_key(key))


def plausible_key(key: str | None) -> bool:
    """Cheap shape check before any lookup: present, printable ASCII, not absurdly long."""
    return bool(key) and len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()  # type: ignore[union-attr]
