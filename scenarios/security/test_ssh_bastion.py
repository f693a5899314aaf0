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


def sshd_settings(sandbox, service, options=()):
    """`sshd -T` in the service's container: its effective settings, lower-cased keys."""
    code, out = sandbox.exec(service, ["/usr/sbin/sshd", "-T", *options])
    assert code == 0, out
    settings: dict[str, list[str]] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        settings.setdefault(key.lower(), []).append(value.strip())
    return settings


BOTH = {"permitrootlogin": "no", "passwordauthentication": "no",
        "kbdinteractiveauthentication": "no", "authenticationmethods": "publickey",
        "allowagentforwarding": "no", "x11forwarding": "no", "permittunnel": "no",
        "gatewayports": "no", "allowstreamlocalforwarding": "no", "allowusers": "sandbox",
        "permituserenvironment": "no"}


def test_the_bastion_is_a_hardened_jump_host(sandbox):
    settings = sshd_settings(sandbox, "bastion")
    for key, value in {**BOTH, "allowtcpforwarding": "local", "permitopen": "monolith:22",
                       "permittty": "no", "permitlisten": "none",
                       "forcecommand": "/usr/local/bin/jump-only"}.items():
        assert settings.get(key) == [value], (key, settings.get(key))


def test_the_monolith_sshd_gives_a_shell_and_forwards_nothing(sandbox):
    script = "from services.monolith.ssh import sshd_options; print(' '.join(sshd_options()))"
    code, out = sandbox.exec("monolith", ["python3", "-c", script])
    assert code == 0, out
    settings = sshd_settings(sandbox, "monolith", out.split())
    for key, value in {**BOTH, "allowtcpforwarding": "no"}.items():
        assert settings.get(key) == [value], (key, settings.get(key))


def test_the_bastion_opens_no_shell_and_runs_no_command(sandbox):
    result = run_ssh(sandbox, "bastion", ["id"])
    assert result.returncode == 1 and "jump host only" in result.stderr
    assert "uid=" not in result.stdout


@pytest.mark.parametrize("destination", ["postgres:5432", "monolith:8000", "gateway:8080",
                                         "secrets:5000"])
def test_the_bastion_forwards_to_nothing_but_the_services_ssh_servers(sandbox, destination):
    key = Path(sandbox.state.ssh_private_key)
    result = subprocess.run(
        ["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={key.parent / 'known_hosts'}",
         "-p", str(sandbox.host_port("bastion", 22)), "-W", destination, "sandbox@127.0.0.1"],
        input="", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 255, result
    assert "administratively prohibited" in result.stderr or "open failed" in result.stderr


PYTHON_SERVICES = ["auth", "auth-worker", "monolith", "monolith-worker", "catalog",
                   "catalog-worker", "payments", "payments-worker", "webhooks", "webhooks-worker",
                   "egress", "secrets"]


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_services_run_as_an_unprivileged_user(sandbox, service):
    code, out = sandbox.exec(service, ["sh", "-c", "grep '^Uid:' /proc/1/status"])
    assert code == 0, out
    real, effective = out.split()[1:3]
    assert real != "0" and effective != "0", f"{service}'s process runs as root: {out}"
