"""slow_close: the end of the stream is passed on ``delay`` ms late."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class SlowCloseToxic(Toxic, type_name="slow_close"):
    """Delays the close of the connection by ``delay`` milliseconds; data is untouched."""

    delay: int = 0


    async def pipe(self, stub: ToxicStub) -> None:
        while await stub.read() is not None:
            stub.emit()
        await asyncio.sleep(self.delay / 1000.0)
