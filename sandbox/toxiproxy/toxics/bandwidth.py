"""bandwidth: limits a direction to ``rate`` KB/s (1 KB = 1000 bytes, as Toxiproxy).

A rate of 0 (or less) lets nothing through, as in Toxiproxy: data waits until the toxic
is removed or updated, then flows on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class BandwidthToxic(Toxic, type_name="bandwidth"):
    """Passes data at ``rate`` KB/s. Each piece (at most 100 ms worth) leaves when the
    link would have finished sending it; deadlines, not sleeps, so errors do not add up."""

    rate: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        free_at = loop.time()
        while await stub.read() is not None:
            if self.rate <= 0:
                await asyncio.Event().wait()  # held until the toxic is removed or updated
            bytes_per_second = self.rate * 1000.0
            piece = self.rate * 100  # 100 ms worth
            free_at = max(free_at, loop.time())
            while stub.pending is not None:
                size = min(len(stub.pending.data), piece)
                free_at += size / bytes_per_second
                wait = free_at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                stub.emit(size)
