"""Where received spans go: into the store, counted by source, with rejections logged.

Both receivers (OTLP/HTTP and syslog) call `Intake`; it runs on the event loop that owns
the store, so no lock is needed and a span is queryable as soon as its answer is sent.
"""

from __future__ import annotations

import time

from services.platform.logging import get_logger

from .metrics import StoreMetrics
from .records import Batch, SpanRecord
from .store import TraceStore

log = get_logger()
LOG_EVERY_S = 10.0  # a flood of bad input is logged once per interval, not per item


class Intake:
    """Takes batches and single records into `store`, counting them in `metrics`."""

    def __init__(self, store: TraceStore, metrics: StoreMetrics) -> None:
        self.store = store
        self.metrics = metrics
        self._last_logged: dict[str, float] = {}

    def take(self, batch: Batch, source: str) -> None:
        if batch.records:
            self.store.add(batch.records)
            self.metrics.received.labels(source).inc(len(batch.records))
        if batch.rejected:
            self.metrics.rejected.labels(source, "invalid_id").inc(batch.rejected)
            self._log_rejection(source, batch.reason, batch.rejected)

    def take_record(self, record: SpanRecord, source: str) -> None:
        self.store.add([record])
        self.metrics.received.labels(source).inc()

    def malformed_frame(self, reason: str) -> None:
        self.metrics.rejected.labels("syslog", "malformed_frame").inc()
        self._log_rejection("syslog", reason, 1)

    def request_refused(self, status: int, reason: str) -> None:
        self.metrics.requests_rejected.labels(str(status)).inc()
        self._log_rejection("otlp", reason, 0, status=status)

    def _log_rejection(self, source: str, reason: str, spans: int, status: int = 0) -> None:
        now = time.monotonic()
        if now - self._last_logged.get(source, -LOG_EVERY_S) < LOG_EVERY_S:
            return
        self._last_logged[source] = now
        fields: dict[str, object] = {"source": source, "reason": reason}
        if spans:
            fields["spans"] = spans
        if status:
            fields["status"] = status
        log.warning("tracestore.rejected", **fields)
