"""slicer: chunks are cut into pieces of about ``average_size`` ± ``size_variation``
bytes, ``delay`` µs apart (to exercise clients' reassembly of partial reads).

Every setting is accepted, as Toxiproxy accepts it; pieces are at least one byte, so an
``average_size`` below 1 (the default) cuts data into single bytes, where Toxiproxy's
server overflows its stack (see docs/CREATING_TOXICS.md).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class SlicerToxic(Toxic, type_name="slicer"):
    """Slices data into small pieces with a delay between them."""

    go_int = "int"

    average_size: int = 0
    size_variation: int = 0
    delay: int = 0

    def sizes(self, total: int) -> list[int]:
        """Piece sizes summing to ``total``, split evenly in halves as Toxiproxy does.

        >>> sum(SlicerToxic(average_size=10, size_variation=3).sizes(1000))
        1000
        >>> SlicerToxic().sizes(3)
        [1, 1, 1]
        """
        out: list[int] = []
        todo = [total]
        var = self.size_variation
        while todo:
            size = todo.pop()
            if size <= 1 or size - self.average_size <= var:
                out.append(size)
                continue
            mid = size // 2 + (random.randint(-var, var - 1) if var > 0 else 0)
            mid = min(max(mid, 1), size - 1)
            todo.extend((size - mid, mid))  # popped left half first
        return out

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        step = max(self.delay, 0) / 1e6
        due = loop.time()
        while (chunk := await stub.read()) is not None:
            due = max(due, loop.time())
            for size in self.sizes(len(chunk.data)):
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                stub.emit(size)
                due += step
