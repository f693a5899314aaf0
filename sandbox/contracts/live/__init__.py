"""Live verification of the recorded pacts against the running sandbox
(``sandbox contracts verify``); see ``engine``."""

from .engine import LivePair, LiveResult, verify_live

__all__ = ["LivePair", "LiveResult", "verify_live"]
