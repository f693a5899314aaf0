"""JSON logs, one object per line: ``{"time", "level", "service", "event", ...}``."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_config: dict[str, Any] = {"level": LEVELS["info"], "stream": None}


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """Set the lowest level written and the stream (default: stdout at write time)."""
    _config["level"] = LEVELS[level]
    _config["stream"] = stream


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def log(event: str, level: str = "info", **fields: Any) -> None:
    """Write one log line, if ``level`` is enabled."""
    if LEVELS[level] < _config["level"]:
        return
    record = {
        "time": _now(),
        "level": level,
        "service": "toxiproxy",
        "event": event,
        **fields,
    }
    stream = _config["stream"] or sys.stdout
    stream.write(json.dumps(record, default=str) + "\n")
    stream.flush()
