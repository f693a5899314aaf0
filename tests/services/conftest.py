"""Spans of the code under test, recorded in memory (no exporter, no network)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.platform.tracing import setup_tracing

_EXPORTER = InMemorySpanExporter()


class Spans:
    """The spans finished during one test."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self._exporter = exporter

    def all(self) -> list[ReadableSpan]:
        return list(self._exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        found = [s for s in self.all() if s.name == name]
        assert len(found) == 1, f"{len(found)} spans named {name!r} in {[s.name for s in self.all()]}"
        return found[0]


@pytest.fixture(autouse=True)
def spans() -> Iterator[Spans]:
    """Every service test runs under a real tracer provider, as the services do (the
    provider is the process's, so whichever test ran first must not decide)."""
    provider = setup_tracing("unit-test", endpoint="", instrument=False)
    assert provider is not None, "OTEL_SDK_DISABLED is set: the tracing tests need tracing"
    if not getattr(provider, "_unit_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        provider._unit_test_exporter = True  # type: ignore[attr-defined]
    _EXPORTER.clear()
    yield Spans(_EXPORTER)
    _EXPORTER.clear()
