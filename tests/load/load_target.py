"""A tiny HTTP/1.1 server for the load engine's tests: 127.0.0.1, an ephemeral port, its own
thread and event loop, keep-alive.

- ``GET /status/<code>`` answers ``<code>``; ``GET /delay/<ms>`` answers 200 after ``<ms>``;
  anything else answers 200 after ``delay_s``;
- ``stall_once(after=n, stall_s=s)``: the n-th request closes a gate for ``s`` seconds, and
  every request waits at the gate before it is answered (a whole-server pause, e.g. GC).

    with LoadTarget() as target:
        httpx.get(target.url + "/status/503")
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Self

REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


class LoadTarget:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests = 0
        self.paths: Counter[str] = Counter()
        self.stalled_at: float | None = None  # monotonic time the stall began
        self.port = 0
        self._stall: tuple[int, float] | None = None
        self._gate: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stall_once(self, after: int, stall_s: float) -> None:
        self._stall = (after, stall_s)

    # ---- lifecycle ------------------------------------------------------------------

    def __enter__(self) -> Self:
        ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(ready),),
                                        daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the load target did not start listening")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop, self._gate = asyncio.Event(), asyncio.Event()
        self._gate.set()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await self._stop.wait()
        # asyncio.run cancels the connections' handlers still running

    # ---- requests ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                _, path, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length" and int(value):
                        await reader.readexactly(int(value))
                status = await self._answer(path)
                body = b"ok"
                writer.write(f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
                             f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                             "\r\n".encode("latin-1") + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, path: str) -> int:
        assert self._gate is not None
        self.requests += 1
        self.paths[path] += 1
        if self._stall and self.requests == self._stall[0]:
            self.stalled_at = time.monotonic()
            self._gate.clear()
            asyncio.get_running_loop().call_later(self._stall[1], self._gate.set)
        await self._gate.wait()
        if path.startswith("/status/"):
            return int(path.removeprefix("/status/"))
        delay = int(path.removeprefix("/delay/")) / 1000 if path.startswith("/delay/") else (
            self.delay_s)
        if delay:
            await asyncio.sleep(delay)
        return 200
