"""SSH: the bastion is the only door into the private network, keys only."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sandbox.runtime.ssh import ssh_command

pytestmark = [pytest.mark.docker, pytest.mark.security]


def run_ssh(sandbox, target, command, extra=()):
    key = Path(sandbox.state.ssh_private_key)
    argv = ssh_command(key, key.parent / "known_hosts",
                       bastion_port=sandbox.host_port("bastion", 22), target=target,
                       command=command)  # fmt: skip
    argv[1:1] = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *extra]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def test_the_monolith_is_reached_through_the_bastion_with_the_run_key(sandbox):
    result = run_ssh(sandbox, "monolith", ["hostname"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "monolith"


def test_the_bastion_refuses_passwords_and_root(sandbox):
    no_key = run_ssh(sandbox, "bastion", ["true"],
                     extra=["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password"])  # fmt: skip
    assert no_key.returncode == 255 and "Permission denied" in no_key.stderr
    key = Path(sandbox.state.ssh_private_key)
    root = subprocess.run(
        ["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={key.parent / 'known_hosts'}",
         "-p", str(sandbox.host_port("bastion", 22)), "root@127.0.0.1", "true"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert root.returncode == 255 and "Permission denied" in root.stderr
