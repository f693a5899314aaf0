"""noop: passes everything through unchanged (also what a toxic becomes when its
toxicity roll fails for a connection)."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.toxiproxy.toxics.base import Toxic, ToxicStub


@dataclass
class NoopToxic(Toxic, type_name="noop"):
    """Passes data through unchanged."""

    async def pipe(self, stub: ToxicStub) -> None:
        while await stub.read() is not None:
            stub.emit()
