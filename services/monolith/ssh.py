"""The monolith's SSH server: sshd, key-only, for the `sandbox` user (keys from the env)."""

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
    proc = subprocess.Popen([
        SSHD, "-D", "-e", "-o", f"HostKey={HOST_KEY}",
        "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
        "-o", "PermitRootLogin=no", "-o", f"AllowUsers={SSH_USER}", "-o", "UsePAM=no",
    ])
    log.info("ssh.started", pid=proc.pid, user=SSH_USER)
    return proc
