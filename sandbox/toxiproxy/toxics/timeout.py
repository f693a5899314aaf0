"""timeout: no data passes; the connection closes after ``timeout`` ms (0: never).

Data is held, not dropped: once the toxic is removed, what was held flows on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class TimeoutToxic(Toxic, type_name="timeout"):
    """Stops data and closes the connection after ``timeout`` ms; 0 holds it forever."""

    timeout: int = 0

    def validate(self) -> None:
        if self.timeout < 0:
            raise ValueError("timeout must not be negative")

    async def pipe(self, stub: ToxicStub) -> None:
        if self.timeout > 0:
            await asyncio.sleep(self.timeout / 1000.0)
            stub.close()
        else:
            await asyncio.Event().wait()  # until the toxic is removed or updated
