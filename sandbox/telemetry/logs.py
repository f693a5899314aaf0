"""``sandbox.logs``: one service's output (the old call), a trace's lines, every container's.

    sandbox.logs("catalog", follow=False, tail=100)   chunks of bytes, as Docker gives them
    sandbox.logs.for_trace(trace_id)                  every container's JSON lines of one
                                                      trace, merged in time order
    sandbox.logs.interleaved(follow=True)             (service, line) of every container

Services log one JSON object a line (``ts``, ``level``, ``service``, ``event``,
``trace_id``, ``span_id``); other lines are skipped by ``for_trace``. A line's time is its
``ts``, else Docker's own timestamp of it.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.telemetry.model import normal_trace_id
from sandbox.telemetry.timestamps import epoch

_KNOWN = ("ts", "level", "service", "event", "trace_id", "span_id")


@dataclass(frozen=True)
class LogLine:
    """One JSON log line of one container."""

    container: str
    time: float
    ts: str
    level: str
    service: str
    event: str
    trace_id: str | None
    span_id: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    raw: str = ""

    def text(self, width: int = 16) -> str:
        extra = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in self.fields.items())
        return f"{self.ts} {self.container:<{width}} {self.level:<5} {self.event} {extra}".rstrip()


def split_docker_timestamp(line: str) -> tuple[float | None, str]:
    """``2024-05-01T10:00:00.123456789Z text`` (``timestamps=True``) -> (seconds, text)."""
    head, sep, rest = line.partition(" ")
    when = epoch(head) if sep and head[:1].isdigit() and "T" in head else None
    return (when, rest) if when is not None else (None, line)


def parse_json_line(container: str, line: str, docker_time: float | None = None
                    ) -> LogLine | None:
    """The line as a ``LogLine``; ``None`` when it is not one JSON object."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    ts = str(doc.get("ts") or doc.get("time") or "")
    when = epoch(ts) if ts else None
    if when is None:
        when = docker_time or 0.0
    trace_id = doc.get("trace_id")
    return LogLine(
        container=container, time=when, ts=ts, level=str(doc.get("level", "")),
        service=str(doc.get("service", container)), event=str(doc.get("event", "")),
        trace_id=str(trace_id) if trace_id else None,
        span_id=str(doc["span_id"]) if doc.get("span_id") else None,
        fields={k: v for k, v in doc.items() if k not in _KNOWN}, raw=text,
    )


def merge(lines: Iterable[LogLine]) -> list[LogLine]:
    """Time order; lines of one instant keep their container's order."""
    return sorted(lines, key=lambda line: line.time)


def _text_lines(output: bytes | Iterable[bytes]) -> Iterator[str]:
    """Whole lines out of Docker's output (one blob, or chunks cut anywhere)."""
    chunks = [output] if isinstance(output, bytes | bytearray) else output
    pending = b""
    for chunk in chunks:
        pending += chunk
        *whole, pending = pending.split(b"\n")
        for raw in whole:
            yield raw.decode(errors="replace").rstrip("\r")
    if pending:
        yield pending.decode(errors="replace").rstrip("\r")


class ContainerLogs:
    """Logs of a run's containers. ``containers()`` maps service -> docker container;
    ``container(service)`` is one (raising ``NotRunning`` for an unknown name)."""

    def __init__(self, containers: Callable[[], Mapping[str, Any]],
                 container: Callable[[str], Any]) -> None:
        self._containers = containers
        self._container = container

    def __call__(self, service: str, follow: bool = False, tail: int | None = None
                 ) -> Iterator[bytes]:
        """The service's output as chunks; ``follow`` keeps streaming (``Sandbox.logs``)."""
        kwargs: dict[str, Any] = {"stream": True, "follow": follow}
        if tail is not None:
            kwargs["tail"] = tail
        return self._container(service).logs(**kwargs)

    def timed_lines(self) -> list[tuple[float, str, str]]:
        """(Docker's time, service, line) of every container, in time order."""
        rows = []
        for service, container in sorted(self._containers().items()):
            output = container.logs(stdout=True, stderr=True, timestamps=True)
            for index, line in enumerate(_text_lines(output)):
                when, text = split_docker_timestamp(line)
                rows.append((when if when is not None else 0.0, index, service, text))
        rows.sort(key=lambda r: (r[0], r[2], r[1]))
        return [(when, service, text) for when, _, service, text in rows]

    def json_lines(self) -> list[LogLine]:
        """Every container's JSON lines, merged in time order."""
        parsed = (parse_json_line(service, text, when) for when, service, text in
                  self.timed_lines())
        return merge(line for line in parsed if line is not None)

    def for_trace(self, trace_id: str) -> list[LogLine]:
        """Every container's JSON lines of one trace, in time order."""
        wanted = normal_trace_id(trace_id)
        return [line for line in self.json_lines()
                if line.trace_id and normal_trace_id(line.trace_id) == wanted]

    def interleaved(self, follow: bool = False, tail: int | None = None
                    ) -> Iterator[tuple[str, str]]:
        """(service, line) of every container: in time order, or as they come (``follow``)."""
        if not follow:
            rows = self.timed_lines()
            if tail is not None:
                rows = rows[-tail:] if tail > 0 else []
            for _, service, text in rows:
                yield service, text
            return
        yield from self._follow(tail)

    def _follow(self, tail: int | None) -> Iterator[tuple[str, str]]:
        lines: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=10_000)
        containers = sorted(self._containers().items())
        kwargs: dict[str, Any] = {"stream": True, "follow": True}
        if tail is not None:
            kwargs["tail"] = tail

        def pump(service: str, container: Any) -> None:
            try:
                for text in _text_lines(container.logs(**kwargs)):
                    lines.put((service, text))
            except Exception as exc:  # noqa: BLE001 - a container gone: say so, go on
                lines.put((service, f"[logs ended: {type(exc).__name__}]"))
            finally:
                lines.put(None)

        for service, container in containers:
            threading.Thread(target=pump, args=(service, container), daemon=True,
                             name=f"logs-{service}").start()
        running = len(containers)
        while running:
            item = lines.get()
            if item is None:
                running -= 1
                continue
            yield item
