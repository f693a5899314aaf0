"""The Docker side of image builds: the client, labels, and provisioning containers.

Provisioning containers run with ``--network none``, carry labels naming their owner,
and are always removed: on success, on failure, and on Ctrl-C (see ``remove_live``).
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from sandbox.errors import DockerUnavailable, ImageBuildFailed

_client: docker.DockerClient | None = None
_client_lock = threading.Lock()
_live: set[str] = set()
_live_lock = threading.Lock()


def project_label() -> str:
    """The ``sandbox.project`` label value of objects the builder creates."""
    return os.environ.get("SANDBOX_PROJECT", "sandbox")


def client() -> docker.DockerClient:
    """A shared Docker client; ``DockerUnavailable`` when no daemon answers."""
    global _client
    with _client_lock:
        if _client is None:
            try:
                candidate = docker.from_env(timeout=600)
                candidate.ping()
            except DockerException as exc:
                raise DockerUnavailable(
                    f"cannot reach the Docker daemon ({exc.__class__.__name__})",
                    "start Docker (or set DOCKER_HOST) and check you may use its socket",
                ) from exc
            _client = candidate
        return _client


def image_exists(tag: str) -> bool:
    try:
        client().images.get(tag)
        return True
    except ImageNotFound:
        return False


def owner_labels(role: str, recipe: str) -> dict[str, str]:
    """Labels of a short-lived builder object, so a crashed build's leftovers can be found."""
    return {
        "sandbox.project": project_label(),
        "sandbox.role": role,
        "sandbox.recipe": recipe,
        "sandbox.owner-pid": str(os.getpid()),
        "sandbox.owner-host": socket.gethostname(),
    }


def remove_stale_containers() -> None:
    """Remove provisioning containers left by builder processes of this host that died."""
    host = socket.gethostname()
    for c in client().containers.list(all=True, filters={"label": "sandbox.role=provision"}):
        labels = c.labels
        if labels.get("sandbox.owner-host") != host:
            continue
        pid = int(labels.get("sandbox.owner-pid", "0") or 0)
        if pid and pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            _force_remove(c.id)


def _force_remove(container_id: str) -> None:
    try:
        client().api.remove_container(container_id, force=True, v=True)
    except NotFound:
        pass
    except APIError as exc:
        if exc.status_code != 409:  # 409: a removal is already in progress
            raise


def remove_live() -> None:
    """Remove every provisioning container this process still has (Ctrl-C path)."""
    with _live_lock:
        ids = list(_live)
    for cid in ids:
        _force_remove(cid)


def create_container(image: str, labels: dict[str, str], **kwargs) -> str:
    """Create (not start) a container that ``remove_live`` will clean up."""
    container = client().api.create_container(image, labels=labels, **kwargs)
    cid = container["Id"]
    with _live_lock:
        _live.add(cid)
    return cid


def discard_container(cid: str) -> None:
    _force_remove(cid)
    with _live_lock:
        _live.discard(cid)


def provision(
    image: str,
    script: str,
    mounts: dict[Path, str],
    labels: dict[str, str],
    commit_as: str,
    commit_changes: list[str],
    log: Path,
    what: str,
) -> None:
    """Run ``script`` in a networkless container from ``image`` and commit it as ``commit_as``."""
    api = client().api
    binds = {str(host): {"bind": inside, "mode": "ro"} for host, inside in mounts.items()}
    cid = create_container(
        image,
        labels,
        command=["/bin/sh", "-ec", script],
        network_disabled=True,
        host_config=api.create_host_config(binds=binds, network_mode="none"),
    )
    try:
        try:
            api.start(cid)
            status = api.wait(cid)["StatusCode"]
            output = api.logs(cid, stdout=True, stderr=True).decode(errors="replace")
        except APIError as exc:
            raise ImageBuildFailed(
                f"{what}: the provisioning container failed or vanished ({exc.explanation})",
                "build again; make sure nothing removes containers labelled sandbox.role=provision",
            ) from exc
        log.write_text(output)
        if status != 0:
            tail = " | ".join(output.strip().splitlines()[-4:])
            raise ImageBuildFailed(
                f"{what} failed (exit {status}): {tail}; full log: {log}",
                "read the log; fix packages.txt or the recipe's scripts, then build again",
            )
        repo, _, tag = commit_as.rpartition(":")
        api.commit(cid, repository=repo, tag=tag, changes=commit_changes)
    finally:
        discard_container(cid)


def copy_file_out(image: str, path: str, dest: Path, labels: dict[str, str]) -> None:
    """Copy one file out of ``image`` (through a created, never started, container)."""
    import io
    import tarfile

    cid = create_container(image, labels, command=["/bin/true"], network_disabled=True)
    try:
        stream, _ = client().api.get_archive(cid, path)
        data = io.BytesIO(b"".join(stream))
        with tarfile.open(fileobj=data) as tar:
            member = tar.getmembers()[0]
            extracted = tar.extractfile(member)
            assert extracted is not None
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(extracted.read())
    finally:
        discard_container(cid)
