"""``sandbox dashboard``: one page to look at a running sandbox, served on 127.0.0.1.

    browser  ──poll──>  server.DashboardServer        GET /, /api/<panel>
                            │
                        panels.*_panel               {"ok": true, "data"} | {"ok": false,
                            │                         "error": "Prometheus unreachable", ...}
                        red / trace_view             shapes for the page's charts
                            │
                        backends.DashboardBackends   Sandbox.status(), .links(), sb.metrics,
                                                     sb.alerts, sb.traces.store, consoles

The page (``assets/``) is vanilla JS and inline SVG, inlined into one document by
``page.dashboard_page``. See ``docs/dashboard.md``.
"""

from sandbox.dashboard.backends import DashboardBackends, backends_for
from sandbox.dashboard.server import DashboardServer

__all__ = ["DashboardBackends", "DashboardServer", "backends_for"]
