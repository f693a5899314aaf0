"""Errors of the telemetry queries, in the runtime's one-line ``cause -- fix`` form.

    SandboxError
     ├── TelemetryUnavailable   a store (traces, Prometheus, Alertmanager, sink) does not answer
     ├── TraceNotFound          no trace of that id in the trace store
     └── QueryRefused           the store refused the query (bad PromQL, a malformed id)
"""

from __future__ import annotations

from sandbox.errors import SandboxError


class TelemetryUnavailable(SandboxError):
    pass


class TraceNotFound(SandboxError):
    pass


class QueryRefused(SandboxError):
    pass
