"""Rotating a secret in the emulator reaches the services that read it, within the bound
`sandbox secrets rotate` states (sandbox/runtime/secret_rotation.py)."""

from __future__ import annotations

import httpx
import pytest

from fixtures.waiting import eventually
from sandbox.runtime.secret_rotation import rotate_secret

pytestmark = [pytest.mark.docker, pytest.mark.security]

ADMIN_KEY_BOUND_S = 10 + 5  # the stated bound, and a margin for a loaded machine
SINK_BOUND_S = 5 + 5


def key_status(gateway: str, api_key: str, token: str) -> int:
    """An admin route with `api_key` and an admin token: the key is judged by verify, with
    no login attempt (failed logins would lock the admin user)."""
    return httpx.get(f"{gateway}/v1/admin/audit", params={"limit": 1}, timeout=10,
                     headers={"X-Api-Key": api_key, "Authorization": f"Bearer {token}"}
                     ).status_code


def test_a_rotated_admin_key_takes_over_within_the_bound(sandbox, sandbox_alone, admin_client):
    gateway, token = sandbox.url("gateway"), admin_client.token
    original = sandbox.secret("auth/admin_api_key")
    assert key_status(gateway, original, token) == 200
    rotation = rotate_secret(sandbox, "auth/admin_api_key")
    new = sandbox.secret("auth/admin_api_key")
    assert new != original and rotation.services == ("secrets",)
    try:
        eventually(lambda: key_status(gateway, new, token), timeout=ADMIN_KEY_BOUND_S,
                   until=lambda status: status == 200)
        eventually(lambda: key_status(gateway, original, token), timeout=ADMIN_KEY_BOUND_S,
                   until=lambda status: status == 401)
    finally:  # the session's admin client holds the original key: give it back
        rotate_secret(sandbox, "auth/admin_api_key", original)
        eventually(lambda: key_status(gateway, original, token), timeout=ADMIN_KEY_BOUND_S,
                   until=lambda status: status == 200)


def sink_status(sandbox, token: str) -> str:
    code, out = sandbox.exec("auth", [
        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5",
        "-H", f"Authorization: Bearer {token}", "http://webhooks:8000/internal/alerts?limit=1"])
    assert code == 0, out
    return out


def test_a_rotated_sink_token_reaches_the_sink_and_alertmanager(sandbox, sandbox_alone):
    original = sandbox.secret("alerts/sink_token")
    rotation = rotate_secret(sandbox, "alerts/sink_token")
    new = sandbox.secret("alerts/sink_token")
    assert rotation.services == ("alertmanager", "secrets")
    code, out = sandbox.exec("alertmanager", ["cat", "/run/secrets/alerts/sink_token"])
    assert (code, out) == (0, new)  # Alertmanager's file, read at every send
    eventually(lambda: sink_status(sandbox, new), timeout=SINK_BOUND_S, until=lambda s: s == "200")
    assert sink_status(sandbox, original) == "401"


def test_a_secret_read_only_at_start_cannot_be_rotated(sandbox):
    from sandbox.errors import SandboxError

    with pytest.raises(SandboxError, match="read once at start"):
        rotate_secret(sandbox, "postgres/password")
