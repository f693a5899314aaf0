"""A run's secrets as files on tmpfs, bind-mounted read-only at ``/run/secrets``.

Nothing secret goes into a container's environment, command, labels or image: each
service that lists secrets (compose ``secrets: [name, ...]``, or ``x-sandbox.secrets: all``
for the secrets emulator) gets a directory of its own holding one file per secret,
``/run/secrets/<name>`` (``postgres/password`` -> ``/run/secrets/postgres/password``),
the way compose mounts its ``secrets:``. The directories live on tmpfs (``/dev/shm``), so
the values never reach a disk, under a 0700 directory of the user; they are removed with
the run (``remove_run_secrets``, called by ``remove_state``).

>>> service_dir("r1", "postgres", Path("/dev/shm/sandbox-1000"))
PosixPath('/dev/shm/sandbox-1000/r1/postgres')
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

MOUNT_POINT = "/run/secrets"
_TMPFS = Path("/dev/shm")


def secrets_root() -> Path:
    """Where runs keep their secret files: ``$SANDBOX_SECRETS_DIR``, else on ``/dev/shm``
    (tmpfs), else in the system's temporary directory."""
    override = os.environ.get("SANDBOX_SECRETS_DIR")
    if override:
        return Path(override)
    base = _TMPFS if _TMPFS.is_dir() and os.access(_TMPFS, os.W_OK) else Path(tempfile.gettempdir())
    return base / f"sandbox-{os.getuid()}"


def service_dir(run_id: str, service: str, root: Path | None = None) -> Path:
    """The directory mounted at ``/run/secrets`` in ``service``'s container."""
    return (root or secrets_root()) / run_id / service


def write_service_secrets(run_id: str, wanted: Mapping[str, tuple[str, ...]],
                          values: Mapping[str, str], root: Path | None = None) -> dict[str, Path]:
    """One file per secret for each service of ``wanted`` (service -> secret names);
    returns service -> its directory. The user's root directory is 0700; inside it the
    files are world-readable so that an unprivileged process in the container reads them."""
    root = root or secrets_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    dirs: dict[str, Path] = {}
    for service, names in wanted.items():
        if not names:
            continue
        directory = service_dir(run_id, service, root)
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        for name in names:
            path = directory / name
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            write_secret_file(path, values[name])
        dirs[service] = directory
    return dirs


def write_secret_file(path: Path, value: str) -> None:
    """Write (or replace, atomically: a running container sees the old or the new value,
    never half of one) one secret file, world-readable inside its private root."""
    tmp = path.with_name(f".{path.name}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o444)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    os.chmod(tmp, 0o444)
    os.replace(tmp, path)


def remove_run_secrets(run_id: str, root: Path | None = None) -> None:
    """Remove every secret file of the run (idempotent)."""
    shutil.rmtree((root or secrets_root()) / run_id, ignore_errors=True)
