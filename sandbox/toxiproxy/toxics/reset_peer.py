"""reset_peer: ``timeout`` ms after data (or the end of the stream) arrives, the
connection is reset: both sockets are closed with SO_LINGER 0, so peers get a TCP RST."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class ResetPeerToxic(Toxic, type_name="reset_peer"):
    """Resets the connection ``timeout`` ms after the first data (0: at once)."""

    timeout: int = 0

    def validate(self) -> None:
        if self.timeout < 0:
            raise ValueError("timeout must not be negative")

    async def pipe(self, stub: ToxicStub) -> None:
        await stub.read()
        if self.timeout > 0:
            await asyncio.sleep(self.timeout / 1000.0)
        stub.close(reset=True)
