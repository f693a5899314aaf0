"""Is a running sandbox the one this checkout would start?

A test run uses the developer's running sandbox instead of starting a second topology
beside it, but only when nothing it would start differs: the same compose file (by
content), the same image for every service (recipe tags are hashes of their inputs, so
an edited service is a different tag) and, when the run asks for one, the same env.
``difference`` names the first thing that differs, in words a user can act on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from sandbox.runtime.images import planned_images
from sandbox.runtime.state import RunState
from sandbox.topology import load_topology


def compose_digest(path: Path) -> str:
    """sha256 of the compose file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def difference(
    state: RunState, compose: Path, env: str | None, variables: Mapping[str, str]
) -> str | None:
    """Why ``state``'s run is not what this checkout would start, or ``None`` when it is.
    ``env=None`` accepts the run's env; ``variables`` interpolate the compose file (the
    environment, where ``SANDBOX_IMAGE_<SERVICE>`` picks an image)."""
    if env is not None and state.env != env:
        return f"it runs env {state.env}, this run asks for {env}"
    if not state.images or state.compose_digest is None:
        return "it was started by a version of the sandbox that does not record its images"
    if state.compose_digest != compose_digest(compose):
        return "its compose file differs from this checkout's"
    topology = load_topology(compose, {**variables, "SANDBOX_ENV": state.env})
    planned = planned_images(topology)
    if set(planned) != set(state.images):
        return "its services differ from this checkout's"
    changed = sorted(name for name, image in planned.items() if state.images[name] != image)
    if changed:
        shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
        return f"its images differ from this checkout's ({shown})"
    return None
