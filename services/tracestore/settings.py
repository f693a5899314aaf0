"""The trace store's settings, from its container's environment.

>>> s = TracestoreSettings.from_env({"TRACESTORE_MAX_SPANS": "5000"})
>>> s.otlp_port, s.syslog_port, s.query_port, s.max_spans
(4318, 5514, 16686, 5000)
>>> TracestoreSettings.from_env({"TRACESTORE_QUERY_PORT": "http"})
Traceback (most recent call last):
ValueError: TRACESTORE_QUERY_PORT='http' is not a port: set it to e.g. 16686 (0: any free port)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from services.platform.env_values import env_port, env_positive


@dataclass(frozen=True)
class TracestoreSettings:
    """Where it listens and how much it holds."""

    host: str = "0.0.0.0"
    otlp_port: int = 4318
    syslog_port: int = 5514
    query_port: int = 16686
    max_spans: int = 200_000
    """Spans held at most (``TRACESTORE_MAX_SPANS``); whole oldest traces go first."""
    max_body_bytes: int = 8 * 1024 * 1024
    """An OTLP body's bound, compressed and decompressed (``TRACESTORE_MAX_BODY_BYTES``)."""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TracestoreSettings:
        """Read ``TRACESTORE_*`` and ``LOG_LEVEL``; a bad value is a ValueError naming the
        variable and a good value."""
        e = os.environ if environ is None else environ

        return cls(
            host=e.get("TRACESTORE_HOST", "").strip() or cls.host,
            otlp_port=env_port(e, "TRACESTORE_OTLP_PORT", cls.otlp_port),
            syslog_port=env_port(e, "TRACESTORE_SYSLOG_PORT", cls.syslog_port),
            query_port=env_port(e, "TRACESTORE_QUERY_PORT", cls.query_port),
            max_spans=env_positive(e, "TRACESTORE_MAX_SPANS", cls.max_spans),
            max_body_bytes=env_positive(e, "TRACESTORE_MAX_BODY_BYTES", cls.max_body_bytes),
            log_level=(e.get("LOG_LEVEL") or cls.log_level).upper(),
        )
