"""Input hashing: a build's tag is the hash of everything that went into it.

>>> h = InputHash("v1")
>>> h.add_text("packages", "curl\\n")
>>> len(h.hexdigest())
64
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")


def is_ignored(relative: Path) -> bool:
    """Files never part of an image's inputs (bytecode caches, editor leftovers)."""
    return any(p in IGNORED_PARTS for p in relative.parts) or relative.name.endswith(
        IGNORED_SUFFIXES
    )


def walk_files(directory: Path) -> list[Path]:
    """Every regular file under ``directory`` (sorted, ignored files left out)."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not is_ignored(p.relative_to(directory))
    )


class InputHash:
    """A sha256 over named parts; each part is framed so that parts cannot run together."""

    def __init__(self, version: str) -> None:
        self._sha = hashlib.sha256()
        self.add_text("builder-version", version)

    def _frame(self, kind: str, name: str, data: bytes) -> None:
        header = f"{kind}\0{name}\0{len(data)}\0".encode()
        self._sha.update(header)
        self._sha.update(data)

    def add_text(self, name: str, text: str) -> None:
        self._frame("text", name, text.encode())

    def add_file(self, name: str, path: Path) -> None:
        """A file's bytes and whether it is executable (modes change behaviour)."""
        executable = "x" if path.stat().st_mode & 0o111 else "-"
        self._frame("file" + executable, name, path.read_bytes())

    def add_files(self, files: Iterable[tuple[str, Path]]) -> None:
        for name, path in sorted(files):
            self.add_file(name, path)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()
