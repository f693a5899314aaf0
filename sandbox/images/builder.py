"""``ensure_images``: build what is missing, in dependency order, two recipes at a time.

    base ──► <recipe>-packages (host apt download + networkless install + commit)
                 └──► <recipe> (docker build of the recipe's Dockerfile, network none)
"""

from __future__ import annotations

from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import BinaryIO

from docker.errors import APIError, BuildError, DockerException

from sandbox.errors import ImageBuildFailed
from sandbox.images import dockerapi
from sandbox.images.apt import AptDownloader
from sandbox.images.aptsources import host_sources, sources_for
from sandbox.images.base import ensure_base
from sandbox.images.context import build_context
from sandbox.images.packages import ensure_packages_image
from sandbox.images.paths import cache_dir, project_root
from sandbox.images.recipes import (
    BASE,
    RECIPES,
    SUITE,
    Recipe,
    base_tag,
    image_hash,
    image_tag,
    packages_tag,
)
from sandbox.progress import Progress

PARALLEL_BUILDS = 2


def _check(names: set[str]) -> None:
    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        raise ImageBuildFailed(
            f"unknown image recipe(s): {', '.join(unknown)}", f"use one of {', '.join(RECIPES)}"
        )


def expected_tag(recipe: str, root: Path | None = None) -> str:
    """The tag the recipe's current inputs give (hashing files only, no Docker call)."""
    _check({recipe})
    if recipe == BASE:
        return base_tag()
    return image_tag(Recipe.load(recipe, root or project_root()))


def ensure_images(
    recipes: set[str], progress: Progress, *, force: bool = False, root: Path | None = None
) -> dict[str, str]:
    """Make sure every recipe's image exists; returns recipe → tag. Builds only missing ones."""
    _check(recipes)
    root = root or project_root()
    tags = {name: expected_tag(name, root) for name in sorted(recipes)}
    missing = [n for n, t in tags.items() if force or not dockerapi.image_exists(t)]
    for name in sorted(set(tags) - set(missing)):
        progress.done(name, f"{tags[name]} (up to date)")
    if not missing:
        return tags
    dockerapi.remove_stale_containers()
    cache = cache_dir()
    try:
        base = ensure_base(cache, progress)
        if BASE in missing:
            progress.done(BASE, base)
        todo = [Recipe.load(n, root) for n in missing if n != BASE]
        if todo:
            _build_parallel(todo, base, cache, progress, force)
    except KeyboardInterrupt:
        dockerapi.remove_live()
        raise
    return tags


def _build_parallel(
    todo: list[Recipe], base: str, cache: Path, progress: Progress, force: bool
) -> None:
    apt = AptDownloader(cache, sources_for(host_sources(), SUITE))
    pool = ThreadPoolExecutor(max_workers=PARALLEL_BUILDS, thread_name_prefix="image")
    futures = {pool.submit(_build_one, r, base, cache, apt, progress, force): r for r in todo}
    try:
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in finished:
            if future.exception() is not None:
                recipe = futures[future]
                progress.fail(recipe.name, str(future.exception()))
                pool.shutdown(wait=True, cancel_futures=True)
                raise future.exception()  # type: ignore[misc]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        dockerapi.remove_live()
        raise
    pool.shutdown(wait=True)


def _build_one(
    recipe: Recipe, base: str, cache: Path, apt: AptDownloader, progress: Progress, force: bool
) -> str:
    tag = image_tag(recipe)
    log = cache / "logs" / f"{recipe.name}-build.log"
    try:
        packages = ensure_packages_image(recipe, base, cache, apt, progress, force)
        progress.step(recipe.name, "docker build (network none)")
        _docker_build(recipe, packages, tag, log, force)
    except DockerException as exc:
        raise ImageBuildFailed(
            f"recipe {recipe.name}: Docker error ({exc}); logs in {log.parent}",
            "check the Docker daemon (`docker info`) and build again",
        ) from exc
    progress.done(recipe.name, tag)
    return tag


def _docker_build(recipe: Recipe, packages: str, tag: str, log: Path, force: bool) -> None:
    docker_build(recipe.name, build_context(recipe), tag, {"PACKAGES_IMAGE": packages},
                 image_hash(recipe), log, force,
                 f"fix compose/images/{recipe.name}/Dockerfile or the files it copies, then build "
                 "again")


def docker_build(name: str, context: BinaryIO, tag: str, buildargs: dict[str, str],
                 inputs: str, log: Path, force: bool, fix: str) -> None:
    """``docker build`` of a tar ``context`` with no network, labelled with the recipe
    ``name`` and its ``inputs`` hash; the output goes to ``log``, a failure is one line."""
    api = dockerapi.client().api
    labels = {
        "sandbox.recipe": name,
        "sandbox.inputs": inputs,
        "sandbox.project": dockerapi.project_label(),
    }
    lines: list[str] = []
    error = ""
    try:
        for chunk in api.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            buildargs=buildargs,
            labels=labels,
            network_mode="none",
            rm=True,
            forcerm=True,
            pull=False,
            nocache=force,
            decode=True,
        ):
            if "stream" in chunk:
                lines.append(chunk["stream"])
            if "error" in chunk:
                error = chunk["error"]
                lines.append(f"ERROR: {error}\n")
    except (APIError, BuildError) as exc:
        error = str(exc)
        lines.append(f"ERROR: {error}\n")
    finally:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(lines))
    if error:
        tail = " | ".join("".join(lines).strip().splitlines()[-4:])
        raise ImageBuildFailed(f"recipe {name}: docker build failed ({tail}); full log: {log}", fix)


def list_images() -> list[dict[str, str]]:
    """Every image the builder made: recipe, tag, size in MB, whether it is current."""
    rows = []
    for image in dockerapi.client().images.list(filters={"label": "sandbox.inputs"}):
        recipe = image.labels.get("sandbox.recipe", "?")
        for tag in image.tags or ["<none>"]:
            current = recipe in RECIPES and tag == _safe_expected(recipe)
            rows.append({"recipe": recipe, "tag": tag,
                         "size_mb": f"{image.attrs['Size'] / 1e6:.0f}",
                         "current": "yes" if current else ""})  # fmt: skip
    return sorted(rows, key=lambda r: (r["recipe"], r["tag"]))


def current_tags(root: Path | None = None) -> set[str]:
    """Every tag the current inputs give: base, each recipe's packages image and image."""
    tags = {base_tag()}
    for name in RECIPES:
        if name == BASE:
            continue
        recipe = Recipe.load(name, root or project_root())
        tags |= {packages_tag(recipe), image_tag(recipe)}
    return tags


def prune_images(progress: Progress, root: Path | None = None) -> list[str]:
    """Remove the builder's tags that the current inputs no longer give (superseded
    builds), except those a container still uses; returns the removed tags."""
    api = dockerapi.client()
    keep = current_tags(root)
    in_use = {c.image.id for c in api.containers.list(all=True)}
    removed = []
    for image in api.images.list(filters={"label": "sandbox.inputs"}):
        if image.id in in_use or image.labels.get("sandbox.recipe") not in RECIPES:
            continue  # in use, or not a recipe's build (an official-toxiproxy image)
        for tag in image.tags:
            if tag in keep:
                continue
            progress.step("prune", f"removing {tag}")
            api.images.remove(tag)
            removed.append(tag)
    return removed


def _safe_expected(recipe: str) -> str:
    try:
        return expected_tag(recipe)
    except ImageBuildFailed:
        return ""


__all__ = ["current_tags", "ensure_images", "expected_tag", "list_images", "prune_images"]
