"""``sandbox dashboard [--port N] [--no-open]``: the page on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import threading
import webbrowser
from typing import TYPE_CHECKING, Any

from sandbox.errors import SandboxError

if TYPE_CHECKING:
    from sandbox.dashboard.backends import DashboardBackends


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``dashboard`` to the ``sandbox`` parser."""
    dashboard = subparsers.add_parser(
        "dashboard", help="one page: services, RED charts, links and faults, alerts, traces",
        description="Serves a dashboard of the running sandbox on 127.0.0.1 (health, RED "
        "charts from Prometheus, links and their faults, firing alerts, recent traces and "
        "their span waterfalls) and opens it in the browser. Ctrl-C stops it.")
    dashboard.add_argument("--port", type=_port, default=0,
                           help="the port on 127.0.0.1 (default: a free one)")
    dashboard.add_argument("--no-open", action="store_true",
                           help="print the URL only; do not open a browser")
    dashboard.set_defaults(func=cmd_dashboard)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return port


def _backends() -> DashboardBackends:
    from sandbox.dashboard.backends import backends_for
    from sandbox.runtime import Sandbox

    return backends_for(Sandbox.attach())


def _wait_for_interrupt() -> None:
    threading.Event().wait()  # until Ctrl-C (KeyboardInterrupt) or SIGTERM (its subclass)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from sandbox.dashboard.server import DashboardServer

    backends = _backends()  # no sandbox running: NotRunning, one line, before any port
    server = DashboardServer(backends, port=args.port).start()
    run = backends.run.get("run_id")
    print(f"dashboard of run {run} at {server.url} (Ctrl-C stops it)" if run
          else f"dashboard at {server.url} (Ctrl-C stops it)", flush=True)
    try:
        if not args.no_open:
            _open(server.url)
        _wait_for_interrupt()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("dashboard stopped")
    return 0


def _open(url: str) -> Any:
    try:
        return webbrowser.open(url)
    except webbrowser.Error as exc:
        raise SandboxError(f"cannot open a browser ({exc})",
                           f"open {url} yourself, or pass --no-open") from None
