"""latency: every chunk leaves ``latency`` ms (± ``jitter`` ms) after it was read;
a negative delay is none, as in Toxiproxy."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class LatencyToxic(Toxic, type_name="latency"):
    """Delays each chunk by latency ± jitter milliseconds, measured from when it was read,
    so chunks in flight are delayed in parallel, not one after the other."""

    latency: int = 0
    jitter: int = 0


    def delay(self) -> float:
        """One delay in seconds."""
        jitter = random.randint(-self.jitter, self.jitter - 1) if self.jitter > 0 else 0
        return max(self.latency + jitter, 0) / 1000.0

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        while (chunk := await stub.read()) is not None:
            wait = chunk.timestamp + self.delay() - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            stub.emit()
