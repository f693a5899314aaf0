"""The base image: ``debian:bookworm-slim`` when Docker has it, else debootstrap + import.

Both routes end in ``sandbox/base:<hash>`` with the builder's labels, and the base's
``/var/lib/dpkg/status`` saved in the cache for the host-side apt runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from docker.errors import DockerException, ImageNotFound

from sandbox.errors import ImageBuildFailed
from sandbox.images import dockerapi
from sandbox.images.aptsources import host_sources, mirror_for
from sandbox.images.logged import run_logged
from sandbox.images.recipes import BASE, DPKG_EXCLUDES, SUITE, VARIANT, base_hash, base_tag
from sandbox.progress import Progress

SLIM = ("debian", "bookworm-slim")
IMAGE_CONFIG = ['CMD ["/bin/bash"]', "ENV LANG=C.UTF-8"]
# Trees removed from the debootstrapped system before import (the excludes cover later installs).
PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
         "var/lib/apt/lists", "tmp")  # fmt: skip


def base_labels() -> list[str]:
    digest = base_hash()
    return [f"LABEL sandbox.recipe={BASE}", f"LABEL sandbox.inputs={digest}",
            f"LABEL sandbox.project={dockerapi.project_label()}"]  # fmt: skip


def status_file(cache: Path) -> Path:
    """Where the base's dpkg status lives on the host (apt's ``Dir::State::status``)."""
    return cache / "base" / base_hash()[:12] / "status"


def ensure_base(cache: Path, progress: Progress) -> str:
    """Build the base image unless its tag exists; returns the tag."""
    tag = base_tag()
    if not dockerapi.image_exists(tag):
        slim = _slim_image(progress)
        if slim:
            progress.step(BASE, f"from {slim}")
            _retag_with_labels(slim, tag)
        else:
            _debootstrap_import(cache, tag, progress)
    status = status_file(cache)
    if not status.is_file():
        dockerapi.copy_file_out(
            tag, "/var/lib/dpkg/status", status, dockerapi.owner_labels("provision", BASE)
        )
    return tag


def _slim_image(progress: Progress) -> str | None:
    name = ":".join(SLIM)
    try:
        dockerapi.client().images.get(name)
        return name
    except ImageNotFound:
        pass
    if os.environ.get("SANDBOX_NO_PULL"):
        return None
    progress.step(BASE, f"trying to pull {name}")
    try:
        dockerapi.client().api.pull(SLIM[0], tag=SLIM[1])
        return name
    except DockerException:
        progress.step(BASE, f"{name} cannot be pulled; building with debootstrap")
        return None


def _retag_with_labels(source: str, tag: str) -> None:
    cid = dockerapi.create_container(
        source, dockerapi.owner_labels("provision", BASE), command=["/bin/true"]
    )
    try:
        repo, _, version = tag.rpartition(":")
        dockerapi.client().api.commit(
            cid, repository=repo, tag=version, changes=IMAGE_CONFIG + base_labels()
        )
    finally:
        dockerapi.discard_container(cid)


def _debootstrap_import(cache: Path, tag: str, progress: Progress) -> None:
    if shutil.which("debootstrap") is None:
        raise ImageBuildFailed(
            "debootstrap is not installed and Docker has no debian:bookworm-slim image",
            "install it (`sudo apt-get install debootstrap`) or load debian:bookworm-slim "
            "into Docker",
        )
    mirror = mirror_for(host_sources(), SUITE)
    log = cache / "logs" / "base-debootstrap.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    debs = cache / "debootstrap"
    debs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="base-", dir=cache))
    try:
        rootfs = work / "rootfs"
        cmd = ["debootstrap", f"--variant={VARIANT}", f"--cache-dir={debs}", SUITE, str(rootfs)]
        if mirror:
            cmd.append(mirror)
        progress.step(BASE, f"debootstrap {SUITE} ({mirror or 'default mirror'})")
        _run(cmd, log, "debootstrap", "check that the host reaches its Debian mirror (see /etc/apt)")
        _slim_down(rootfs)
        archive = work / "rootfs.tar"
        _run(["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(archive), "."],
             log, "tar of the base tree", "check free disk space in the cache dir")  # fmt: skip
        progress.step(BASE, "docker import")
        repo, _, version = tag.rpartition(":")
        dockerapi.client().api.import_image(
            src=str(archive), repository=repo, tag=version, changes=IMAGE_CONFIG + base_labels()
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _slim_down(rootfs: Path) -> None:
    (rootfs / "etc/dpkg/dpkg.cfg.d/sandbox-slim").write_text(DPKG_EXCLUDES)
    (rootfs / "etc/apt/apt.conf.d/sandbox-slim").write_text(
        'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
    )
    for sub in PRUNE:
        target = rootfs / sub
        keep_copyright = sub == "usr/share/doc"
        if not target.is_dir():
            continue
        for child in target.iterdir():
            if keep_copyright and child.is_dir():
                for item in child.iterdir():
                    if item.name != "copyright":
                        _remove(item)
            elif not (sub == "usr/share/locale" and child.name == "locale.alias"):
                _remove(child)
    for name in ("etc/resolv.conf", "etc/hostname"):
        (rootfs / name).unlink(missing_ok=True)
    for leftover in [*rootfs.glob("var/cache/apt/*.bin"), *rootfs.glob("var/cache/apt/archives/*.deb"),
                     *rootfs.glob("var/log/*.log")]:  # fmt: skip
        leftover.unlink()
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _run(cmd: list[str], log: Path, what: str, fix: str) -> None:
    run_logged(cmd, log, f"base image: {what}", fix)