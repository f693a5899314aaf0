"""The dashboard's HTTP server on 127.0.0.1: the page, and one JSON endpoint per panel.

    GET /                        the page (self-contained: inline CSS, JS and SVG)
    GET /api/overview            the run, its consoles' URLs
    GET /api/services            Sandbox.status()
    GET /api/links               links and their active faults
    GET /api/red                 RED series per service (Prometheus query_range)
    GET /api/alerts              pending and firing alerts (Prometheus, Alertmanager)
    GET /api/traces?service=&limit=    the newest traces
    GET /api/traces/ID           one trace's waterfall rows

Every endpoint answers 200 with a panel (``panels.py``): a backend that fails is data.

>>> with DashboardServer(backends_for(Sandbox.attach())) as server:   # doctest: +SKIP
...     print(server.url)                                             # http://127.0.0.1:41234/
"""

from __future__ import annotations

import errno
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.dashboard import panels
from sandbox.dashboard.backends import DashboardBackends
from sandbox.dashboard.page import dashboard_page
from sandbox.errors import PortInUse, SandboxError

HOST = "127.0.0.1"
# the page may load nothing from anywhere but itself (the machines reach no internet)
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'")

Route = Callable[[DashboardBackends, dict[str, str]], dict[str, Any]]
ROUTES: dict[str, Route] = {
    "/api/overview": lambda b, q: panels.overview_panel(b),
    "/api/services": lambda b, q: panels.services_panel(b),
    "/api/links": lambda b, q: panels.links_panel(b),
    "/api/red": lambda b, q: panels.red_panel(b),
    "/api/alerts": lambda b, q: panels.alerts_panel(b),
    "/api/traces": lambda b, q: panels.traces_panel(
        b, q.get("service") or None, _limit(q.get("limit"))),
}


def _limit(text: str | None, default: int = 20, most: int = 100) -> int:
    try:
        return max(1, min(int(text or default), most))
    except ValueError:
        return default


class DashboardRequestHandler(BaseHTTPRequestHandler):
    server: DashboardHttpServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        backends = self.server.backends
        if parts.path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", dashboard_page().encode())
        elif parts.path in ROUTES:
            self._json(ROUTES[parts.path](backends, query))
        elif parts.path.startswith("/api/traces/"):
            self._json(panels.trace_panel(backends, unquote(parts.path.rpartition("/")[2])))
        else:
            self._send(404, "application/problem+json", json.dumps(
                {"type": "about:blank", "title": "Not Found", "status": 404,
                 "detail": f"no page or endpoint {parts.path}"}).encode())

    def _json(self, panel: dict[str, Any]) -> None:
        self._send(200, "application/json", json.dumps(panel, allow_nan=False,
                                                       default=str).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the URL and errors only


class DashboardHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backends: DashboardBackends) -> None:
        self.backends = backends
        super().__init__(address, DashboardRequestHandler)


class DashboardServer:
    """The server on ``127.0.0.1:port`` (0: a free port), served from a thread."""

    def __init__(self, backends: DashboardBackends, port: int = 0) -> None:
        try:
            self.http = DashboardHttpServer((HOST, port), backends)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {port} on {HOST} is taken",
                                "pick another with --port N, or leave --port out for a free "
                                "one") from None
            raise SandboxError(f"cannot listen on {HOST}:{port} ({exc.strerror})",
                               "pick another port with --port N (1024-65535)") from None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> Self:
        # the poll interval bounds how long stop() (Ctrl-C) waits for the loop
        self._thread = threading.Thread(target=self.http.serve_forever, args=(0.05,),
                                        name="dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.http.shutdown()
            self._thread.join()
            self._thread = None
        self.http.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
