"""The packages image of a recipe: base + its Debian packages (+ a venv of wheels).

Debs (and wheels) are fetched on the host, mounted read-only into a ``--network none``
container started from the base, installed there, and the container is committed.
"""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.errors import ImageBuildFailed
from sandbox.images import dockerapi
from sandbox.images.apt import AptDownloader
from sandbox.images.base import status_file
from sandbox.images.recipes import Recipe, packages_hash, packages_tag
from sandbox.images.wheels import ensure_wheels
from sandbox.progress import Progress

INSTALL_SCRIPT = """\
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
if ls /sandbox/debs/*.deb >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold \\
    /sandbox/debs/*.deb
fi
if [ -f /sandbox/recipe/post-install.sh ]; then sh -e /sandbox/recipe/post-install.sh; fi
if [ -d /sandbox/wheels ]; then
  python3 -m venv /opt/venv
  /opt/venv/bin/pip install -q --no-index --no-cache-dir --disable-pip-version-check \\
    --find-links /sandbox/wheels -r /sandbox/wheels/requirements.txt
  # bytecode compiled once here: without it every container compiles every import at
  # each start (seconds of CPU per service while the whole topology starts)
  /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib >/dev/null
fi
rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/*.log /tmp/* \\
  /var/cache/debconf/*-old /root/.cache
"""
# A committed container keeps its labels: blank the short-lived ones so that containers
# started from the image are never mistaken for provisioning leftovers.
BLANK_OWNER = 'LABEL sandbox.role="" sandbox.owner-pid="" sandbox.owner-host=""'


def deb_folder(recipe: Recipe, cache: Path) -> Path:
    """Where the debs of ``recipe``'s package set are kept (hard links into apt's cache)."""
    return cache / "debs" / packages_hash(recipe)[:12]


def ensure_packages_image(
    recipe: Recipe, base: str, cache: Path, apt: AptDownloader, progress: Progress, force: bool
) -> str:
    """Build ``sandbox/<recipe>-packages:<hash>`` unless it exists; returns the tag."""
    tag = packages_tag(recipe)
    if not force and dockerapi.image_exists(tag):
        return tag
    logs = cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{recipe.name}-packages.log"
    log.write_text("")
    digest = packages_hash(recipe)
    progress.step(recipe.name, f"apt download of {len(recipe.packages)} packages + deps")
    debdir = deb_folder(recipe, cache)
    debs = apt.download(list(recipe.packages), status_file(cache), debdir, log)
    mounts: dict[Path, str] = {debdir: "/sandbox/debs"}
    if recipe.post_install:
        mounts[recipe.folder] = "/sandbox/recipe"
    requirements = recipe.requirements()
    if requirements is not None:
        progress.step(recipe.name, "pip download of wheels")
        version = target_python_version([d.name for d in debs])
        mounts[ensure_wheels(requirements, version, cache, log)] = "/sandbox/wheels"
    progress.step(recipe.name, f"installing {len(debs)} debs (network none)")
    dockerapi.provision(
        base,
        INSTALL_SCRIPT,
        mounts,
        dockerapi.owner_labels("provision", recipe.name),
        tag,
        [
            'CMD ["/bin/bash"]',
            f"LABEL sandbox.recipe={recipe.name}-packages sandbox.inputs={digest}",
            BLANK_OWNER,
        ],
        logs / f"{recipe.name}-provision.log",
        f"recipe {recipe.name}: installing packages",
    )
    return tag



_PYTHON_DEB = re.compile(r"^python3\.\d+_(?:\d+:)?(3\.\d+\.\d+)")


def target_python_version(deb_names: list[str]) -> str:
    """The image's CPython version, read from its ``python3.X`` package.

    >>> target_python_version(["curl_7.88_amd64.deb", "python3.11_3.11.2-6+deb12u9_amd64.deb"])
    '3.11.2'
    """
    for name in deb_names:
        match = _PYTHON_DEB.match(name)
        if match:
            return match.group(1)
    raise ImageBuildFailed(
        "a recipe with `wheels` does not install a python3.X Debian package",
        "add python3 and python3-venv to its packages.txt",
    )
