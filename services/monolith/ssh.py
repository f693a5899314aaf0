"""The monolith's SSH server: sshd, key-only, for the `sandbox` user (keys from the env).

The container starts as root for sshd alone; `drop_privileges` then makes the service's
own process the `sandbox` user before it serves. sshd gives a shell (a developer's way in,
through the bastion) and nothing else: no forwarding of any kind, no agent, no X11.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from services.platform.logging import get_logger

SSH_USER = "sandbox"
SSHD = "/usr/sbin/sshd"
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
log = get_logger()


def authorized_keys(raw: str) -> str:
    """Normalise SSH_AUTHORIZED_KEYS (newline or `;` separated) into file content.

    >>> authorized_keys("ssh-ed25519 AAA a; ssh-rsa BBB b")
    'ssh-ed25519 AAA a\\nssh-rsa BBB b\\n'
    """
    keys = [k.strip() for part in raw.splitlines() for k in part.split(";") if k.strip()]
    return "".join(f"{k}\n" for k in keys)


def _ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SSH_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", SSH_USER], check=True,
                       timeout=10)
        # an unlocked account without a password: sshd refuses locked accounts for keys too
        subprocess.run(["usermod", "-p", "*", SSH_USER], check=True, timeout=10)
        return pwd.getpwnam(SSH_USER)


def start_sshd(keys_env: str | None) -> subprocess.Popen | None:
    """Start sshd in the foreground (-D -e, logs to stderr) or skip when no key is given."""
    content = authorized_keys(keys_env or "")
    if not content:
        log.info("ssh.skipped", reason="SSH_AUTHORIZED_KEYS is empty")
        return None
    if not Path(SSHD).exists():
        log.warning("ssh.skipped", reason=f"{SSHD} not installed")
        return None
    user = _ensure_user()
    ssh_dir = Path(user.pw_dir) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys_file = ssh_dir / "authorized_keys"
    keys_file.write_text(content)
    keys_file.chmod(0o600)
    for path in (ssh_dir, keys_file):
        os.chown(path, user.pw_uid, user.pw_gid)
    # one ed25519 host key, made in milliseconds (`ssh-keygen -A` also makes a 3072-bit
    # RSA key, which can take seconds on a loaded machine while the topology starts)
    Path(HOST_KEY).unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", HOST_KEY],
                   check=True, timeout=10, capture_output=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", *sshd_options()])
    log.info("ssh.started", pid=proc.pid, user=SSH_USER)
    return proc


SSHD_OPTIONS = {
    "PasswordAuthentication": "no", "KbdInteractiveAuthentication": "no",
    "AuthenticationMethods": "publickey", "PermitRootLogin": "no", "AllowUsers": SSH_USER,
    "UsePAM": "no", "AllowTcpForwarding": "no", "AllowStreamLocalForwarding": "no",
    "AllowAgentForwarding": "no", "X11Forwarding": "no", "PermitTunnel": "no",
    "GatewayPorts": "no", "PermitUserEnvironment": "no", "MaxAuthTries": "3",
}


def sshd_options() -> list[str]:
    """sshd's command-line options: the host key and SSHD_OPTIONS, as `-o K=V`.

    >>> sshd_options()[:4]
    ['-o', 'HostKey=/etc/ssh/ssh_host_ed25519_key', '-o', 'PasswordAuthentication=no']
    """
    options = {"HostKey": HOST_KEY, **SSHD_OPTIONS}
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def drop_privileges(user: str = SSH_USER) -> None:
    """Become `user` (uid, gid, no supplementary groups) when running as root; else nothing."""
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ["HOME"] = entry.pw_dir
    log.info("service.privileges_dropped", user=user, uid=entry.pw_uid)
