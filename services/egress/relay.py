"""Bytes both ways between the client and the destination, until one closes or both idle.

``idle_timeout`` counts from the last byte moved in either direction, so a long upload
or a slow response keeps the connection alive and a silent one is closed. The client's
end of data is passed on (half-close) and the relay goes on until the destination has
finished: the destination closing ends the exchange. For forwarded HTTP requests the
destination's response head is rewritten first (``Connection: close``).

>>> traffic = await relay(client_r, client_w, dest_r, dest_w, idle_timeout=30)  # doctest: +SKIP
>>> traffic.up, traffic.down, traffic.ended                                      # doctest: +SKIP
(412, 97, 'closed')
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .request import response_head_closing

CHUNK = 65536
T = TypeVar("T")


class IdleTimeout(Exception):
    """Nothing moved either way for the idle timeout."""


class NoResponse(Exception):
    """The destination closed, or sent no HTTP response head, before answering."""


@dataclass
class Traffic:
    """What moved: bytes each way, the destination's status (HTTP), how it ended."""

    up: int = 0
    down: int = 0
    status: int | None = None
    ended: str = "closed"  # closed | idle | reset | no_response


class Activity:
    """The time of the last byte moved, shared by both directions."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.last = self._loop.time()

    def touch(self) -> None:
        self.last = self._loop.time()

    async def bounded(self, idle_timeout: float, step: Callable[[], Awaitable[T]]) -> T:
        """``await step()``, unless nothing moves either way for ``idle_timeout``."""
        while True:
            remaining = self.last + idle_timeout - self._loop.time()
            if remaining <= 0:
                raise IdleTimeout
            try:
                async with asyncio.timeout(remaining):
                    return await step()
            except TimeoutError:
                continue  # the other direction may have moved meanwhile: look again


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, activity: Activity,
               idle_timeout: float, count: Callable[[int], None]) -> None:
    """Copy ``reader`` to ``writer`` until end of data, then pass the end on."""
    while True:
        data = await activity.bounded(idle_timeout, lambda: reader.read(CHUNK))
        if not data:
            if writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()
            return
        writer.write(data)
        await activity.bounded(idle_timeout, writer.drain)
        activity.touch()
        count(len(data))


async def forward_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           activity: Activity, idle_timeout: float, traffic: Traffic) -> None:
    """The destination's response: its head rewritten (``Connection: close``), then as is."""
    try:
        head = await activity.bounded(idle_timeout, lambda: reader.readuntil(b"\r\n\r\n"))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise NoResponse(str(exc)) from None
    if not head.startswith(b"HTTP/1."):
        raise NoResponse("not an HTTP response")
    rewritten, traffic.status = response_head_closing(head)
    writer.write(rewritten)
    activity.touch()
    traffic.down += len(rewritten)
    await pump(reader, writer, activity, idle_timeout, lambda n: _add_down(traffic, n))


def _add_down(traffic: Traffic, n: int) -> None:
    traffic.down += n


def _add_up(traffic: Traffic, n: int) -> None:
    traffic.up += n


async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter,
                dest_reader: asyncio.StreamReader, dest_writer: asyncio.StreamWriter, *,
                idle_timeout: float, http: bool = False) -> Traffic:
    """Relay until the destination has finished (or an error, or idleness); ``http``: the
    destination's first bytes are an HTTP response head to rewrite."""
    traffic = Traffic()
    activity = Activity()
    up = asyncio.create_task(
        pump(client_reader, dest_writer, activity, idle_timeout, lambda n: _add_up(traffic, n)))
    if http:
        down = asyncio.create_task(
            forward_response(dest_reader, client_writer, activity, idle_timeout, traffic))
    else:
        down = asyncio.create_task(pump(dest_reader, client_writer, activity, idle_timeout,
                                        lambda n: _add_down(traffic, n)))
    pending: set[asyncio.Task[None]] = {up, down}
    try:
        while down in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if up in done and up.exception() is not None:
                break
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    for task in (down, up):
        error = None if task.cancelled() else task.exception()
        if isinstance(error, IdleTimeout):
            traffic.ended = "idle"
        elif isinstance(error, NoResponse):
            traffic.ended = "no_response"
        elif isinstance(error, OSError):
            traffic.ended = "reset"
        elif error is not None:
            raise error
        if error is not None:
            break
    return traffic
