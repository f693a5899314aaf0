"""Input hashing: the tag changes exactly when an input changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox.images import expected_tag
from sandbox.images.recipes import Recipe, image_hash, packages_hash

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the project's compose/ and services/ schema files in a temp dir."""
    shutil.copytree(REPO / "compose", tmp_path / "compose")
    (tmp_path / "services/catalog").mkdir(parents=True)
    (tmp_path / "services/catalog/schema.sql").write_text("CREATE TABLE t (id int);\n")
    (tmp_path / "services/requirements.txt").write_text("httpx==0.28.1\n")
    return tmp_path


def test_unchanged_inputs_keep_the_tag(project: Path) -> None:
    assert expected_tag("postgres", project) == expected_tag("postgres", project)


def test_tag_has_recipe_name_and_12_hex_digits(project: Path) -> None:
    repo, _, digest = expected_tag("redis", project).partition(":")
    assert repo == "sandbox/redis"
    assert len(digest) == 12 and int(digest, 16) >= 0


def test_changing_a_context_file_changes_the_tag(project: Path) -> None:
    before = expected_tag("postgres", project)
    (project / "services/catalog/schema.sql").write_text("CREATE TABLE t (id bigint);\n")
    assert expected_tag("postgres", project) != before


def test_adding_a_seed_file_changes_the_tag(project: Path) -> None:
    before = expected_tag("postgres", project)
    (project / "services/catalog/seed.sql").write_text("INSERT INTO t VALUES (1);\n")
    assert expected_tag("postgres", project) != before


def test_changing_the_dockerfile_changes_the_tag(project: Path) -> None:
    before = expected_tag("redis", project)
    dockerfile = project / "compose/images/redis/Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\n# changed\n")
    assert expected_tag("redis", project) != before


def test_exec_bit_is_an_input(project: Path) -> None:
    script = project / "compose/images/redis/entrypoint.sh"
    before = expected_tag("redis", project)
    script.chmod(0o644)
    assert expected_tag("redis", project) != before


def test_package_list_changes_packages_image_and_final_tag(project: Path) -> None:
    recipe = Recipe.load("redis", project)
    before = (packages_hash(recipe), image_hash(recipe))
    packages = project / "compose/images/redis/packages.txt"
    packages.write_text(packages.read_text() + "less\n")
    recipe = Recipe.load("redis", project)
    after = (packages_hash(recipe), image_hash(recipe))
    assert before[0] != after[0] and before[1] != after[1]


def test_comments_in_package_list_do_not_change_the_tag(project: Path) -> None:
    before = packages_hash(Recipe.load("redis", project))
    packages = project / "compose/images/redis/packages.txt"
    packages.write_text("# a comment\n" + packages.read_text())
    assert packages_hash(Recipe.load("redis", project)) == before


def test_python_code_change_keeps_the_packages_image(project: Path) -> None:
    (project / "services/platform").mkdir(parents=True)
    code = project / "services/platform/config.py"
    code.write_text("A = 1\n")
    before = Recipe.load("python", project)
    hashes = (packages_hash(before), image_hash(before))
    code.write_text("A = 2\n")
    after = Recipe.load("python", project)
    assert packages_hash(after) == hashes[0]
    assert image_hash(after) != hashes[1]


def test_requirements_change_rebuilds_the_packages_image(project: Path) -> None:
    before = packages_hash(Recipe.load("python", project))
    (project / "services/requirements.txt").write_text("httpx==0.28.0\n")
    assert packages_hash(Recipe.load("python", project)) != before


def test_bytecode_caches_are_not_inputs(project: Path) -> None:
    before = expected_tag("postgres", project)
    cache = project / "services/catalog/__pycache__"
    cache.mkdir()
    (cache / "schema.cpython-311.pyc").write_bytes(b"\0")
    assert expected_tag("postgres", project) == before
