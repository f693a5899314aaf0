"""Fast password hashing for the auth route tests (scrypt n=2**4 instead of 2**14)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.auth import admin_routes, passwords, routes


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def fast(password: str) -> str:
        return passwords.hash_password(password, n=2**4)

    monkeypatch.setattr(admin_routes, "hash_password", fast)
    monkeypatch.setattr(routes, "_DUMMY_HASH", fast("not-a-real-password"))
    yield
