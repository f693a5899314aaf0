"""slicer: chunks are cut into pieces of about ``average_size`` ± ``size_variation``
bytes, ``delay`` µs apart (to exercise clients' reassembly of partial reads)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class SlicerToxic(Toxic, type_name="slicer"):
    """Slices data into small pieces with a delay between them."""

    average_size: int = 0
    size_variation: int = 0
    delay: int = 0

    def validate(self) -> None:
        if self.average_size < 1:
            raise ValueError("average_size must be at least 1")
        if not 0 <= self.size_variation < self.average_size:
            raise ValueError("size_variation must be between 0 and average_size - 1")
        if self.delay < 0:
            raise ValueError("delay must not be negative")

    def sizes(self, total: int) -> list[int]:
        """Piece sizes summing to ``total``, split evenly in halves as Toxiproxy does.

        >>> sum(SlicerToxic(average_size=10, size_variation=3).sizes(1000))
        1000
        """
        out: list[int] = []
        todo = [total]
        while todo:
            size = todo.pop()
            if size - self.average_size <= self.size_variation:
                out.append(size)
                continue
            var = self.size_variation
            mid = size // 2 + (random.randint(-var, var - 1) if var else 0)
            mid = min(max(mid, 1), size - 1)
            todo.extend((size - mid, mid))  # popped left half first
        return out

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        step = self.delay / 1e6
        due = loop.time()
        while (chunk := await stub.read()) is not None:
            due = max(due, loop.time())
            for size in self.sizes(len(chunk.data)):
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                stub.emit(size)
                due += step
