"""A finished run: what it measured, what it meant to send, and the ``sandbox.load/1`` summary.

The summary (docs/load-summary.md) is the contract with the reports; the methods before it
are what an SLO judge needs: for any series and window range a merged histogram and the
counts, and the target against the achieved rate.

>>> from sandbox.load.schedule import Constant, Plan
>>> rec = Recorder(window_s=1.0)
>>> for i in range(6):                       # 4 arrivals a second for 2 s: 6 sent, 2 dropped
...     rec.record("browse", None, start_s=i / 4, latency_s=0.010)
>>> rec.drop("browse", start_s=1.5); rec.drop("browse", start_s=1.75)
>>> result = LoadResult(Plan(Constant(rate=4, duration_s=2)), rec, ("browse",))
>>> result.target_rate(0, 2), result.achieved_rate(0, 2), result.achieved_rate(1, 2)
(4.0, 3.0, 2.0)
>>> summary = result.summary(scenario="smoke")
>>> summary["rate"][1], summary["series"][0]["percentiles_ms"]["p99"]
({'t': 1.0, 'target': 4.0, 'achieved': 2.0, 'dropped': 2}, 10.007)
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from sandbox.load.recorder import Counts, Recorder, Window, percentiles_ms
from sandbox.load.schedule import Plan
from sandbox.load.trace_sampling import Tracing

SCHEMA = "sandbox.load/1"
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9, "max": 100.0}
WINDOW_PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
# the spectrum's points: the tens, then 1-2-5 steps per decade towards 100 (evenly spaced on
# the report's 1/(1-p) axis): 95, 98, 99, 99.5, 99.8, 99.9, ... 99.999, then the maximum
SPECTRUM = (*(10.0 * i for i in range(10)),
            *(round(100 - f * 10.0 ** -d, 4) for d in range(4) for f in (5, 2, 1)), 100.0)


@dataclass(frozen=True)
class Overhead:
    """What the engine itself cost: CPU seconds over all its processes, and what it sent."""

    processes: int = 1
    cpu_s: float = 0.0
    requests: int = 0  # HTTP requests sent

    @property
    def cpu_per_request_us(self) -> float:
        return self.cpu_s * 1e6 / self.requests if self.requests else 0.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LoadResult:
    """A run's recorder, its plan, the journeys in mix order, when it started, its overhead."""

    plan: Plan
    recorder: Recorder
    journeys: tuple[str, ...]
    started_at: datetime = field(default_factory=_utc_now)
    elapsed_s: float = 0.0  # wall time, including waiting for the last journeys
    overhead: Overhead = field(default_factory=Overhead)
    tracing: Tracing = field(default_factory=Tracing)

    @property
    def window_s(self) -> float:
        return self.recorder.window_s

    @property
    def duration_s(self) -> float:
        return self.plan.duration_s

    @property
    def window_count(self) -> int:
        """The plan's windows (the last may be shorter)."""
        return max(1, math.ceil(self.duration_s / self.window_s - 1e-9))

    def series_keys(self) -> list[tuple[str, str | None]]:
        """(journey, step) in mix order, each journey (step None) before its steps."""
        order = {name: i for i, name in enumerate(self.journeys)}
        keys = [key for key in self.recorder.series if key[0] in order]
        return sorted(keys, key=lambda key: (order[key[0]], key[1] is not None))

    def histogram(self, journey: str, step: str | None = None, start_s: float = 0.0,
                  end_s: float = math.inf) -> HdrHistogram:
        """Latencies (µs) of a series in the windows starting in ``[start_s, end_s)``."""
        return self.recorder.histogram(journey, step, start_s, end_s)

    def counts(self, journey: str | None = None, step: str | None = None, start_s: float = 0.0,
               end_s: float = math.inf) -> Counts:
        """Outcomes of a series (``journey`` None: all journeys) in ``[start_s, end_s)``."""
        if journey is not None:
            return self.recorder.counts(journey, step, start_s, end_s)
        parts = [self.recorder.counts(name, None, start_s, end_s) for name in self.journeys]
        kinds: Counter[str] = Counter()
        for part in parts:
            kinds.update(part.kinds)
        return Counts(sum(p.ok for p in parts), sum(p.errors for p in parts),
                      sum(p.dropped for p in parts), dict(sorted(kinds.items())))

    def _span(self, start_s: float, end_s: float) -> float:
        return max(0.0, min(end_s, self.duration_s) - max(start_s, 0.0))

    def target_rate(self, start_s: float = 0.0, end_s: float = math.inf) -> float:
        """The plan's mean rate (per second) over ``[start_s, end_s)``."""
        span = self._span(start_s, end_s)
        return self.plan.expected_count(start_s, end_s) / span if span else 0.0

    def achieved_rate(self, start_s: float = 0.0, end_s: float = math.inf,
                      journey: str | None = None) -> float:
        """Arrivals sent (not dropped) per second, by intended start, over ``[start_s, end_s)``."""
        span = self._span(start_s, end_s)
        return self.counts(journey, None, start_s, end_s).count / span if span else 0.0

    # ---- the summary ----------------------------------------------------------------

    def summary(self, scenario: str = "", faults: Sequence[Any] = (),
                slos: Sequence[Mapping[str, Any]] = (),
                knee: Mapping[str, Any] | None = None,
                notes: Sequence[str] = ()) -> dict[str, Any]:
        """The ``sandbox.load/1`` dict of docs/load-summary.md. ``faults`` are mappings or
        objects with ``name``, ``start_s`` and ``end_s``; ``slos`` the judge's verdicts;
        ``notes`` lines worth knowing that are not failures."""
        lateness = percentiles_ms(self.recorder.lateness, [50, 99, 100])
        return {
            "schema": SCHEMA,
            "scenario": scenario,
            "started_at": self.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_s": float(self.duration_s),
            "window_s": float(self.window_s),
            "rate": [self._rate_row(i) for i in range(self.window_count)],
            "series": [self._series(journey, step) for journey, step in self.series_keys()],
            "errors": self._errors(),
            "faults": [_fault(fault) for fault in faults],
            "slos": [dict(slo) for slo in slos],
            "notes": [str(note) for note in notes],
            "knee": dict(knee) if knee is not None else None,
            "tracing": self.tracing.summary(),
            "overhead": {
                "processes": self.overhead.processes,
                "cpu_s": round(self.overhead.cpu_s, 3),
                "cpu_per_request_us": round(self.overhead.cpu_per_request_us, 1),
                "lateness_ms": {"p50": lateness[50], "p99": lateness[99], "max": lateness[100]},
            },
        }

    def write_json(self, path: str | Path, **summary: Any) -> Path:
        """Write ``summary(**summary)`` to ``path`` as JSON; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.summary(**summary), indent=2) + "\n", encoding="utf-8")
        return path

    def _t(self, index: int) -> float:
        return round(index * self.window_s, 6)

    def _rate_row(self, index: int) -> dict[str, Any]:
        start, end = index * self.window_s, (index + 1) * self.window_s
        return {"t": self._t(index), "target": round(self.target_rate(start, end), 3),
                "achieved": round(self.achieved_rate(start, end), 3),
                "dropped": self.counts(None, None, start, end).dropped}

    def _series(self, journey: str, step: str | None) -> dict[str, Any]:
        counts = self.recorder.counts(journey, step)
        histogram = self.recorder.histogram(journey, step)
        values = percentiles_ms(histogram, PERCENTILES.values())
        spectrum = percentiles_ms(histogram, SPECTRUM) if counts.count else {}
        windows = dict(self.recorder.windows(journey, step))
        last = max(self.window_count, max(windows, default=-1) + 1)
        return {
            "journey": journey, "step": step,
            "count": counts.count, "errors": counts.errors, "dropped": counts.dropped,
            "percentiles_ms": {name: values[p] for name, p in PERCENTILES.items()},
            "spectrum": [[p, ms] for p, ms in spectrum.items()],
            "windows": [self._window_row(i, windows.get(i)) for i in range(last)],
        }

    def _window_row(self, index: int, window: Window | None) -> dict[str, Any]:
        count = window.ok + window.errors if window else 0
        values = percentiles_ms(window.histogram, WINDOW_PERCENTILES.values()) if count else {}
        row = {"t": self._t(index), "count": count, "errors": window.errors if window else 0}
        row.update({name: values.get(p) for name, p in WINDOW_PERCENTILES.items()})
        return row

    def _errors(self) -> list[dict[str, Any]]:
        rows: Counter[tuple[int, str]] = Counter()
        for journey in self.journeys:
            for index, window in self.recorder.windows(journey):
                for kind, n in window.kinds.items():
                    rows[index, kind] += n
        return [{"t": self._t(i), "kind": kind, "count": n} for (i, kind), n in sorted(rows.items())]


def _fault(fault: Any) -> dict[str, Any]:
    get = fault.get if isinstance(fault, Mapping) else lambda name: getattr(fault, name)
    return {"name": str(get("name")), "start_s": float(get("start_s")),
            "end_s": None if get("end_s") is None else float(get("end_s"))}
