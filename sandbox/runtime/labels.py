"""Labels on every container, network and volume of a run (docs/architecture.md, Runtime).

>>> labels = run_labels("sandbox", "ab12cd34", "detached", Owner(42, "laptop", "9000"))
>>> labels["sandbox.run"], labels["sandbox.owner-pid"]
('ab12cd34', '42')
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

PROJECT = "sandbox.project"
RUN = "sandbox.run"
SERVICE = "sandbox.service"
OWNER_PID = "sandbox.owner-pid"
OWNER_HOST = "sandbox.owner-host"
OWNER_STARTED = "sandbox.owner-started"  # process start time, guards against pid reuse
MODE = "sandbox.mode"
# only objects carrying this are ever listed or removed: other tools (the image builder,
# experiments) share the project label, and `down` must not touch their objects
MANAGED = "sandbox.managed-by"
MANAGER = "sandbox-runtime"
MARKER = "sandbox.marker"  # on the volume that says a detached `up` completed
MODES = ("detached", "session")


@dataclass(frozen=True)
class Owner:
    """The process that owns a run: pid, host name and the process's start time."""

    pid: int
    host: str
    started: str


def project_name(compose_name: str | None = None) -> str:
    """``SANDBOX_PROJECT``, else the compose file's ``name:``, else ``sandbox``."""
    return os.environ.get("SANDBOX_PROJECT") or compose_name or "sandbox"


def new_run_id() -> str:
    """Eight hex characters: short enough for container names, unique enough per host."""
    return secrets.token_hex(4)


def run_labels(project: str, run_id: str, mode: str, owner: Owner) -> dict[str, str]:
    """The labels every object of the run carries."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    return {
        PROJECT: project,
        MANAGED: MANAGER,
        RUN: run_id,
        MODE: mode,
        OWNER_PID: str(owner.pid),
        OWNER_HOST: owner.host,
        OWNER_STARTED: owner.started,
    }


def service_labels(base: dict[str, str], service: str) -> dict[str, str]:
    """A container's labels: the run's plus ``sandbox.service``."""
    return {**base, SERVICE: service}


def project_filter(project: str, run_id: str | None = None) -> dict[str, list[str]]:
    """A Docker ``filters`` argument selecting the runtime's objects of the project (or of
    one run): objects without ``sandbox.managed-by`` are never selected."""
    wanted = [f"{PROJECT}={project}", f"{MANAGED}={MANAGER}"]
    if run_id:
        wanted.append(f"{RUN}={run_id}")
    return {"label": wanted}


def container_name(run_id: str, service: str) -> str:
    return f"sandbox-{run_id}-{service}"


def network_name(run_id: str, network: str) -> str:
    return f"sandbox-{run_id}-{network}"


def marker_volume_name(run_id: str) -> str:
    return f"sandbox-{run_id}-detached-complete"


def this_host() -> str:
    return socket.gethostname()
