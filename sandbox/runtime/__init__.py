"""The container runtime: a compose topology run through testcontainers.

Public API: :class:`Sandbox` (see ``engine.py``).
"""

from sandbox.runtime.engine import Sandbox

__all__ = ["Sandbox"]
