"""The toxic protocol: a toxic decides when, and how much, of each chunk passes on.

A toxic never writes bytes of its own: it reads a chunk into ``stub.pending`` and then
emits or drops a prefix of it. The link owns every byte not yet emitted, so a toxic that
is interrupted (updated, removed) cannot lose, reorder or duplicate data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sandbox.toxiproxy.toxics.registry import register


@dataclass(slots=True)
class Chunk:
    """Bytes read from a socket, stamped with the loop time they were read at."""

    data: memoryview
    timestamp: float


class ToxicStub(Protocol):
    """What a toxic sees of one direction of one connection."""

    pending: Chunk | None  # the chunk read last, minus what was emitted or dropped
    state: Any  # per-connection state from ``Toxic.new_state()``

    async def read(self) -> Chunk | None: ...  # None: the stream ended
    def emit(self, nbytes: int | None = None) -> None: ...  # pass on a prefix of pending
    def drop(self, nbytes: int | None = None) -> None: ...  # discard a prefix of pending
    def close(self, reset: bool = False) -> None: ...  # end the connection (RST if reset)


class Toxic(ABC):
    """A fault kind. Subclass with ``type_name=...`` (a dataclass of int attributes).

    ``go_name`` is the name of Toxiproxy's struct for it and ``go_int`` the Go type of its
    attributes: API errors name them, as Toxiproxy's do."""

    type_name: ClassVar[str]
    go_name: ClassVar[str] = ""
    go_int: ClassVar[str] = "int64"

    def __init_subclass__(cls, type_name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if type_name is not None:
            cls.type_name = type_name
            if not cls.go_name:
                cls.go_name = "".join(p.title() for p in type_name.split("_")) + "Toxic"
            register(type_name, cls)

    def validate(self) -> None:
        """Raise ValueError when the attributes make no sense."""

    def new_state(self) -> Any:
        """Per-connection state kept across interruptions (see ``limit_data``)."""
        return None

    def cleanup(self, stub: ToxicStub) -> None:
        """Called when the toxic is removed from a live connection (after its ``pipe`` is
        stopped); ``timeout`` closes the connection here, as Toxiproxy's does."""

    @abstractmethod
    async def pipe(self, stub: ToxicStub) -> None:
        """Move data until the input ends (``read()`` returns None) or ``close()``."""
