"""``sandbox ssh``: an OpenSSH command line into the topology, through the bastion.

The bastion is the only SSH door into the private network; a service's SSH server is
reached with the bastion as a jump host (``ProxyCommand ssh -W``). The run's own key pair
is used, and host keys (made fresh by each run) go to a known_hosts file of the run.

>>> ssh_command(Path("k"), Path("kh"), bastion_port=2222, target="monolith", command=["id"])[-3:]
['sandbox@monolith', '--', 'id']
"""

from __future__ import annotations

import shlex
from pathlib import Path

USER = "sandbox"
BASTION = "bastion"


def _options(key: Path, known_hosts: Path) -> list[str]:
    return [
        "-i", str(key),
        "-o", "IdentitiesOnly=yes",
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", f"UserKnownHostsFile={known_hosts}",
    ]


def ssh_command(
    key: Path, known_hosts: Path, *, bastion_port: int, target: str, command: list[str]
) -> list[str]:
    """The argv of ``ssh`` to ``target`` (``bastion`` or a service with an SSH server)."""
    argv = ["ssh", *_options(key, known_hosts)]
    if target == BASTION:
        argv += ["-p", str(bastion_port), f"{USER}@127.0.0.1"]
    else:
        jump = ["ssh", *_options(key, known_hosts), "-p", str(bastion_port), "-W", "%h:%p",
                f"{USER}@127.0.0.1"]  # fmt: skip
        argv += ["-o", f"ProxyCommand={shlex.join(jump)}", f"{USER}@{target}"]
    return argv + (["--", *command] if command else [])
