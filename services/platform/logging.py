"""JSON logs: one object per line on stdout with ts, level, service, event, trace_id, span_id.

>>> configure_logging("catalog")                       # doctest: +SKIP
>>> log = get_logger()
>>> log.info("product.created", sku="SKU-1")           # doctest: +SKIP
{"ts": "...", "level": "info", "service": "catalog", "event": "product.created", ...}
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from .tracing import current_span_id, current_trace_id

_service = "unknown"
_RESERVED = {"ts", "level", "service", "event", "trace_id", "span_id"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; fields come from `extra={"fields": {...}}`."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "service": _service,
            "event": record.getMessage(),
            "trace_id": current_trace_id(),
            "span_id": current_span_id(),
        }
        if record.name != "sandbox":
            doc["logger"] = record.name
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                doc[f"field_{key}" if key in _RESERVED else key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record (ours, uvicorn's, gunicorn's, ...) as JSON lines to stdout."""
    global _service
    _service = service
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error", "aiormq",
                 "aio_pika", "psycopg.pool", "httpx", "botocore", "werkzeug"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    for name in ("aiormq", "aio_pika", "botocore", "httpx", "uvicorn.access", "werkzeug"):
        logging.getLogger(name).setLevel("WARNING")


class EventLogger:
    """Logs named events with keyword fields: `log.info("order.created", order_id=...)`."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def _log(self, level: int, event: str, exc_info: bool, fields: dict[str, Any]) -> None:
        self._logger.log(level, event, exc_info=exc_info, extra={"fields": fields})

    def debug(self, event: str, /, **fields: Any) -> None:
        self._log(logging.DEBUG, event, False, fields)

    def info(self, event: str, /, **fields: Any) -> None:
        self._log(logging.INFO, event, False, fields)

    def warning(self, event: str, /, **fields: Any) -> None:
        self._log(logging.WARNING, event, False, fields)

    def error(self, event: str, /, **fields: Any) -> None:
        self._log(logging.ERROR, event, False, fields)

    def exception(self, event: str, /, **fields: Any) -> None:
        """Log at error level with the current exception's traceback."""
        self._log(logging.ERROR, event, True, fields)


def get_logger(name: str = "sandbox") -> EventLogger:
    """An EventLogger writing through the stdlib logger `name`."""
    return EventLogger(logging.getLogger(name))
