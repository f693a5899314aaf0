"""Latencies and outcomes of a run, per series and per window, as HdrHistograms.

    Recorder
     ├── series (journey, step)         step None = the whole journey
     │    └── windows {index: Window}   index = int(start_s // window_s)
     │         Window: histogram (µs, 1 µs..60 s, 3 digits), ok, errors, dropped, kinds
     └── lateness                        the scheduler's actual send - intended start

A record belongs to the window in which what it measures began: a journey and its first
step to the window of the arrival's intended start, a later step to the window it began
in. ``count`` = ok + errors (a failed journey's latency is recorded too); a dropped
arrival was never sent, so it has no latency.

>>> rec = Recorder(window_s=1.0)
>>> rec.record("browse", None, start_s=0.2, latency_s=0.004)
>>> rec.record("browse", None, start_s=1.5, latency_s=0.120, error="http 503")
>>> rec.drop("browse", start_s=1.7)
>>> rec.counts("browse", None, 1.0, 2.0)
Counts(ok=0, errors=1, dropped=1, kinds={'http 503': 1})
>>> percentiles_ms(rec.histogram("browse", None, 0.0, 2.0), [50, 100])
{50: 4.001, 100: 120.063}
>>> other = Recorder.decode(rec.encode())       # e.g. from a worker process
>>> rec.merge(other); rec.counts("browse").errors
2
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000
DIGITS = 3

SeriesKey = tuple[str, str | None]


def new_histogram() -> HdrHistogram:
    """An empty latency histogram in microseconds (the one shape used everywhere, so
    histograms add up without conversion)."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS, word_size=4)


def record_us(histogram: HdrHistogram, seconds: float) -> None:
    histogram.record_value(min(HIGHEST_US, max(0, round(seconds * 1e6))))


def percentiles_ms(histogram: HdrHistogram, points: Iterable[float]) -> dict[float, float | None]:
    """Each percentile of ``points`` in milliseconds (None when the histogram is empty);
    0 is the minimum and 100 the maximum (to HdrHistogram's precision: 3 digits).

    >>> h = new_histogram(); record_us(h, 0.002); record_us(h, 0.010)
    >>> percentiles_ms(h, [0, 50, 100])
    {0: 2.0, 50: 2.0, 100: 10.007}
    """
    points = list(points)
    if not histogram.get_total_count():
        return {p: None for p in points}
    values = histogram.get_percentile_to_value_dict(points)
    return {p: round(values[p] / 1000, 3) for p in points}


@dataclass(frozen=True)
class Counts:
    """Outcomes over some windows: ``kinds`` counts the errors by kind."""

    ok: int = 0
    errors: int = 0
    dropped: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Finished (ok + errors)."""
        return self.ok + self.errors


@dataclass
class Window:
    """One window of one series."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    ok: int = 0
    errors: int = 0
    dropped: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, other: Window) -> None:
        self.histogram.add(other.histogram)
        self.ok += other.ok
        self.errors += other.errors
        self.dropped += other.dropped
        self.kinds.update(other.kinds)


class Recorder:
    """Everything a run measured; see the module's docstring."""

    def __init__(self, window_s: float = 1.0) -> None:
        if window_s <= 0:
            raise ValueError("a window must be longer than 0 s")
        self.window_s = window_s
        self.series: dict[SeriesKey, dict[int, Window]] = {}
        self.lateness = new_histogram()

    def _window(self, journey: str, step: str | None, start_s: float) -> Window:
        windows = self.series.setdefault((journey, step), {})
        index = max(0, int(start_s // self.window_s))
        if index not in windows:
            windows[index] = Window()
        return windows[index]

    def record(self, journey: str, step: str | None, start_s: float, latency_s: float,
               error: str | None = None) -> None:
        """One finished journey (``step`` None) or step, ok unless ``error`` (its kind)."""
        window = self._window(journey, step, start_s)
        record_us(window.histogram, latency_s)
        if error is None:
            window.ok += 1
        else:
            window.errors += 1
            window.kinds[error] += 1

    def drop(self, journey: str, start_s: float) -> None:
        """An arrival of ``journey`` meant to start at ``start_s`` that was not sent."""
        self._window(journey, None, start_s).dropped += 1

    def late(self, lateness_s: float) -> None:
        """How late (s) the scheduler sent one arrival."""
        record_us(self.lateness, lateness_s)

    # ---- reading ------------------------------------------------------------------

    @property
    def window_count(self) -> int:
        """Windows from 0 to the last one holding anything."""
        indexes = [i for windows in self.series.values() for i in windows]
        return max(indexes) + 1 if indexes else 0

    def _indexes(self, start_s: float, end_s: float) -> range:
        first = math.ceil(start_s / self.window_s - 1e-9)
        last = math.ceil(end_s / self.window_s - 1e-9) if end_s != math.inf else self.window_count
        return range(max(0, first), max(0, last))

    def windows(self, journey: str, step: str | None = None, start_s: float = 0.0,
                end_s: float = math.inf) -> Iterator[tuple[int, Window]]:
        """The windows of a series starting in ``[start_s, end_s)`` that hold anything."""
        series = self.series.get((journey, step), {})
        for index in self._indexes(start_s, end_s):
            if index in series:
                yield index, series[index]

    def histogram(self, journey: str, step: str | None = None, start_s: float = 0.0,
                  end_s: float = math.inf) -> HdrHistogram:
        """The windows starting in ``[start_s, end_s)`` of a series, merged."""
        merged = new_histogram()
        for _, window in self.windows(journey, step, start_s, end_s):
            merged.add(window.histogram)
        return merged

    def counts(self, journey: str, step: str | None = None, start_s: float = 0.0,
               end_s: float = math.inf) -> Counts:
        """The outcomes of the windows starting in ``[start_s, end_s)`` of a series."""
        ok = errors = dropped = 0
        kinds: Counter[str] = Counter()
        for _, window in self.windows(journey, step, start_s, end_s):
            ok, errors, dropped = ok + window.ok, errors + window.errors, dropped + window.dropped
            kinds.update(window.kinds)
        return Counts(ok, errors, dropped, dict(sorted(kinds.items())))

    # ---- across processes -----------------------------------------------------------

    def merge(self, other: Recorder) -> None:
        """Add ``other`` (same window length) into this recorder."""
        if other.window_s != self.window_s:
            raise ValueError("cannot merge recorders with different windows")
        for key, windows in other.series.items():
            mine = self.series.setdefault(key, {})
            for index, window in windows.items():
                mine.setdefault(index, Window()).add(window)
        self.lateness.add(other.lateness)

    def encode(self) -> dict[str, Any]:
        """Plain data (JSON-able, picklable), histograms as HdrHistogram's compressed text."""
        return {
            "window_s": self.window_s,
            "lateness": self.lateness.encode().decode("ascii"),
            "series": [
                [journey, step, [[index, w.histogram.encode().decode("ascii"), w.ok, w.errors,
                                  w.dropped, dict(w.kinds)] for index, w in windows.items()]]
                for (journey, step), windows in self.series.items()
            ],
        }

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Recorder:
        recorder = cls(data["window_s"])
        recorder.lateness.decode_and_add(data["lateness"])
        for journey, step, windows in data["series"]:
            mine = recorder.series.setdefault((journey, step), {})
            for index, histogram, ok, errors, dropped, kinds in windows:
                window = mine[index] = Window(ok=ok, errors=errors, dropped=dropped,
                                              kinds=Counter(kinds))
                window.histogram.decode_and_add(histogram)
        return recorder
