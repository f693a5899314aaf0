"""The image recipes: one folder each under ``compose/images/`` and the hash chain of tags.

A recipe folder holds ``Dockerfile`` and ``packages.txt`` (Debian packages, one a line,
``#`` comments), optionally ``post-install.sh`` (run in the provisioning container after
the packages are installed) and ``recipe.toml``::

    context = ["services/*/schema.sql"]   # repository files added to the build context
    wheels = "services/requirements.txt"  # pip requirements installed into /opt/venv

Tags chain: ``sandbox/base:<h>`` → ``sandbox/<recipe>-packages:<h>`` → ``sandbox/<recipe>:<h>``;
each hash covers its own inputs and the hash of the image it starts from.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import ImageBuildFailed
from sandbox.images.hashing import InputHash, is_ignored, walk_files
from sandbox.images.paths import recipes_dir

BUILDER_VERSION = "1"
BASE = "base"
RECIPES: tuple[str, ...] = (
    BASE,
    "postgres",
    "rabbitmq",
    "redis",
    "gateway",
    "prometheus",
    "alertmanager",
    "openssh",
    "python",
    "toxiproxy",
)
SUITE = "bookworm"
VARIANT = "minbase"
# Extra dpkg settings baked into the base: no docs, man pages or translations (like -slim).
DPKG_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
"""
PIP_PLATFORM = (
    "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux_2_17_x86_64",
    "--platform", "manylinux2014_x86_64",
    "--platform", "linux_x86_64",
    "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--abi", "abi3",
    "--abi", "none",
)  # fmt: skip


def tag_of(repository: str, digest: str) -> str:
    return f"sandbox/{repository}:{digest[:12]}"


@dataclass(frozen=True)
class Recipe:
    """One image recipe as found on disk."""

    name: str
    root: Path
    folder: Path
    packages: tuple[str, ...]
    context: tuple[str, ...]
    wheels: str | None

    @classmethod
    def load(cls, name: str, root: Path) -> Recipe:
        folder = recipes_dir(root) / name
        if name not in RECIPES or name == BASE:
            raise ImageBuildFailed(f"unknown image recipe {name!r}", f"use one of {RECIPES}")
        for required in ("Dockerfile", "packages.txt"):
            if not (folder / required).is_file():
                raise ImageBuildFailed(
                    f"recipe {name}: {folder / required} is missing",
                    "every recipe folder needs a Dockerfile and a packages.txt",
                )
        config: dict = {}
        if (folder / "recipe.toml").is_file():
            config = tomllib.loads((folder / "recipe.toml").read_text())
        return cls(
            name=name,
            root=root,
            folder=folder,
            packages=tuple(read_package_list(folder / "packages.txt")),
            context=tuple(config.get("context", ())),
            wheels=config.get("wheels"),
        )

    def recipe_files(self) -> list[tuple[str, Path]]:
        """The recipe folder's files, by name relative to the folder."""
        return [(p.relative_to(self.folder).as_posix(), p) for p in walk_files(self.folder)]

    def context_files(self) -> list[tuple[str, Path]]:
        """Repository files named by ``context`` globs, by path relative to the root."""
        found: dict[str, Path] = {}
        for pattern in self.context:
            for path in self.root.glob(pattern):
                rel = path.relative_to(self.root)
                if path.is_file() and not is_ignored(rel):
                    found[rel.as_posix()] = path
        return sorted(found.items())

    def requirements(self) -> Path | None:
        return self.root / self.wheels if self.wheels else None

    @property
    def post_install(self) -> Path | None:
        path = self.folder / "post-install.sh"
        return path if path.is_file() else None


def read_package_list(path: Path) -> list[str]:
    """Package names of a ``packages.txt`` (comments and blank lines ignored)."""
    names: list[str] = []
    for line in path.read_text().splitlines():
        names += line.split("#", 1)[0].split()
    return names


def base_hash() -> str:
    h = InputHash(BUILDER_VERSION)
    h.add_text("suite", SUITE)
    h.add_text("variant", VARIANT)
    h.add_text("dpkg-excludes", DPKG_EXCLUDES)
    return h.hexdigest()


def packages_hash(recipe: Recipe) -> str:
    from sandbox.images.packages import INSTALL_SCRIPT  # packages imports this module

    h = InputHash(BUILDER_VERSION)
    h.add_text("base", base_hash())
    h.add_text("install-script", INSTALL_SCRIPT)
    h.add_text("packages", "\n".join(sorted(recipe.packages)))
    if recipe.post_install:
        h.add_file("post-install.sh", recipe.post_install)
    requirements = recipe.requirements()
    if requirements is not None:
        if not requirements.is_file():
            raise ImageBuildFailed(
                f"recipe {recipe.name}: requirements file {requirements} is missing",
                "create it or fix `wheels` in the recipe's recipe.toml",
            )
        h.add_file("requirements", requirements)
        h.add_text("pip-platform", " ".join(PIP_PLATFORM))
    return h.hexdigest()


def image_hash(recipe: Recipe) -> str:
    h = InputHash(BUILDER_VERSION)
    h.add_text("packages-image", packages_hash(recipe))
    h.add_files(("recipe/" + n, p) for n, p in recipe.recipe_files())
    h.add_files(("context/" + n, p) for n, p in recipe.context_files())
    return h.hexdigest()


def base_tag() -> str:
    return tag_of(BASE, base_hash())


def packages_tag(recipe: Recipe) -> str:
    return tag_of(f"{recipe.name}-packages", packages_hash(recipe))


def image_tag(recipe: Recipe) -> str:
    return tag_of(recipe.name, image_hash(recipe))
