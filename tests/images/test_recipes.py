"""Meta-tests: every recipe folder is complete, and the topology only names known recipes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sandbox.errors import ImageBuildFailed
from sandbox.images import RECIPES, expected_tag
from sandbox.images.context import context_members
from sandbox.images.recipes import BASE, Recipe, read_package_list

REPO = Path(__file__).resolve().parents[2]
FOLDERS = sorted(p.name for p in (REPO / "compose/images").iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_recipe_folder_has_dockerfile_and_packages(folder: str) -> None:
    assert (REPO / "compose/images" / folder / "Dockerfile").is_file()
    assert (REPO / "compose/images" / folder / "packages.txt").is_file()


def test_recipe_folders_match_the_registry() -> None:
    assert sorted(set(RECIPES) - {BASE}) == FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_image_has_curl(folder: str) -> None:
    assert "curl" in read_package_list(REPO / "compose/images" / folder / "packages.txt")


@pytest.mark.parametrize("folder", FOLDERS)
def test_dockerfile_builds_from_the_packages_image(folder: str) -> None:
    text = (REPO / "compose/images" / folder / "Dockerfile").read_text()
    assert "ARG PACKAGES_IMAGE" in text and "FROM ${PACKAGES_IMAGE}" in text


def test_topology_names_only_known_recipes() -> None:
    compose = yaml.safe_load((REPO / "compose/docker-compose.yml").read_text())
    used = {
        svc["x-sandbox"]["image"]
        for svc in compose["services"].values()
        if "x-sandbox" in svc
    }
    assert used and used <= set(RECIPES)


def test_unknown_recipe_is_a_clear_error() -> None:
    with pytest.raises(ImageBuildFailed, match="unknown image recipe"):
        expected_tag("mongodb", REPO)


def test_folder_without_dockerfile_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "compose/images/redis").mkdir(parents=True)
    (tmp_path / "compose/images/redis/packages.txt").write_text("redis-server\n")
    with pytest.raises(ImageBuildFailed, match="Dockerfile is missing"):
        Recipe.load("redis", tmp_path)


def test_postgres_context_holds_only_sql_files() -> None:
    names = [name for name, _ in context_members(Recipe.load("postgres", REPO))]
    repo_files = [n for n in names if n.startswith("services/")]
    assert all(n.endswith(".sql") for n in repo_files)


def test_python_context_has_the_code_but_no_bytecode() -> None:
    names = [name for name, _ in context_members(Recipe.load("python", REPO))]
    assert "services/__init__.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
