"""One direction of one connection: source socket -> chain of toxic stages -> dest socket.

    source --feed--> [stage 0] --> [stage 1] --> ... --> sink --> dest
                       queue         queue

With no toxics, ``feed`` writes straight to the destination (the fast path). Each stage
is a task running one toxic; stages are joined by queues. Every change to the chain is
synchronous on the event loop, so it happens between two steps of the toxics' tasks:

- add: the last stage's output is pointed at the new stage's queue;
- remove: the stage's task is cancelled, the toxic's ``cleanup`` runs (it may end the
  stream), its unsent bytes (``pending``) and its queue are handed, in order, to what
  came after it, and the stage before is relinked;
- update: the task is cancelled, ``pending`` goes back to the front of its own queue and
  the stage restarts with the new toxic.

Toxics only emit or drop prefixes of ``pending`` (see ``toxics/base.py``), so no byte is
lost, reordered or duplicated by any of these.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.toxiproxy.logs import log
from sandbox.toxiproxy.toxics.base import Chunk
from sandbox.toxiproxy.toxics.noop import NoopToxic

if TYPE_CHECKING:
    from sandbox.toxiproxy.toxic_collection import ToxicEntry

Item = Chunk | None  # None: end of stream
Output = Callable[[Item], None]

HIGH_WATER = 1 << 20  # bytes inside the chain before the source is paused
LOW_WATER = HIGH_WATER // 4
_NOOP = NoopToxic()


class Endpoint(Protocol):
    """The socket side a link reads from or writes to (``proxy.Endpoint``)."""

    def write(self, data: memoryview | bytes) -> None: ...
    def close(self) -> None: ...
    def set_reading(self, reading: bool) -> None: ...


class ChunkQueue:
    """FIFO between two stages. ``get`` is cancel-safe: an item is taken only when the
    getter actually resumes, so cancelling a stage never loses an item."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._items: deque[Item] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def put(self, item: Item, front: bool = False) -> None:
        if self.closed:
            if item is not None:
                self._link.consumed(len(item.data))
            return
        (self._items.appendleft if front else self._items.append)(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Item:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None
        return self._items.popleft()

    def take_all(self) -> list[Item]:
        items = list(self._items)
        self._items.clear()
        return items


class Stage:
    """One toxic on one link: the ``ToxicStub`` its toxic works on."""

    def __init__(self, link: Link, entry: ToxicEntry, output: Output) -> None:
        self.link = link
        self.entry = entry
        self.input = ChunkQueue(link)
        self.output = output
        self.pending: Chunk | None = None
        self.state: Any = entry.toxic.new_state()
        self.closed = False
        self.saw_end = False  # the toxic has read the end of the stream
        self.task: asyncio.Task[None] | None = None

    # --- the ToxicStub protocol -------------------------------------------------------
    async def read(self) -> Chunk | None:
        if self.pending is not None:
            self.drop()
        item = await self.input.get()
        self.pending = item
        self.saw_end = item is None
        return item

    def emit(self, nbytes: int | None = None) -> None:
        self._take(nbytes, self.output)

    def drop(self, nbytes: int | None = None) -> None:
        self._take(nbytes, lambda c: self.link.consumed(len(c.data)) if c else None)

    def close(self, reset: bool = False) -> None:
        self._end(pass_on=not reset)
        if reset:
            self.link.reset()

    # --- lifecycle --------------------------------------------------------------------
    def _take(self, nbytes: int | None, to: Output) -> None:
        chunk = self.pending
        if chunk is None or nbytes == 0:
            return
        if nbytes is None or nbytes >= len(chunk.data):
            self.pending = None
            to(chunk)
            return
        to(Chunk(chunk.data[:nbytes], chunk.timestamp))
        chunk.data = chunk.data[nbytes:]

    def _end(self, pass_on: bool = True) -> None:
        """End of this stage's stream: drop what is left, pass the end on."""
        if self.closed:
            return
        self.closed = True
        self.drop()
        self.input.closed = True
        for item in self.input.take_all():
            if item is not None:
                self.link.consumed(len(item.data))
        if pass_on:
            self.output(None)

    def start(self) -> None:
        toxic = self.entry.toxic if self.entry.rolls_true() else _NOOP
        self.task = asyncio.get_running_loop().create_task(self._run(toxic))

    async def _run(self, toxic: Any) -> None:
        try:
            await toxic.pipe(self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 -- a broken toxic ends its connection, not the server
            log("toxic_failed", level="error", toxic=self.entry.name, error=repr(exc))
            self.link.reset()
            return
        if not self.closed:
            self._end()

    def interrupt(self) -> None:
        """Stop the toxic; ``pending`` stays for the caller to hand on."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None

    def leftovers(self) -> list[Item]:
        """Everything not yet emitted, in order (after ``interrupt``)."""
        if self.closed:
            return []
        items: list[Item] = [self.pending] if self.pending is not None else []
        items += self.input.take_all()
        if self.saw_end:
            items.append(None)
        self.pending, self.saw_end = None, False
        return items


class Link:
    """A direction of a connection with its live chain of toxic stages."""

    def __init__(
        self,
        direction: str,
        source: Endpoint,
        dest: Endpoint,
        on_done: Callable[[Link], None],
        on_reset: Callable[[], None],
    ) -> None:
        self.direction = direction
        self.source = source
        self.dest = dest
        self.stages: list[Stage] = []
        self.buffered = 0  # bytes inside the chain
        self.done = False
        self._entry: Output = self._sink
        self._on_done = on_done
        self._on_reset = on_reset
        self._chain_full = False
        self._dest_full = False
        self._reading = True
        self._source_ended = False

    # --- data in and out --------------------------------------------------------------
    def feed(self, data: memoryview) -> None:
        if not self.stages:
            if not self.done:
                self.dest.write(data)
            return
        self.buffered += len(data)
        self._entry(Chunk(memoryview(bytes(data)), asyncio.get_running_loop().time()))
        if self.buffered > HIGH_WATER and not self._chain_full:
            self._chain_full = True
            self._update_reading()

    def feed_eof(self) -> None:
        if not self._source_ended:
            self._source_ended = True
            self._entry(None)

    def _sink(self, item: Item) -> None:
        if self.done:
            if item is not None:
                self.consumed(len(item.data))
            return
        if item is None:
            self.done = True
            self.dest.close()
            self._on_done(self)
            return
        self.dest.write(item.data)
        self.consumed(len(item.data))

    def consumed(self, nbytes: int) -> None:
        self.buffered -= nbytes
        if self._chain_full and self.buffered < LOW_WATER:
            self._chain_full = False
            self._update_reading()

    def dest_full(self, full: bool) -> None:
        self._dest_full = full
        self._update_reading()

    def _update_reading(self) -> None:
        reading = not (self._chain_full or self._dest_full)
        if reading != self._reading:
            self._reading = reading
            self.source.set_reading(reading)

    def reset(self) -> None:
        self._on_reset()

    # --- the chain --------------------------------------------------------------------
    def _output_after(self, index: int) -> Output:
        return self.stages[index + 1].input.put if index + 1 < len(self.stages) else self._sink

    def _relink_before(self, index: int, target: Output) -> None:
        if index == 0:
            self._entry = target
        else:
            self.stages[index - 1].output = target

    def add_toxic(self, entry: ToxicEntry) -> None:
        stage = Stage(self, entry, self._sink)
        self._relink_before(len(self.stages), stage.input.put)
        self.stages.append(stage)
        stage.start()

    def remove_toxic(self, name: str) -> None:
        index = self._index(name)
        stage = self.stages.pop(index)
        stage.interrupt()
        stage.entry.toxic.cleanup(stage)  # may close the connection (timeout does)
        target = self.stages[index].input.put if index < len(self.stages) else self._sink
        self._relink_before(index, target)
        for item in stage.leftovers():
            target(item)

    def update_toxic(self, entry: ToxicEntry) -> None:
        stage = self.stages[self._index(entry.name)]
        if stage.closed:
            stage.entry = entry
            return
        stage.interrupt()
        for item in reversed(stage.leftovers()):
            stage.input.put(item, front=True)
        stage.entry = entry
        stage.start()

    def stop(self) -> None:
        """Cancel every stage (the connection is going away)."""
        self.done = True
        for stage in self.stages:
            stage.interrupt()

    def _index(self, name: str) -> int:
        for i, stage in enumerate(self.stages):
            if stage.entry.name == name:
                return i
        raise KeyError(name)
