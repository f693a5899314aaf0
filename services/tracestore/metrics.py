"""The store's Prometheus metrics, in a registry of its own (one per running store).

>>> from services.tracestore.store import TraceStore
>>> metrics = StoreMetrics(TraceStore(max_spans=10))
>>> metrics.received.labels("otlp").inc(3)
>>> b'tracestore_spans_received_total{source="otlp"} 3.0' in metrics.exposition()
True
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .store import TraceStore

__all__ = ["CONTENT_TYPE", "StoreMetrics"]


class StoreMetrics:
    """Spans received by source (otlp, syslog), rejected by reason, evicted; what is held."""

    def __init__(self, store: TraceStore) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter("tracestore_spans_received_total", "Spans taken into the store",
                                ["source"], registry=self.registry)
        self.rejected = Counter("tracestore_spans_rejected_total",
                                "Spans or frames refused (bad ids, malformed frames)",
                                ["source", "reason"], registry=self.registry)
        self.requests_rejected = Counter("tracestore_otlp_requests_rejected_total",
                                         "OTLP export requests refused, by HTTP status",
                                         ["status"], registry=self.registry)
        self.registry.register(_StoreCollector(store))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    """What the store counts itself, read at each scrape."""

    def __init__(self, store: TraceStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        store = self._store
        yield CounterMetricFamily("tracestore_spans_evicted",
                                  "Spans evicted (whole oldest traces) to stay within the bound",
                                  value=store.evicted_spans)
        yield CounterMetricFamily("tracestore_traces_evicted", "Traces evicted",
                                  value=store.evicted_traces)
        yield CounterMetricFamily("tracestore_spans_duplicate",
                                  "Spans received again (same trace and span id), held once",
                                  value=store.duplicate_spans)
        yield GaugeMetricFamily("tracestore_traces", "Traces held", value=store.trace_count)
        yield GaugeMetricFamily("tracestore_spans", "Spans held", value=store.span_count)
        yield GaugeMetricFamily("tracestore_max_spans", "The bound on spans held",
                                value=store.max_spans)
