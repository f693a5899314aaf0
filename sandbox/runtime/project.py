"""Where this project lives: its root, its compose file, its name, a Docker client."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docker
import yaml

from sandbox.runtime import labels as L
from sandbox.runtime.docker_api import docker_client
from sandbox.topology import compose_file, project_dir


@dataclass(frozen=True)
class Project:
    """The project a command works on."""

    root: Path
    compose: Path
    name: str
    client: docker.DockerClient

    @property
    def lock_path(self) -> Path:
        path = self.root / ".sandbox" / "up.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def _compose_name(path: Path) -> str | None:
    """The compose file's top-level ``name:``, if it can be read (never fails: `down`
    must work with a broken compose file)."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    name = doc.get("name") if isinstance(doc, dict) else None
    return str(name) if name else None


def open_project() -> Project:
    """The current project, with a Docker client that answered a ping."""
    root, compose = project_dir(), compose_file()
    return Project(root, compose, L.project_name(_compose_name(compose)), docker_client())
