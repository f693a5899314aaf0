"""The secrets emulator in-process on an ephemeral port: seed, read back, readiness."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from services.secrets_emulator.seeding import make_client, read_seed_dir, seed_secrets
from services.secrets_emulator.server import ReadinessCheck, make_emulator_server

SEED = {"/sandbox/test/auth/admin_api_key": "k" * 64,
        "/sandbox/test/auth/jwt_private_key": "-----BEGIN PRIVATE KEY-----\nMII...\n"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, ReadinessCheck]]:
    server, ready = make_emulator_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", ready
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_not_ready_before_seeding_then_ready(emulator: tuple[str, ReadinessCheck]) -> None:
    url, ready = emulator
    assert httpx.get(f"{url}/health/live").status_code == 200
    assert httpx.get(f"{url}/health/ready").status_code == 503
    assert seed_secrets(url, SEED) == 2
    ready.mark_seeded(SEED)
    resp = httpx.get(f"{url}/health/ready")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


def test_seeded_values_read_back_from_both_apis(emulator: tuple[str, ReadinessCheck]) -> None:
    url, _ = emulator
    seed_secrets(url, SEED)
    ssm = make_client("ssm", url)
    sm = make_client("secretsmanager", url)
    for name, value in SEED.items():
        param = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert param["Type"] == "SecureString" and param["Value"] == value
        assert sm.get_secret_value(SecretId=name)["SecretString"] == value


def test_seeding_twice_overwrites(emulator: tuple[str, ReadinessCheck]) -> None:
    url, _ = emulator
    name = "/sandbox/test/cache/password"
    seed_secrets(url, {name: "one"})
    seed_secrets(url, {name: "two"})
    assert make_client("secretsmanager", url).get_secret_value(SecretId=name)[
        "SecretString"] == "two"


def test_readiness_fails_when_a_seeded_value_is_gone(emulator: tuple[str, ReadinessCheck]) -> None:
    url, _ = emulator
    check = ReadinessCheck(url)
    check.mark_seeded({"/sandbox/test/never/written": "x"})
    ok, detail = check()
    assert not ok and "round trip failed" in detail


def test_the_seed_is_every_file_of_the_secrets_directory(tmp_path) -> None:
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "db_password").write_text("p1")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "password").write_text("p2\n")
    (tmp_path / ".hidden").write_text("not a secret")
    assert read_seed_dir(tmp_path, "/sandbox/test/") == {
        "/sandbox/test/auth/db_password": "p1", "/sandbox/test/cache/password": "p2\n"}
    with pytest.raises(ValueError, match="not a directory"):
        read_seed_dir(tmp_path / "missing", "/sandbox/test")
