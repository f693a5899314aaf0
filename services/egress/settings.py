"""The egress proxy's settings, from its container's environment.

>>> s = EgressSettings.from_env({"PRIVATE_SUBNET": "172.30.0.0/16", "EGRESS_MAX_CONNECTIONS": "8"})
>>> s.port, s.private_subnets, s.max_connections
(3128, '172.30.0.0/16', 8)
>>> EgressSettings.from_env({"EGRESS_IDLE_TIMEOUT_S": "soon"})
Traceback (most recent call last):
ValueError: EGRESS_IDLE_TIMEOUT_S='soon' is not a positive number: set it to e.g. 30.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EgressSettings:
    """Where it listens, what it refuses, and its bounds (seconds, connections)."""

    host: str = "0.0.0.0"
    port: int = 3128
    health_port: int = 8001
    private_subnets: str = ""
    connect_timeout_s: float = 5.0
    idle_timeout_s: float = 30.0
    head_timeout_s: float = 10.0
    max_connections: int = 64
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EgressSettings:
        """Read ``EGRESS_*``, ``PRIVATE_SUBNET``, ``WORKER_PORT`` and ``LOG_LEVEL``; a bad
        value is a ValueError naming the variable and a good value."""
        e = os.environ if environ is None else environ

        def positive(name: str, default: float) -> float:
            text = e.get(name, "")
            if not text:
                return default
            try:
                value = type(default)(text)
            except ValueError:
                value = 0
            if value <= 0:
                raise ValueError(f"{name}={text!r} is not a positive number: set it to e.g. "
                                 f"{default}")
            return value

        def port(name: str, default: int) -> int:
            text = e.get(name, "")
            if not text:
                return default
            if not text.isdigit() or int(text) > 65535:
                raise ValueError(f"{name}={text!r} is not a port: set it to e.g. {default} "
                                 "(0: any free port)")
            return int(text)

        return cls(
            host=e.get("EGRESS_HOST") or cls.host,
            port=port("EGRESS_PORT", cls.port),
            health_port=port("WORKER_PORT", cls.health_port),
            private_subnets=e.get("PRIVATE_SUBNET", ""),
            connect_timeout_s=positive("EGRESS_CONNECT_TIMEOUT_S", cls.connect_timeout_s),
            idle_timeout_s=positive("EGRESS_IDLE_TIMEOUT_S", cls.idle_timeout_s),
            head_timeout_s=positive("EGRESS_HEAD_TIMEOUT_S", cls.head_timeout_s),
            max_connections=int(positive("EGRESS_MAX_CONNECTIONS", cls.max_connections)),
            log_level=(e.get("LOG_LEVEL") or cls.log_level).upper(),
        )
