"""Which image each service runs: the recipe's tag from the image builder, or the
image the compose file (or ``SANDBOX_IMAGE_<SERVICE>``) names."""

from __future__ import annotations

import docker

from sandbox.errors import ImageBuildFailed
from sandbox.progress import Progress
from sandbox.topology import Topology


def uses_recipe(image: str, recipe: str | None) -> bool:
    """True when the service runs its recipe's image (``sandbox/<recipe>``, untagged)."""
    return recipe is not None and image in (f"sandbox/{recipe}", f"sandbox/{recipe}:latest")


def resolve_images(
    client: docker.DockerClient, topology: Topology, progress: Progress
) -> dict[str, str]:
    """service -> image reference present locally; builds missing recipe images."""
    recipes = _recipes(topology)
    tags: dict[str, str] = {}
    if recipes:
        try:
            from sandbox.images import ensure_images
        except ImportError:
            raise ImageBuildFailed(
                f"the image builder (sandbox.images) is not available to build {sorted(recipes)}",
                "install the project with its images module, or set SANDBOX_IMAGE_<SERVICE>",
            ) from None
        tags = ensure_images(recipes, progress)
    chosen = _chosen(topology, tags)
    for name, image in sorted(chosen.items()):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            var = "SANDBOX_IMAGE_" + name.upper().replace("-", "_")
            raise ImageBuildFailed(
                f"image {image} of service {name} is not present and no registry is reachable",
                f"run `sandbox images build`, or set {var} to a local image",
            ) from None
    return chosen


def planned_images(topology: Topology) -> dict[str, str]:
    """service -> the image reference ``up`` would start now, with no build and no Docker
    call: a recipe's tag is the hash of its current inputs."""
    from sandbox.images.builder import expected_tag

    return _chosen(topology, {recipe: expected_tag(recipe) for recipe in _recipes(topology)})


def _recipes(topology: Topology) -> set[str]:
    """The recipes whose images the topology runs (a service overridden elsewhere: none)."""
    return {
        s.recipe for s in topology.services.values() if s.recipe and uses_recipe(s.image, s.recipe)
    }


def _chosen(topology: Topology, tags: dict[str, str]) -> dict[str, str]:
    return {
        name: tags[s.recipe] if s.recipe in tags and uses_recipe(s.image, s.recipe) else s.image
        for name, s in topology.services.items()
    }
