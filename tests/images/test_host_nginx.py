"""The gateway's nginx unpacked on the host: from the recipe's debs in the cache, once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sandbox.errors import SandboxError
from sandbox.images import host_nginx
from sandbox.images.packages import deb_folder
from sandbox.images.paths import project_root
from sandbox.images.recipes import Recipe

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="no dpkg-deb here")


def _deb(folder: Path, name: str, files: dict[str, str]) -> None:
    """A minimal deb holding ``files`` (path -> text)."""
    tree = folder / f"{name}.tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name.split('_')[0]}\nVersion: 1\nArchitecture: all\n"
        "Maintainer: sandbox <sandbox@localhost>\nDescription: test\n")
    for path, text in files.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
    subprocess.run(["dpkg-deb", "-b", str(tree), str(folder / f"{name}.deb")], check=True,
                   capture_output=True)
    shutil.rmtree(tree)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setattr(host_nginx, "cache_dir", lambda: cache)
    return cache


def test_the_recipes_nginx_and_modules_are_unpacked_and_nothing_else(cache: Path,
                                                                     tmp_path: Path) -> None:
    recipe = Recipe.load(host_nginx.RECIPE, project_root())
    debs = deb_folder(recipe, cache)
    debs.mkdir(parents=True)
    _deb(debs, "nginx_1_amd64", {"usr/sbin/nginx": "#!/bin/sh\n"})
    _deb(debs, "libnginx-mod-http-cache-purge_1_amd64",
         {"usr/lib/nginx/modules/ngx_http_cache_purge_module.so": "module"})
    _deb(debs, "curl_1_amd64", {"usr/bin/curl": "curl"})
    dest = tmp_path / "nginx"
    binary = host_nginx.unpack(dest)
    assert binary == dest / "usr/sbin/nginx" and binary.is_file()
    assert (dest / host_nginx.MODULES / "ngx_http_cache_purge_module.so").is_file()
    assert not (dest / "usr/bin/curl").exists()
    # the same packages again: nothing to do (the debs may be gone from the cache by then)
    shutil.rmtree(debs)
    assert host_nginx.unpack(dest) == binary


def test_without_the_debs_or_the_base_it_says_to_build_the_images(cache: Path,
                                                                  tmp_path: Path) -> None:
    with pytest.raises(SandboxError) as info:
        host_nginx.unpack(tmp_path / "nginx")
    assert "run `sandbox images build` first" in info.value.one_line()
    assert host_nginx.main([str(tmp_path / "nginx")]) == 1
    assert not (tmp_path / "nginx").exists()
