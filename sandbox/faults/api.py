"""Faults from Python: context managers that remove their fault however the block ends.

>>> with sb.faults.latency("catalog->postgres", ms=300, jitter=50):   # doctest: +SKIP
...     client.get("/v1/products")                                   # slower by ~300 ms
>>> with sb.faults.down("gateway->catalog"):                          # doctest: +SKIP
...     assert client.get("/v1/products").status_code == 503
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sandbox.faults.links import DOWN, LinkFaults
from sandbox.faults.spec import Fault


class Faults:
    """Link faults of one sandbox (``Sandbox.faults``), each a context manager."""

    def __init__(self, links: LinkFaults) -> None:
        self.links = links

    @contextmanager
    def inject(self, link: str, fault: Fault, stream: str = "downstream",
               toxicity: float = 1.0) -> Iterator[str]:
        """Any fault: yields its id; removed on exit, even after a failure or Ctrl-C."""
        fault_id = self.links.add(link, fault, stream=stream, toxicity=toxicity)
        try:
            yield fault_id
        finally:
            self.links.remove(fault_id)

    def latency(self, link: str, ms: int, jitter: int = 0, stream: str = "downstream"):
        return self.inject(link, Fault("latency", {"latency": ms, "jitter": jitter}), stream)

    def down(self, link: str):
        return self.inject(link, Fault(DOWN))

    def timeout(self, link: str, ms: int, stream: str = "downstream"):
        return self.inject(link, Fault("timeout", {"timeout": ms}), stream)

    def reset_peer(self, link: str, ms: int = 0, stream: str = "downstream"):
        return self.inject(link, Fault("reset_peer", {"timeout": ms}), stream)

    def bandwidth(self, link: str, kb_per_s: int, stream: str = "downstream"):
        return self.inject(link, Fault("bandwidth", {"rate": kb_per_s}), stream)
