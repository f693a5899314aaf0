"""The Docker SDK client, checked with a short ping, and removal of objects by label."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import docker
from docker.errors import APIError, DockerException, NotFound

from sandbox.errors import DockerUnavailable, StuckNetwork
from sandbox.runtime import labels as L
from sandbox.runtime.orphans import RunInfo

PING_TIMEOUT = float(os.environ.get("SANDBOX_DOCKER_PING_TIMEOUT", "3"))


def docker_client(timeout: float = 120) -> docker.DockerClient:
    """A client for ``DOCKER_HOST`` (or the default socket); ``DockerUnavailable`` if no
    daemon answers a ping within a few seconds."""
    where = os.environ.get("DOCKER_HOST", "the default socket")
    try:
        probe = docker.from_env(timeout=PING_TIMEOUT, version="1.41")
        probe.ping()
        probe.close()
        return docker.from_env(timeout=timeout, version="1.41", max_pool_size=64)
    except (DockerException, OSError) as e:
        reason = " ".join(str(e).split())[:160]
        raise DockerUnavailable(
            f"no Docker daemon answers at {where} ({reason})",
            "start Docker (or point DOCKER_HOST at a running daemon) and retry",
        ) from None


def list_runs(client: docker.DockerClient, project: str) -> dict[str, RunInfo]:
    """Every run of the project that still has a container, network or volume."""
    flt = L.project_filter(project)
    found: dict[str, dict[str, str]] = {}
    completed: set[str] = set()
    for c in client.api.containers(all=True, filters=flt):
        if c["Labels"].get(L.RUN):
            found.setdefault(c["Labels"][L.RUN], c["Labels"])
    for n in client.api.networks(filters=flt):
        labels = n.get("Labels") or {}
        if labels.get(L.RUN):
            found.setdefault(labels[L.RUN], labels)
    for v in client.api.volumes(filters=flt).get("Volumes") or []:
        labels = v.get("Labels") or {}
        run = labels.get(L.RUN)
        if not run:
            continue
        found.setdefault(run, labels)
        if labels.get(L.MARKER) == "detached-complete":
            completed.add(run)
    return {run: RunInfo(run, labels, run in completed) for run, labels in found.items()}


def remove_run(client: docker.DockerClient, project: str, run_id: str) -> int:
    """Remove the run's containers (with their anonymous volumes), networks and volumes,
    selected by label. Idempotent; returns how many objects went. A container created
    while this runs (a start racing the teardown) is caught by a second pass."""
    if not run_id:
        raise ValueError("remove_run needs a run id")
    flt = L.project_filter(project, run_id)
    count = 0
    for attempt in range(3):
        count += _remove_containers(client, flt)
        try:
            count += _remove_networks_and_volumes(client, flt)
            return count
        except APIError as exc:
            if attempt < 2:
                continue
            if "active endpoints" in str(exc) and not client.api.containers(all=True, filters=flt):
                raise StuckNetwork(
                    f"run {run_id}: Docker keeps a network with an endpoint of a removed "
                    "container",
                    "restart the Docker daemon (`sudo systemctl restart docker`), then run "
                    "`sandbox down --all`") from exc
            raise
    return count


def _remove_containers(client: docker.DockerClient, flt: dict[str, list[str]]) -> int:
    ids = [c["Id"] for c in client.api.containers(all=True, filters=flt)]

    def rm(cid: str) -> None:
        try:
            client.api.remove_container(cid, force=True, v=True)
        except NotFound:
            pass
        except APIError as e:
            if "already in progress" not in str(e):
                raise

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(rm, ids))
    return len(ids)


def _remove_networks_and_volumes(client: docker.DockerClient, flt: dict[str, list[str]]) -> int:
    """Raises APIError when a network still has endpoints (a container appeared late)."""
    count = 0
    for n in client.api.networks(filters=flt):
        try:
            client.api.remove_network(n["Id"])
            count += 1
        except NotFound:
            pass
    for v in client.api.volumes(filters=flt).get("Volumes") or []:
        try:
            client.api.remove_volume(v["Name"], force=True)
            count += 1
        except NotFound:
            pass
    return count
