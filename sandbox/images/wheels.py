"""Python wheels for an image, downloaded on the host with ``pip download`` and cached.

``pip download --python-version`` picks wheels for the target but still evaluates
environment markers (``python_full_version < "3.11.3"``) with the host's interpreter, so
pip runs under a small shim that gives markers the image's exact Python version.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

from filelock import FileLock

from sandbox.images.logged import run_logged
from sandbox.images.recipes import PIP_PLATFORM

_MARKER_SHIM = """
import sys
from pip._vendor.packaging import markers
full = sys.argv.pop(1)
_default = markers.default_environment
markers.default_environment = lambda: {**_default(), "python_full_version": full,
    "implementation_version": full, "python_version": ".".join(full.split(".")[:2])}
from pip._internal.cli.main import main
sys.exit(main())
"""


def pip_download_command(requirements: Path, dest: Path, python_version: str) -> list[str]:
    """``pip download`` of manylinux wheels for the image's CPython ``python_version``."""
    return [sys.executable, "-c", _MARKER_SHIM, python_version, "download",
            "--disable-pip-version-check", "--only-binary=:all:", *PIP_PLATFORM,
            "-d", str(dest), "-r", str(requirements)]  # fmt: skip


def ensure_wheels(requirements: Path, python_version: str, cache: Path, log: Path) -> Path:
    """A directory holding ``requirements.txt`` and every wheel it needs (built once)."""
    digest = hashlib.sha256(
        requirements.read_bytes() + " ".join((*PIP_PLATFORM, python_version)).encode()
    )
    dest = cache / "wheels" / digest.hexdigest()[:12]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        if (dest / "requirements.txt").is_file():
            return dest
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        cmd = pip_download_command(requirements, tmp, python_version)
        run_logged(cmd, log, f"pip download of {requirements.name}",
                   "pin versions that publish manylinux x86_64 wheels for CPython 3.11",
                   tail_lines=3)  # fmt: skip
        shutil.copyfile(requirements, tmp / "requirements.txt")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return dest
