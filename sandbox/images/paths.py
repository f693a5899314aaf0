"""Where things live: the project root (holding `compose/`) and the user's build cache."""

from __future__ import annotations

import os
from pathlib import Path

COMPOSE_FILE = Path("compose") / "docker-compose.yml"


def project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding the compose file.

    Falls back to the checkout this package lives in, so that the library works from
    any working directory. ``SANDBOX_PROJECT_ROOT`` overrides both.
    """
    override = os.environ.get("SANDBOX_PROJECT_ROOT")
    if override:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / COMPOSE_FILE).is_file():
            return candidate
    return Path(__file__).resolve().parents[2]


def recipes_dir(root: Path) -> Path:
    return root / "compose" / "images"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sandbox`` or ``~/.cache/sandbox``: downloaded debs, wheels, logs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "sandbox"
    path.mkdir(parents=True, exist_ok=True)
    return path
