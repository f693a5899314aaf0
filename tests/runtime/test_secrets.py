"""Per-run secrets and the SSH key pair."""

import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from sandbox.errors import TopologyError
from sandbox.runtime.secrets import generate_secrets, secret_variables, write_ssh_key_pair


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


def test_variables_follow_the_documented_names():
    variables = secret_variables({"auth/db_password": "p", "webhooks/signing-secret": "s"}, "test")
    assert variables["SECRET_AUTH_DB_PASSWORD"] == "p"
    assert variables["SECRET_WEBHOOKS_SIGNING_SECRET"] == "s"
    assert json.loads(variables["SANDBOX_SECRETS_JSON"]) == {
        "/sandbox/test/auth/db_password": "p",
        "/sandbox/test/webhooks/signing-secret": "s",
    }


def test_ssh_key_pair_is_private(tmp_path):
    path, public = write_ssh_key_pair(tmp_path / "run", "sandbox-x")
    assert public.startswith("ssh-ed25519 ") and public.endswith(" sandbox-x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    serialization.load_ssh_private_key(path.read_bytes(), password=None)
