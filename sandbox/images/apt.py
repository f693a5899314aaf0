"""Downloading Debian packages on the host with apt, relative to a base image's dpkg state.

apt runs with its own state, lists and cache under the user's cache dir and the base
image's ``/var/lib/dpkg/status`` as the installed set, so exactly the packages missing
from the base are fetched. The .deb cache is shared by every recipe and every build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from sandbox.errors import ImageBuildFailed
from sandbox.images.aptsources import AptSource

LISTS_MAX_AGE_S = 24 * 3600
_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)", re.MULTILINE)


@dataclass(frozen=True)
class DebFile:
    """One package apt would install: name, version, architecture."""

    name: str
    version: str
    arch: str

    @property
    def filename(self) -> str:
        """The name apt gives the downloaded file (an epoch's ``:`` becomes ``%3a``)."""
        return f"{self.name}_{self.version.replace(':', '%3a')}_{self.arch}.deb"


class AptDownloader:
    """Runs the host's apt-get against private state; one download at a time per cache."""

    def __init__(self, cache: Path, sources: list[AptSource]) -> None:
        self.root = cache / "apt"
        self.sources = sources
        self._lock = FileLock(str(self.root) + ".lock")

    def options(self, status_file: Path) -> list[str]:
        """The ``-o`` options that point apt at our directories instead of the host's."""
        r = self.root
        pairs = [
            ("Dir::State", r / "state"),
            ("Dir::State::Lists", r / "lists"),
            ("Dir::State::status", status_file),
            ("Dir::Cache", r / "cache"),
            ("Dir::Cache::archives", r / "archives"),
            ("Dir::Etc::SourceList", r / "sources.list"),
            ("Dir::Etc::SourceParts", r / "sources.list.d"),
            ("APT::Install-Recommends", "false"),
            ("APT::Install-Suggests", "false"),
            ("APT::Get::AllowUnauthenticated", "false"),
        ]
        return [arg for key, value in pairs for arg in ("-o", f"{key}={value}")]

    def _prepare(self) -> None:
        for sub in ("state", "lists/partial", "cache", "archives/partial", "sources.list.d"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        text = "".join(s.one_line() + "\n" for s in self.sources)
        path = self.root / "sources.list"
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            shutil.rmtree(self.root / "lists", ignore_errors=True)
            (self.root / "lists/partial").mkdir(parents=True)

    def _lists_fresh(self) -> bool:
        stamp = self.root / "lists.stamp"
        return stamp.is_file() and time.time() - stamp.stat().st_mtime < LISTS_MAX_AGE_S

    def _apt(self, args: list[str], status_file: Path, log: Path) -> str:
        if shutil.which("apt-get") is None:
            raise ImageBuildFailed(
                "apt-get not found on this host: Debian packages are downloaded on the host",
                "run `sandbox images build` on a Debian/Ubuntu host with apt, or copy a "
                "prepared cache into ~/.cache/sandbox/apt",
            )
        cmd = ["apt-get", "-q", *self.options(status_file), *args]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        with log.open("a") as out:
            out.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            raise ImageBuildFailed(
                f"apt-get {args[0] if args else ''} failed ({tail}); full log: {log}",
                "check the package names in packages.txt and that the host reaches its apt "
                "mirror",
            )
        return proc.stdout

    def download(self, packages: list[str], status_file: Path, dest: Path, log: Path) -> list[Path]:
        """Fetch what ``packages`` need beyond ``status_file``; hard-link them into ``dest``."""
        with self._lock:
            self._prepare()
            if not self._lists_fresh():
                self._apt(["update"], status_file, log)
                (self.root / "lists.stamp").touch()
            plan = self._apt(["-s", "install", *packages], status_file, log)
            debs = [DebFile(*m) for m in _INST.findall(plan)]
            if debs:
                self._apt(["install", "--download-only", "-y", *packages], status_file, log)
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        files = []
        for deb in debs:
            source = self.root / "archives" / deb.filename
            if not source.is_file():
                raise ImageBuildFailed(
                    f"apt reported {deb.filename} but it is not in {source.parent}; log: {log}",
                    "remove ~/.cache/sandbox/apt and build again",
                )
            target = tmp / deb.filename
            os.link(source, target)
            files.append(dest / deb.filename)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return files
