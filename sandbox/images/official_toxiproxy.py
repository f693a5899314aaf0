"""``sandbox images official-toxiproxy DIR``: a local image of the official Toxiproxy
server, made from its release binaries (``toxiproxy-server`` and ``toxiproxy-cli`` in DIR)
because no registry is reachable. Selected with ``SANDBOX_IMAGE_TOXIPROXY=<tag>``.

The binaries sit where the official image has them (``/toxiproxy``, ``/toxiproxy-cli``,
entrypoint ``/toxiproxy``), on top of the project's ``toxiproxy`` image, whose shell and
curl the runtime's readiness probe and ``POST /populate`` use. The tag hashes the binaries,
the Dockerfile and that image, so a second build with the same inputs builds nothing.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from sandbox.errors import ImageBuildFailed
from sandbox.images import dockerapi
from sandbox.images.builder import docker_build, ensure_images
from sandbox.images.hashing import InputHash
from sandbox.images.paths import cache_dir, project_root
from sandbox.images.recipes import BUILDER_VERSION, tag_of
from sandbox.progress import Progress

NAME = "toxiproxy-official"
BINARIES = ("toxiproxy-server", "toxiproxy-cli")
DOCKERFILE = "compose/toxiproxy/official.Dockerfile"


def binaries_in(directory: Path) -> list[Path]:
    """The two binaries in ``directory``, or a one-line error naming what is missing."""
    paths = [directory / name for name in BINARIES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ImageBuildFailed(
            f"{directory} has no {' or '.join(missing)}",
            "point at the folder of a Toxiproxy release's toxiproxy-server and toxiproxy-cli "
            "(linux amd64 binaries)",
        )
    return paths


def _context(dockerfile: Path, binaries: list[Path]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path, mode in [("Dockerfile", dockerfile, 0o644),
                                 *((p.name, p, 0o755) for p in binaries)]:
            info = tarfile.TarInfo(name)
            data = path.read_bytes()
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def build_official_toxiproxy(directory: Path, progress: Progress, *,
                             root: Path | None = None) -> str:
    """Build (if missing) and return the tag of the official server's image."""
    root = root or project_root()
    binaries = binaries_in(directory)
    dockerfile = root / DOCKERFILE
    base = ensure_images({"toxiproxy"}, progress, root=root)["toxiproxy"]
    h = InputHash(BUILDER_VERSION)
    h.add_text("from", base)
    h.add_file("Dockerfile", dockerfile)
    h.add_files((p.name, p) for p in binaries)
    inputs = h.hexdigest()
    tag = tag_of(NAME, inputs)
    if dockerapi.image_exists(tag):
        progress.done(NAME, f"{tag} (up to date)")
        return tag
    progress.step(NAME, f"docker build from {directory} (network none)")
    docker_build(NAME, _context(dockerfile, binaries), tag, {"FROM_IMAGE": base}, inputs,
                 cache_dir() / "logs" / f"{NAME}-build.log", False,
                 f"fix {DOCKERFILE}, or check the binaries in {directory}")
    progress.done(NAME, tag)
    return tag
