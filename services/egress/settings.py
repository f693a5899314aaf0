"""The egress proxy's settings, from its container's environment.

>>> s = EgressSettings.from_env({"SANDBOX_SUBNETS": "172.30.0.0/16 172.31.0.0/16",
...                              "EGRESS_MAX_CONNECTIONS": "8"})
>>> s.port, s.sandbox_subnets, s.max_connections
(3128, '172.30.0.0/16 172.31.0.0/16', 8)
>>> EgressSettings.from_env({"EGRESS_IDLE_TIMEOUT_S": "soon"})
Traceback (most recent call last):
ValueError: EGRESS_IDLE_TIMEOUT_S='soon' is not a positive number: set it to e.g. 30.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from services.platform.env_values import env_port, env_positive


@dataclass(frozen=True)
class EgressSettings:
    """Where it listens, what it refuses, and its bounds (seconds, connections)."""

    host: str = "0.0.0.0"
    port: int = 3128
    health_port: int = 8001
    sandbox_subnets: str = ""
    """Every network of the sandbox egress refuses (``SANDBOX_SUBNETS``; ``PRIVATE_SUBNET``
    is added when set)."""
    connect_timeout_s: float = 5.0
    idle_timeout_s: float = 30.0
    head_timeout_s: float = 10.0
    max_connections: int = 64
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EgressSettings:
        """Read ``EGRESS_*``, ``SANDBOX_SUBNETS``, ``WORKER_PORT`` and ``LOG_LEVEL``; a bad
        value is a ValueError naming the variable and a good value."""
        e = os.environ if environ is None else environ

        return cls(
            host=e.get("EGRESS_HOST") or cls.host,
            port=env_port(e, "EGRESS_PORT", cls.port),
            health_port=env_port(e, "WORKER_PORT", cls.health_port),
            sandbox_subnets=" ".join(
                x for x in (e.get("SANDBOX_SUBNETS", "").strip(),
                            e.get("PRIVATE_SUBNET", "").strip()) if x),
            connect_timeout_s=env_positive(e, "EGRESS_CONNECT_TIMEOUT_S", cls.connect_timeout_s),
            idle_timeout_s=env_positive(e, "EGRESS_IDLE_TIMEOUT_S", cls.idle_timeout_s),
            head_timeout_s=env_positive(e, "EGRESS_HEAD_TIMEOUT_S", cls.head_timeout_s),
            max_connections=int(env_positive(e, "EGRESS_MAX_CONNECTIONS", cls.max_connections)),
            log_level=(e.get("LOG_LEVEL") or cls.log_level).upper(),
        )
