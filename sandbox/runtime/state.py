"""Run state: ``.sandbox/runs/<run>.json`` under the project root, mode 0600."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sandbox.errors import NotRunning


@dataclass
class RunState:
    """What a later process needs to use a run: ids, secrets, ports, URLs, the SSH key."""

    run_id: str
    project: str
    env: str
    mode: str
    owner_pid: int
    secrets: dict[str, str] = field(default_factory=dict)
    ports: dict[str, dict[str, int]] = field(default_factory=dict)  # service -> "8080/tcp" -> port
    urls: dict[str, str] = field(default_factory=dict)  # service -> URL of its first port
    networks: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> subnet, gateway
    ssh_private_key: str | None = None
    ssh_public_key: str | None = None
    compose_file: str | None = None
    proxy: str | None = None  # the service every link goes through (x-sandbox.proxy)
    proxy_api_port: int | None = None  # its API's container port
    images: dict[str, str] = field(default_factory=dict)  # service -> image it runs
    compose_digest: str | None = None  # sha256 of the compose file it was started from


def runs_dir(project_root: Path) -> Path:
    return project_root / ".sandbox" / "runs"


def run_dir(project_root: Path, run_id: str) -> Path:
    """Per-run files (the SSH key pair)."""
    return runs_dir(project_root) / run_id


def save_state(project_root: Path, state: RunState) -> Path:
    """Write atomically with mode 0600."""
    directory = runs_dir(project_root)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{state.run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(state), f, indent=2)
    os.replace(tmp, path)
    return path


def load_state(project_root: Path, run_id: str) -> RunState:
    path = runs_dir(project_root) / f"{run_id}.json"
    try:
        return RunState(**json.loads(path.read_text()))
    except FileNotFoundError:
        raise NotRunning(
            f"run {run_id} has containers but no state file {path}",
            "run `sandbox down` then `sandbox up`",
        ) from None


def remove_state(project_root: Path, run_id: str) -> None:
    """Forget a run: its JSON, its directory and its secret files (idempotent)."""
    from sandbox.runtime.secret_files import remove_run_secrets

    (runs_dir(project_root) / f"{run_id}.json").unlink(missing_ok=True)
    shutil.rmtree(run_dir(project_root, run_id), ignore_errors=True)
    remove_run_secrets(run_id)
