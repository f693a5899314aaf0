"""The build context of a recipe, as a tar made in memory with exactly the files it needs.

The recipe folder's files sit at the context root; ``context`` files from the repository
keep their path relative to the project root (``services/auth/schema.sql``). Owners and
times are fixed so that Docker's layer cache only sees content changes.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from sandbox.images.recipes import Recipe


def context_members(recipe: Recipe) -> list[tuple[str, Path]]:
    """(name in the context, host path), recipe files first, sorted within each group."""
    return [*recipe.recipe_files(), *recipe.context_files()]


def build_context(recipe: Recipe) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path in context_members(recipe):
            info = tarfile.TarInfo(name)
            data = path.read_bytes()
            info.size = len(data)
            info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer
