"""Run a build step's command with its output appended to a log file; a failure becomes
``ImageBuildFailed`` naming the step, the last lines and the log."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sandbox.errors import ImageBuildFailed


def run_logged(cmd: list[str], log: Path, what: str, fix: str, tail_lines: int = 4) -> None:
    """Run ``cmd``; on a non-zero exit raise ``ImageBuildFailed("<what> failed (...)")``."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = " | ".join(log.read_text().strip().splitlines()[-tail_lines:])
        raise ImageBuildFailed(f"{what} failed ({tail}); full log: {log}", fix)
