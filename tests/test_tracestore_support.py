"""What the trace store's tests share: the store running on free 127.0.0.1 ports in a
thread of its own, the real OpenTelemetry SDK exporting to it, and a bounded poll."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Self, TypeVar

import httpx
import pytest
import requests
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.tracestore.server import TracestoreServer
from services.tracestore.settings import TracestoreSettings

T = TypeVar("T")
pytestmark = pytest.mark.timeout(30)


class RunningStore:
    """A TracestoreServer on an event loop in a background thread, on 127.0.0.1."""

    def __init__(self, **settings: Any) -> None:
        self.server = TracestoreServer(TracestoreSettings(
            host="127.0.0.1", otlp_port=0, syslog_port=0, query_port=0, **settings))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=10)
        ports = self.server.ports
        self.otlp_url = f"http://127.0.0.1:{ports['otlp']}/v1/traces"
        self.query_url = f"http://127.0.0.1:{ports['query']}"
        self.syslog_address = ("127.0.0.1", ports["syslog"])
        self.http = httpx.Client(trust_env=False, timeout=5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def on_loop(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the store's loop (the store is the loop's alone) and return its result."""
        async def call() -> T:
            return fn()
        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=5)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(self.query_url + path, params=params)

    def post_otlp(self, body: bytes, content_type: str, **headers: str) -> httpx.Response:
        return self.http.post(self.otlp_url, content=body,
                              headers={"content-type": content_type, **headers})

    def send_syslog(self, *frames: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for frame in frames:
                udp.sendto(frame, self.syslog_address)

    def metric(self, name: str, **labels: str) -> float:
        """A sample of /metrics (0 when absent)."""
        wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
                         if labels else "")
        for line in self.get("/metrics").text.splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


@pytest.fixture(scope="module")
def store() -> Iterator[RunningStore]:
    """One running store for a test module: its tests use traces of their own and compare
    counters before and after."""
    with RunningStore() as running:
        yield running


def eventually(check: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll `check` until it returns something truthy (a bounded wait, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(0.01)


def sdk_provider(service: str, exporter: Any, batch: bool = True,
                 **resource: Any) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service, **resource}))
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    return provider


def otlp_exporter(store: RunningStore, compression: Compression | None = None
                  ) -> OTLPSpanExporter:
    """The SDK's OTLP/HTTP exporter to the store, bypassing any proxy of the environment."""
    session = requests.Session()
    session.trust_env = False
    return OTLPSpanExporter(endpoint=store.otlp_url, compression=compression, session=session,
                            timeout=5)


def recorded_spans(make: Callable[[TracerProvider], None], service: str = "json-svc"
                   ) -> list[ReadableSpan]:
    """The SDK's finished spans of `make(provider)`, kept in memory."""
    memory = InMemorySpanExporter()
    provider = sdk_provider(service, memory, batch=False)
    make(provider)
    provider.shutdown()
    return list(memory.get_finished_spans())


def otlp_json_body(spans: list[ReadableSpan]) -> bytes:
    """The SDK's export request of `spans` in OTLP JSON, written here independently of the
    store's own mapping: protobuf JSON, enums as ints, ids turned from base64 to hex."""
    doc = json_format.MessageToDict(encode_spans(spans), use_integers_for_enums=True)

    def to_hex(holder: dict[str, Any], *keys: str) -> None:
        for key in keys:
            if key in holder:
                holder[key] = base64.b64decode(holder[key]).hex()

    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                to_hex(span, "traceId", "spanId", "parentSpanId")
                for link in span.get("links", []):
                    to_hex(link, "traceId", "spanId")
    return json.dumps(doc).encode()


def test_the_store_starts_on_free_ports_and_is_ready(store: RunningStore) -> None:
    ready = store.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"otlp": "ok", "syslog": "ok",
                                                       "query": "ok"}}
    assert store.get("/health/live").json() == {"status": "ok"}
