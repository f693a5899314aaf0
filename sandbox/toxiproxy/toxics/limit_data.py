"""limit_data: the connection closes once ``bytes`` bytes have passed this direction."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class _Sent:
    count: int = 0


@dataclass
class LimitDataToxic(Toxic, type_name="limit_data"):
    """Passes at most ``bytes`` bytes per connection, then closes it. The count survives
    updates of the toxic (it is per-connection state)."""

    bytes: int = 0


    def new_state(self) -> _Sent:
        return _Sent()

    async def pipe(self, stub: ToxicStub) -> None:
        sent: _Sent = stub.state
        while (chunk := await stub.read()) is not None:
            allowed = min(max(self.bytes - sent.count, 0), len(chunk.data))
            if allowed:
                stub.emit(allowed)
                sent.count += allowed
            if sent.count >= self.bytes:
                stub.close()
                return
