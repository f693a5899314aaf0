"""timeout: data is dropped; the connection closes after ``timeout`` ms (0 or less: it
stays open, passing nothing). As in Toxiproxy, removing the toxic closes the connection:
what it swallowed is gone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class TimeoutToxic(Toxic, type_name="timeout"):
    """Drops data and closes the connection after ``timeout`` ms; 0 never closes."""

    timeout: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout / 1000.0 if self.timeout > 0 else None
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                stub.close()
                return
            try:
                chunk = await asyncio.wait_for(stub.read(), remaining)
            except TimeoutError:
                stub.close()
                return
            if chunk is None:
                return
            stub.drop()

    def cleanup(self, stub: ToxicStub) -> None:
        stub.close()
