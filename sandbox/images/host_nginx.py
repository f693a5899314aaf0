"""The gateway image's nginx, unpacked on the host for the gateway config tests.

``tests/test_nginx_config.py`` runs the gateway's config for real on 127.0.0.1, against a
fake auth and backend, with no Docker. It needs the nginx and the modules the image has
(Debian's nginx and its cache purge module), and a host rarely has them installed; a
system nginx would also start a service. This unpacks the gateway recipe's own nginx debs
(those its image was built from, hard links in the cache) into a folder, with no root and
nothing started::

    python -m sandbox.images.host_nginx .venv/nginx   # install.sh, after `images build`

The folder holds ``usr/sbin/nginx`` and ``usr/lib/nginx/modules/``; a ``.inputs`` file
names the recipe's package digest, so that a second run with the same packages does
nothing. The debs are downloaded first when no image build left them in the cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sandbox.errors import ImageBuildFailed, SandboxError
from sandbox.images.apt import AptDownloader
from sandbox.images.aptsources import host_sources, sources_for
from sandbox.images.base import status_file
from sandbox.images.packages import deb_folder
from sandbox.images.paths import cache_dir, project_root
from sandbox.images.recipes import SUITE, Recipe, packages_hash

RECIPE = "gateway"
UNPACKED = ("nginx_", "nginx-common_", "libnginx-mod-")
"""The debs unpacked, by the start of their file names: the server and its modules."""
BINARY = Path("usr/sbin/nginx")
MODULES = Path("usr/lib/nginx/modules")


def recipe_debs(recipe: Recipe, cache: Path) -> list[Path]:
    """The recipe's nginx debs in the cache, downloaded first when they are not there."""
    folder = deb_folder(recipe, cache)
    if not folder.is_dir():
        if not status_file(cache).is_file():
            raise ImageBuildFailed(
                f"the base image's package list is not in {status_file(cache).parent}",
                "run `sandbox images build` first")
        logs = cache / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        AptDownloader(cache, sources_for(host_sources(), SUITE)).download(
            list(recipe.packages), status_file(cache), folder, logs / "host-nginx.log")
    debs = sorted(p for p in folder.glob("*.deb") if p.name.startswith(UNPACKED))
    if not any(p.name.startswith("nginx_") for p in debs):
        raise ImageBuildFailed(f"recipe {RECIPE} has no nginx deb in {folder}",
                               f"list nginx in compose/images/{RECIPE}/packages.txt")
    return debs


def unpack(dest: Path, root: Path | None = None) -> Path:
    """Unpack the gateway recipe's nginx into ``dest`` (once per package set); the binary."""
    recipe = Recipe.load(RECIPE, root or project_root())
    digest = packages_hash(recipe)
    stamp = dest / ".inputs"
    if stamp.is_file() and stamp.read_text().strip() == digest and (dest / BINARY).is_file():
        return dest / BINARY
    debs = recipe_debs(recipe, cache_dir())
    if shutil.which("dpkg-deb") is None:
        raise SandboxError("dpkg-deb is not installed (it unpacks the gateway's nginx)",
                           "install dpkg (Debian, Ubuntu) or skip the gateway config tests")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True,
                       capture_output=True)
    (tmp / ".inputs").write_text(digest + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest / BINARY


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m sandbox.images.host_nginx DEST", file=sys.stderr)
        return 2
    try:
        binary = unpack(Path(argv[0]))
    except SandboxError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"error: dpkg-deb could not unpack {exc.cmd[2]} ({exc.stderr.decode().strip()}) "
              "-- fix: remove ~/.cache/sandbox/debs and run `sandbox images build` again",
              file=sys.stderr)
        return 1
    print(f"the gateway's nginx: {binary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
