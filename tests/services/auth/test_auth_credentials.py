"""Password hashing (scrypt) and API-key hashing: nothing secret is stored."""

from __future__ import annotations

import hashlib

from services.auth.api_keys import (
    PREFIX_LENGTH,
    hash_api_key,
    new_api_key,
    plausible_key,
    stored_key,
)
from services.auth.passwords import hash_password, verify_password


def test_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse", n=2**4)
    assert stored.startswith("scrypt$16$8$1$") and "correct" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)


def test_same_password_hashes_differently() -> None:
    assert hash_password("pw", n=2**4) != hash_password("pw", n=2**4)


def test_malformed_hash_never_verifies() -> None:
    for stored in ("", "plain", "bcrypt$1$2$3$x$y", "scrypt$x$8$1$AA$AA", "scrypt$16$8$1$!!$AA"):
        assert not verify_password("pw", stored)


def test_api_key_is_stored_as_sha256_and_prefix() -> None:
    key = new_api_key()
    assert len(key) == 64 and new_api_key() != key
    row = stored_key(key)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() == hash_api_key(key)
    assert row.prefix == key[:PREFIX_LENGTH] and key not in (row.key_hash, row.prefix)


def test_plausible_key_filters_garbage_before_lookup() -> None:
    assert plausible_key("abc123")
    for key in (None, "", "x" * 300, "clé", "a\tb"):
        assert not plausible_key(key)
