"""reset_peer: ``timeout`` ms after data (or the end of the stream) arrives, the
connection is reset: both sockets are closed with SO_LINGER 0, so peers get a TCP RST.

The bytes that started the countdown are never delivered. Removing the toxic before it
fires cancels it: the connection goes on and those bytes flow (Toxiproxy's DELETE instead
blocks until the reset has happened; see docs/CREATING_TOXICS.md)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class ResetPeerToxic(Toxic, type_name="reset_peer"):
    go_name = "ResetToxic"
    """Resets the connection ``timeout`` ms after the first data (0: at once)."""

    timeout: int = 0


    async def pipe(self, stub: ToxicStub) -> None:
        await stub.read()
        if self.timeout > 0:
            await asyncio.sleep(self.timeout / 1000.0)
        stub.close(reset=True)
