"""Image builds without a registry: ``sandbox images build``.

Every image is built from Debian bookworm packages fetched on the host; build and
provisioning containers never reach the network. Tags are input hashes, so a second
build with nothing changed does nothing::

    from sandbox.images import ensure_images
    from sandbox.progress import ConsoleProgress
    tags = ensure_images({"postgres", "python"}, ConsoleProgress())
"""

from sandbox.images.builder import ensure_images, expected_tag, list_images
from sandbox.images.recipes import RECIPES

__all__ = ["RECIPES", "ensure_images", "expected_tag", "list_images"]
