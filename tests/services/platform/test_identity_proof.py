"""The gateway's identity proof: sign, verify, and how services treat forged headers."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.platform import identity as ident
from services.platform.identity import (
    GatewayIdentity,
    IdentityDep,
    identity_from_headers,
    identity_key,
    proof_expiry,
    proven_headers,
    sign_proof,
    verify_proof,
)
from services.platform.problem import ProblemError, install_fastapi_handlers

KEY = "the-identity-key"


def test_the_proof_format_is_that_of_the_contract() -> None:
    import base64
    import hashlib
    import hmac

    proof = sign_proof(KEY, "u1", "c1", "admin,customer", "orders:read", expires_at=1_900_000_000)
    mac = hmac.new(KEY.encode(), b"v1\n1900000000\nu1\nc1\nadmin,customer\norders:read",
                   hashlib.sha256).digest()
    assert proof == "v1.1900000000." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_proof_expiry_is_at_most_sixty_seconds_and_never_past_the_token() -> None:
    assert proof_expiry(2_000_000_000, now=1_000) == 1_060
    assert proof_expiry(1_010, now=1_000) == 1_010


@pytest.mark.parametrize("change", [
    {"user_id": "u2"}, {"client_id": "c2"}, {"roles": "admin"}, {"permissions": "orders:write"},
    {"roles": "customer,admin"}])
def test_a_tampered_header_breaks_the_proof(change: dict) -> None:
    values = {"user_id": "u1", "client_id": "c1", "roles": "customer",
              "permissions": "orders:read"}
    proof = sign_proof(KEY, *values.values(), expires_at=int(time.time()) + 30)
    assert verify_proof(KEY, proof, *values.values())
    assert not verify_proof(KEY, proof, *{**values, **change}.values())


@pytest.mark.parametrize("proof", [
    None, "", "v1", "v1..", "v2.9999999999.abc", "v1.abc.def", "v1.-5.def", "v1.1e9.x",
    "v1.99999999999999999999.x", "v1.9999999999." + "A" * 43, "x" * 500, "v1.9999999999.\u00e9"])
def test_a_forged_or_malformed_proof_never_verifies(proof: str | None) -> None:
    assert not verify_proof(KEY, proof, "u1", "c1", "", "")


def test_a_proof_by_another_key_or_expired_is_refused() -> None:
    now = time.time()
    forged = sign_proof("another-key", "u1", "c1", "", "", expires_at=int(now) + 30)
    assert not verify_proof(KEY, forged, "u1", "c1", "", "")
    expired = sign_proof(KEY, "u1", "c1", "", "", expires_at=int(now) - 1)
    assert not verify_proof(KEY, expired, "u1", "c1", "", "")
    # a changed expiry is a tampered proof
    good = sign_proof(KEY, "u1", "c1", "", "", expires_at=int(now) + 30)
    _, exp, mac = good.split(".")
    assert not verify_proof(KEY, f"v1.{int(exp) + 1000}.{mac}", "u1", "c1", "", "")


def test_identity_from_headers_checks_the_proof_once_a_key_is_installed() -> None:
    headers = proven_headers(KEY, "u1", "c1", "customer", "orders:read,orders:write")
    with identity_key(KEY):
        who = identity_from_headers(headers)
        assert who.permissions == frozenset({"orders:read", "orders:write"})
        assert who.roles == frozenset({"customer"})
        for bad in [{**headers, "X-Identity-Proof": ""},
                    {k: v for k, v in headers.items() if k != "X-Identity-Proof"},
                    {**headers, "X-User-Roles": "admin"},
                    {**headers, "X-User-Permissions": "users:write"},
                    {**headers, "X-User-Id": "someone-else"},
                    proven_headers("wrong", "u1", "c1", "customer", "orders:read"),
                    proven_headers(KEY, "u1", expires_at=int(time.time()) - 5)]:
            with pytest.raises(ProblemError) as err:
                identity_from_headers(bad)
            assert err.value.status == 401
    assert not ident.identity_key_installed()


def test_permissions_are_required_like_roles() -> None:
    who = identity_from_headers(proven_headers(KEY, "u1", "c1", "customer", "orders:read"))
    who.require_permission("orders:read")
    who.require_role("customer")
    with pytest.raises(ProblemError) as err:
        who.require_permission("orders:write")
    assert err.value.status == 403 and "orders:write" in err.value.detail
    with pytest.raises(ProblemError):
        who.require_role("admin")


def _fastapi_app() -> FastAPI:
    app = FastAPI()
    install_fastapi_handlers(app)

    @app.get("/me")
    async def me(identity: IdentityDep) -> dict:
        identity.require_permission("customers:read")
        return {"user_id": identity.user_id, "permissions": sorted(identity.permissions)}

    return app


def test_fastapi_dependency_refuses_forged_missing_expired_and_tampered_proofs() -> None:
    client = TestClient(_fastapi_app())
    good = proven_headers(KEY, "u1", "c1", "customer", "customers:read")
    with identity_key(KEY):
        resp = client.get("/me", headers=good)
        assert resp.status_code == 200 and resp.json()["permissions"] == ["customers:read"]
        cases = {
            "missing": {k: v for k, v in good.items() if k != "X-Identity-Proof"},
            "forged": proven_headers("guess", "u1", "c1", "customer", "customers:read"),
            "expired": proven_headers(KEY, "u1", "c1", "customer", "customers:read",
                                      expires_at=int(time.time()) - 1),
            "tampered": {**good, "X-User-Id": "u2"},
            "no identity": {},
        }
        for name, headers in cases.items():
            resp = client.get("/me", headers=headers)
            assert resp.status_code == 401, name
            assert resp.headers["content-type"].startswith("application/problem+json")
        lacking = proven_headers(KEY, "u1", "c1", "customer", "orders:read")
        assert client.get("/me", headers=lacking).status_code == 403


def test_flask_header_model_verifies_the_proof() -> None:
    good = proven_headers(KEY, "u1", "c1", "customer", "orders:write")
    with identity_key(KEY):
        assert GatewayIdentity.model_validate(good).identity().user_id == "u1"
        with pytest.raises(ProblemError):
            GatewayIdentity.model_validate({**good, "X-User-Permissions": "orders:write,admin"})
        with pytest.raises(ProblemError):
            GatewayIdentity.model_validate({**good, "X-Identity-Proof": "v1.1.x"})


def test_flask_identity_of_a_request_verifies_the_proof() -> None:
    from flask import Flask

    app = Flask("t")
    good = proven_headers(KEY, "u1", "c1", "customer", "orders:write")
    with identity_key(KEY):
        with app.test_request_context(headers=good):
            assert ident.flask_identity().permissions == frozenset({"orders:write"})
        with app.test_request_context(headers={**good, "X-User-Roles": "admin"}), \
                pytest.raises(ProblemError):
            ident.flask_identity()


def test_install_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError):
        ident.install_identity_key("")


def test_create_app_installs_the_key_from_the_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.platform import app as platform_app
    from services.platform.config import Settings

    class Secrets:
        def get(self, name: str) -> str:
            assert name == "gateway/identity_key"
            return KEY

    class Res:
        secrets = Secrets()
        checks: dict = {}  # noqa: RUF012

        async def close(self) -> None:
            pass

    async def open_(*args: object, **kwargs: object) -> Res:
        return Res()

    monkeypatch.setattr(platform_app.Resources, "open", open_)
    app = platform_app.create_app("t", settings=Settings(service="t"), database=False,
                                  broker=False)
    with identity_key(None), TestClient(app):
        assert ident.identity_key_installed()
        assert ident._KEY.value == KEY.encode()
