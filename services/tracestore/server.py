"""The trace store as one asyncio process: two HTTP servers (uvicorn) and a UDP listener.

>>> server = TracestoreServer(TracestoreSettings(otlp_port=0, syslog_port=0, query_port=0))
>>> await server.start()                     # doctest: +SKIP
>>> server.ports                             # doctest: +SKIP
{'otlp': 43127, 'syslog': 51820, 'query': 40211}
>>> await server.stop()                      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from .intake import Intake
from .metrics import StoreMetrics
from .otlp_receiver import otlp_app
from .query_api import query_app
from .settings import TracestoreSettings
from .store import TraceStore
from .syslog_spans import SyslogSpanReceiver

GRACEFUL_SHUTDOWN_S = 5
STARTED_POLL_S = 0.005


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the signals to the process (two servers share them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _HttpListener:
    """One uvicorn server on a socket bound beforehand (so that port 0 gives its port)."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.socket = socket.create_server((host, port), backlog=1024)
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                server_header=False, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve, and return once uvicorn has started (a flag it sets, polled briefly)."""
        self._task = asyncio.create_task(self.server.serve(sockets=[self.socket]))
        while not self.server.started:
            if self._task.done():
                self._task.result()  # its exception, if it failed to start
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(STARTED_POLL_S)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
        else:
            self.socket.close()


class TracestoreServer:
    """The store, its two HTTP apps and the syslog listener; `start()`, then `stop()`."""

    def __init__(self, settings: TracestoreSettings) -> None:
        self.settings = settings
        self.store = TraceStore(settings.max_spans)
        self.intake = Intake(self.store, StoreMetrics(self.store))
        self._listening: dict[str, str] = {}
        self._http: list[_HttpListener] = []
        self._udp: asyncio.DatagramTransport | None = None
        self.ports: dict[str, int] = {}

    def checks(self) -> dict[str, str]:
        """Readiness: each listener "ok" once it listens."""
        return {name: self._listening.get(name, "not listening")
                for name in ("otlp", "syslog", "query")}

    async def start(self) -> None:
        """Bind and listen on the three ports; OSError when one cannot be had."""
        s = self.settings
        loop = asyncio.get_running_loop()
        try:
            otlp = _HttpListener(otlp_app(self.intake, s.max_body_bytes), s.host, s.otlp_port)
            self._http.append(otlp)
            query = _HttpListener(query_app(self.intake, self.checks), s.host, s.query_port)
            self._http.append(query)
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: SyslogSpanReceiver(lambda r: self.intake.take_record(r, "syslog"),
                                           self.intake.malformed_frame),
                local_addr=(s.host, s.syslog_port))
        except OSError:
            await self.stop()
            raise
        self.ports = {"otlp": otlp.port, "syslog": self._udp.get_extra_info("sockname")[1],
                      "query": query.port}
        await otlp.start()
        self._listening["otlp"] = "ok"
        self._listening["syslog"] = "ok"
        await query.start()
        self._listening["query"] = "ok"

    async def stop(self) -> None:
        """Stop listening, let requests under way finish (bounded), close."""
        self._listening.clear()
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        await asyncio.gather(*(listener.stop() for listener in self._http))
        self._http.clear()
