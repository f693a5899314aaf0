"""Per-run secrets and the SSH key pair."""

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from sandbox.errors import TopologyError
from sandbox.runtime.secret_files import remove_run_secrets, secrets_root, write_service_secrets
from sandbox.runtime.secrets import generate_secrets, write_ssh_key_pair


def test_each_kind_has_its_shape():
    values = generate_secrets({"a/pw": "password", "b-tok": "token", "k": "rsa-private-key"})
    assert len(values["a/pw"]) == 24
    assert len(bytes.fromhex(values["b-tok"])) == 32
    key = serialization.load_pem_private_key(values["k"].encode(), password=None)
    assert key.key_size == 2048 and values["k"].startswith("-----BEGIN PRIVATE KEY-----")


def test_every_run_gets_new_values():
    assert generate_secrets({"p": "password"}) != generate_secrets({"p": "password"})


def test_unknown_kind_is_a_topology_error():
    with pytest.raises(TopologyError, match="unknown kind 'pin'"):
        generate_secrets({"x": "pin"})


def test_secret_files_are_one_per_name_under_a_private_root(tmp_path):
    root = tmp_path / "shm"
    dirs = write_service_secrets("r1", {"postgres": ("postgres/password", "auth/db_password"),
                                        "cache": ()}, {"postgres/password": "p1",
                                                       "auth/db_password": "p2"}, root)
    assert set(dirs) == {"postgres"}
    assert (dirs["postgres"] / "postgres/password").read_text() == "p1"
    assert (dirs["postgres"] / "auth/db_password").read_text() == "p2"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((dirs["postgres"] / "postgres/password").stat().st_mode) == 0o444
    remove_run_secrets("r1", root)
    assert not (root / "r1").exists()


def test_secret_files_live_on_tmpfs_by_default(monkeypatch):
    monkeypatch.delenv("SANDBOX_SECRETS_DIR", raising=False)
    assert str(secrets_root()).startswith("/dev/shm/") or not Path("/dev/shm").is_dir()
    monkeypatch.setenv("SANDBOX_SECRETS_DIR", "/elsewhere")
    assert secrets_root() == Path("/elsewhere")


def test_ssh_key_pair_is_private(tmp_path):
    path, public = write_ssh_key_pair(tmp_path / "run", "sandbox-x")
    assert public.startswith("ssh-ed25519 ") and public.endswith(" sandbox-x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    serialization.load_ssh_private_key(path.read_bytes(), password=None)
