"""Service-level objectives judged on a finished run, over the whole run or sliding windows.

    Slo(metric, bound, journey, step, window_s, scope)
      metric   p50 p90 p95 p99 p99.9 max   latency of the journey (or its step), ms, at most
               error_ratio                 errors / finished, at most
               rate                        achieved / target arrivals, at least
      window_s None: the whole run; else every window of that length, sliding by the
               recorder's window, must keep the bound (the worst one is named)
      scope    "run" every window; "during" only windows a fault overlaps; "outside" only
               windows no fault overlaps (nor its `settle_s` seconds after it)

A verdict names the figure, the bound and where it was broken:

>>> from sandbox.load.recorder import Recorder
>>> from sandbox.load.results import LoadResult
>>> from sandbox.load.schedule import Constant, Plan
>>> rec = Recorder()
>>> for i in range(40):                                  # 4/s for 10 s; slow in 4-6 s
...     rec.record("browse", None, i / 4, 0.300 if 4 <= i / 4 < 6 else 0.010)
>>> run = LoadResult(Plan(Constant(rate=4, duration_s=10)), rec, ("browse",))
>>> faults = [FaultWindow("catalog->postgres latency=300ms", 4.0, 6.0)]
>>> [v.message for v in judge(run, [Slo("p99", 50, "browse", window_s=1)], faults)]
['browse p99 300 ms > 50 ms in the window 4-5 s']
>>> judge(run, [Slo("p99", 50, "browse", scope="outside")], faults)[0].passed
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.load.recorder import new_histogram, percentiles_ms
from sandbox.load.results import PERCENTILES, LoadResult

LATENCY_METRICS = tuple(PERCENTILES)
METRICS = (*LATENCY_METRICS, "error_ratio", "rate")
SCOPES = ("run", "during", "outside")


@dataclass(frozen=True)
class FaultWindow:
    """A fault in place from ``start_s`` to ``end_s`` (None: until the run ended)."""

    name: str
    start_s: float
    end_s: float | None = None


@dataclass(frozen=True)
class Slo:
    metric: str
    bound: float  # ms for latency metrics, a ratio for error_ratio and rate
    journey: str | None = None
    step: str | None = None
    window_s: float | None = None
    scope: str = "run"
    settle_s: float = 0.0
    line: int = 0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; use one of {', '.join(METRICS)}")
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}; use one of {', '.join(SCOPES)}")
        if self.metric in LATENCY_METRICS and self.journey is None:
            raise ValueError(f"a {self.metric} objective names its journey")

    @property
    def is_latency(self) -> bool:
        return self.metric in LATENCY_METRICS

    @property
    def name(self) -> str:
        what = self.journey or "all journeys"
        if self.step:
            what += f" / {self.step}"
        sign = ">=" if self.metric == "rate" else "<="
        bound = f"{self.bound:g} ms" if self.is_latency else f"{self.bound:g}"
        where = f" over {self.window_s:g} s windows" if self.window_s else ""
        scope = {"run": "", "during": " during faults", "outside": " outside faults"}[self.scope]
        return f"{what} {self.metric} {sign} {bound}{where}{scope}"


@dataclass(frozen=True)
class Verdict:
    slo: Slo
    passed: bool
    value: float | None  # the worst figure found (None: nothing was measured)
    start_s: float | None = None  # where the worst figure was (a window, or the whole run)
    end_s: float | None = None
    message: str = ""

    def as_summary(self) -> dict[str, Any]:
        """The verdict in the summary's shape (docs/load-summary.md)."""
        slo = self.slo
        worst = None if self.value is None else {"start_s": self.start_s, "end_s": self.end_s,
                                                 "value": round(self.value, 4)}
        return {"name": slo.name, "journey": slo.journey, "step": slo.step,
                "metric": slo.metric, "bound": slo.bound,
                "unit": "ms" if slo.is_latency else "ratio", "window_s": slo.window_s,
                "scope": slo.scope, "passed": self.passed, "worst": worst, "message": self.message}


def _selected(result: LoadResult, slo: Slo, faults: Sequence[FaultWindow]) -> list[int]:
    """The recorder windows the objective's scope keeps."""
    w, end = result.window_s, result.duration_s

    def overlaps(index: int, settle: float) -> bool:
        start, stop = index * w, (index + 1) * w
        return any(start < (f.end_s if f.end_s is not None else end) + settle and f.start_s < stop
                   for f in faults)

    indexes = range(result.window_count)
    if slo.scope == "during":
        return [i for i in indexes if overlaps(i, 0.0)]
    if slo.scope == "outside":
        return [i for i in indexes if not overlaps(i, slo.settle_s)]
    return list(indexes)


def _figure(result: LoadResult, slo: Slo, indexes: Sequence[int]) -> float | None:
    """The objective's metric over the given recorder windows (None: nothing to judge)."""
    w = result.window_s
    if slo.is_latency:
        merged = new_histogram()
        wanted = set(indexes)
        assert slo.journey is not None
        for index, window in result.recorder.windows(slo.journey, slo.step):
            if index in wanted:
                merged.add(window.histogram)
        return percentiles_ms(merged, [PERCENTILES[slo.metric]])[PERCENTILES[slo.metric]]
    ok = errors = 0
    target = 0.0
    for index in indexes:
        counts = result.counts(slo.journey, slo.step, index * w, (index + 1) * w)
        ok, errors = ok + counts.ok, errors + counts.errors
        target += result.plan.expected_count(index * w, min((index + 1) * w, result.duration_s))
    if slo.metric == "error_ratio":
        return errors / (ok + errors) if ok + errors else None
    return (ok + errors) / target if target else None


def _broken(slo: Slo, value: float) -> bool:
    return value < slo.bound if slo.metric == "rate" else value > slo.bound


def _fmt(slo: Slo, value: float) -> str:
    if slo.is_latency:
        return f"{value:.3g} ms" if value < 100 else f"{value:.0f} ms"
    return f"{value:.4g}"


def judge_one(result: LoadResult, slo: Slo, faults: Sequence[FaultWindow] = ()) -> Verdict:
    """One objective's verdict; the worst window is the one named."""
    selected = _selected(result, slo, faults)
    w = result.window_s
    if slo.window_s is None or slo.window_s >= result.duration_s:
        ranges = [(0.0, result.duration_s, selected)]
    else:
        span = max(1, math.ceil(slo.window_s / w - 1e-9))
        chosen = set(selected)
        ranges = [(i * w, min((i + span) * w, result.duration_s),
                   [j for j in range(i, i + span) if j in chosen])
                  for i in range(max(1, result.window_count - span + 1))]
    worst: tuple[float, float, float] | None = None
    for start, end, indexes in ranges:
        if not indexes:
            continue
        value = _figure(result, slo, indexes)
        if value is None:
            continue
        if worst is None or (value < worst[0] if slo.metric == "rate" else value > worst[0]):
            worst = (value, start, end)
    if worst is None:
        return Verdict(slo, False, None, message=f"{slo.name}: nothing was measured "
                       f"{'there' if slo.scope != 'run' else 'in the run'}")
    value, start, end = worst
    passed = not _broken(slo, value)
    if slo.window_s is not None and slo.window_s < result.duration_s:
        where = f"in the window {start:g}-{end:g} s"
    elif slo.scope == "run":
        where = "over the whole run"
    else:  # the extent of the windows judged: where the faults were, or the rest
        start, end = selected[0] * w, min((selected[-1] + 1) * w, result.duration_s)
        where = (f"during the faults ({start:g}-{end:g} s)" if slo.scope == "during" else
                 f"outside the faults ({start:g}-{end:g} s, less the faults)")
    what = f"{slo.journey or 'all journeys'}{' / ' + slo.step if slo.step else ''} {slo.metric}"
    if slo.metric == "rate":
        sign = ">=" if passed else "<"
    else:
        sign = "<=" if passed else ">"
    bound = f"{slo.bound:g} ms" if slo.is_latency else f"{slo.bound:g}"
    return Verdict(slo, passed, value, start, end,
                   f"{what} {_fmt(slo, value)} {sign} {bound} {where}")


def judge(result: LoadResult, slos: Sequence[Slo],
          faults: Sequence[FaultWindow] = ()) -> list[Verdict]:
    """Every objective's verdict, in the order given."""
    return [judge_one(result, slo, faults) for slo in slos]


def find_knee(result: LoadResult, slo: Slo) -> dict[str, Any]:
    """The target rate at which ``slo`` (judged over its sliding windows) first breaks:
    the knee of a ramp or a staircase. ``rate`` is None when it never broke."""
    if slo.window_s is None:
        slo = Slo(slo.metric, slo.bound, slo.journey, slo.step, window_s=5.0, line=slo.line)
    w = result.window_s
    span = max(1, math.ceil((slo.window_s or w) / w - 1e-9))
    top = 0.0
    for i in range(max(1, result.window_count - span + 1)):
        start, end = i * w, min((i + span) * w, result.duration_s)
        # the highest rate the window reached (a window's mean would lag a rising ramp)
        rate = max(result.target_rate(j * w, (j + 1) * w) for j in range(i, i + span))
        top = max(top, rate)
        value = _figure(result, slo, list(range(i, i + span)))
        if value is not None and _broken(slo, value):
            return {"rate": round(rate, 1),
                    "reason": f"{slo.journey or 'all journeys'} {slo.metric} "
                              f"{_fmt(slo, value)} breaks {slo.bound:g}"
                              f"{' ms' if slo.is_latency else ''} from {rate:.0f}/s "
                              f"(window {start:g}-{end:g} s)"}
    return {"rate": None, "reason": f"{slo.name} held up to {top:.0f}/s: no knee in this run"}
