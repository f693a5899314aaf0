"""A load run's summary (``sandbox.load/1``, docs/load-summary.md) for a terminal and for
JUnit: ``format_table`` is a plain-text table under 100 columns, ``junit_properties`` the
name/value pairs for pytest's ``record_property``.

    steady browse and order  2026-12-03T11:00:00Z  60 s  FAIL (1 of 5 SLOs broken)
    journey / step           count errors dropped     p50     p95     p99     max SLOs
    browse                    1740     41      60    3.49     206     208     218 FAIL p99
      list products           1740      0      60    1.24    1.84    3.92    6.40
      get product             1740     40      60    2.09     204     206     212 ok p95
    order                     1123     36      77    13.5     217     225     263 ok p99, ok errors
    ok   achieved rate >= 90 % of target (worst 95.4 %)
    FAIL browse p99 221 ms > 50 ms in the window 30-40 s
    generator: 1 process(es), 3.2 s CPU, 40 us/request, late p99 1.50 ms, max 4.00 ms

The figure formats (``fmt_ms``, ``bound_text``, ``verdict``) are shared with the HTML report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["bound_text", "fmt_ms", "fmt_value", "format_table", "junit_properties", "slos",
           "verdict", "window_text"]

Summary = Mapping[str, Any]
WIDTH = 100
_COLUMNS = (("journey / step", 22, "<"), ("count", 7, ">"), ("errors", 6, ">"),
            ("dropped", 7, ">"), ("p50", 7, ">"), ("p95", 7, ">"), ("p99", 7, ">"),
            ("max", 7, ">"))
_SHORT = {"error_ratio": "errors", "rate": "rate"}
_LABELS = {"error_ratio": "error ratio", "rate": "achieved rate"}


def fmt_ms(value: object) -> str:
    """A latency in ms with three significant figures; ``-`` when there is none.

    >>> fmt_ms(3.1), fmt_ms(45.25), fmt_ms(1212.4), fmt_ms(None)
    ('3.10', '45.2', '1,212', '-')
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "-"
    if abs(value) < 10:
        return f"{value:.2f}"
    if abs(value) < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def fmt_value(value: object, unit: str | None) -> str:
    """A figure in its SLO's unit: ms, or a ratio as a percentage.

    >>> fmt_value(212.0, "ms"), fmt_value(0.0123, "ratio")
    ('212 ms', '1.23 %')
    """
    if unit == "ratio":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "-"
        return f"{value * 100:.3g} %"
    text = fmt_ms(value)
    return text if text == "-" else f"{text} {unit or 'ms'}"


def bound_text(slo: Mapping[str, Any], ascii_only: bool = False) -> str:
    """``p99 <= 50 ms``: the metric, its bound (a minimum for ``rate``) and unit.

    >>> bound_text({"metric": "p99", "bound": 50.0, "unit": "ms"})
    'p99 ≤ 50 ms'
    >>> bound_text({"metric": "rate", "bound": 0.95, "unit": "ratio"}, ascii_only=True)
    'achieved rate >= 95 %'
    """
    at_least = slo.get("metric") == "rate"
    metric = _LABELS.get(str(slo.get("metric")), str(slo.get("metric", "?")))
    sign = (">=" if at_least else "<=") if ascii_only else ("≥" if at_least else "≤")
    bound, unit = slo.get("bound"), slo.get("unit")
    if unit != "ratio" and isinstance(bound, int | float):
        return f"{metric} {sign} {bound:g} {unit or 'ms'}"
    return f"{metric} {sign} {fmt_value(bound, unit)}"


def window_text(slo: Mapping[str, Any]) -> str:
    """Where the worst figure was: ``20-30 s``, ``during faults``, or ``whole run``.

    >>> window_text({"window_s": 10.0, "worst": {"start_s": 20.0, "end_s": 30.0}})
    '20-30 s'
    >>> window_text({"window_s": None, "scope": "during", "worst": {"start_s": 12, "end_s": 23}})
    'during faults (12-23 s)'
    """
    worst = slo.get("worst") or {}
    start, end = worst.get("start_s"), worst.get("end_s")
    scope = slo.get("scope", "run")
    if slo.get("window_s") is None and scope in ("during", "outside"):
        return f"{scope} faults" + (f" ({start:g}-{end:g} s)" if scope == "during" and
                                    start is not None and end is not None else "")
    if slo.get("window_s") is None or start is None or end is None:
        return "whole run"
    return f"{start:g}-{end:g} s"


def slos(summary: Summary) -> list[dict[str, Any]]:
    """The summary's verdicts, the broken ones first (each group in the summary's order).

    >>> [s["name"] for s in slos({"slos": [{"name": "a", "passed": True},
    ...                                    {"name": "b", "passed": False}]})]
    ['b', 'a']
    """
    listed = list(summary.get("slos") or [])
    return [s for s in listed if not s.get("passed")] + [s for s in listed if s.get("passed")]


def verdict(summary: Summary) -> str:
    """``FAIL`` if an SLO is broken, ``PASS`` if all are kept, ``NO SLOS`` if none was set.

    >>> verdict({"slos": [{"passed": True}]}), verdict({"slos": []})
    ('PASS', 'NO SLOS')
    """
    listed = summary.get("slos") or []
    if not listed:
        return "NO SLOS"
    return "PASS" if all(s.get("passed") for s in listed) else "FAIL"


def key(text: object) -> str:
    """A name as a property key: lower case, runs of other characters as ``_``.

    >>> key("Get Product"), key("p99.9")
    ('get_product', 'p99_9')
    """
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "_"


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut.

    >>> clip("get product details", 10)
    'get produ…'
    """
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _series(summary: Summary) -> list[Mapping[str, Any]]:
    """Each journey's whole-journey series, then its steps."""
    rows = list(summary.get("series") or [])
    journeys = list(dict.fromkeys(str(s.get("journey")) for s in rows))
    return [s for j in journeys for s in sorted(
        (r for r in rows if str(r.get("journey")) == j), key=lambda r: r.get("step") is not None)]


def _verdict_cell(summary: Summary, series: Mapping[str, Any]) -> str:
    mine = [s for s in slos(summary)
            if s.get("journey") == series.get("journey") and s.get("step") == series.get("step")]
    return ", ".join(f"{'ok' if s.get('passed') else 'FAIL'} "
                     f"{_SHORT.get(str(s.get('metric')), s.get('metric'))}" for s in mine)


def traced_bound(tracing: Mapping[str, Any]) -> str:
    """The head sampling's bound in words: "at most 10/s", or "all".

    >>> traced_bound({"traces_per_s": 10.0}), traced_bound({"traces_per_s": None})
    ('at most 10/s', 'all')
    """
    bound = tracing.get("traces_per_s")
    return "all" if bound is None else f"at most {bound:g}/s"


def format_table(summary: Summary, width: int = WIDTH) -> str:
    """The run as a table no wider than ``width``: one row per journey and per step, its
    SLOs' verdicts, then the broken SLOs' messages and the generator's overhead.

    >>> print(format_table({"scenario": "smoke", "duration_s": 5, "series": [
    ...     {"journey": "browse", "step": None, "count": 10, "errors": 0, "dropped": 0,
    ...      "percentiles_ms": {"p50": 3.1, "p95": 4.6, "p99": 9.8, "max": 31}}]}))
    ... # doctest: +NORMALIZE_WHITESPACE
    smoke  5 s  NO SLOS
    journey / step  count  errors  dropped  p50  p95  p99  max  SLOs
    browse  10  0  0  3.10  4.60  9.80  31.0
    """
    name_w = min(max(22 - (WIDTH - width), 10), 22)  # a narrower table narrows the names
    columns = (("journey / step", name_w, "<"), *_COLUMNS[1:])
    fixed = sum(w for _, w, _ in columns) + len(columns)
    slo_width = max(width - fixed, 0)
    listed = slos(summary)
    broken = [s for s in listed if not s.get("passed")]
    head = [str(summary.get("scenario", "load run")), str(summary.get("started_at") or ""),
            f"{summary.get('duration_s', 0) or 0:g} s", verdict(summary)]
    if broken:
        head[-1] += f" ({len(broken)} of {len(listed)} SLOs broken)"
    lines = [clip("  ".join(part for part in head if part), width)]
    lines.append(" ".join(f"{clip(name, w):{align}{w}}" for name, w, align in columns) + " SLOs")
    for series in _series(summary):
        step = series.get("step")
        name = f"  {step}" if step is not None else str(series.get("journey"))
        pct = series.get("percentiles_ms") or {}
        cells = [name, str(series.get("count", 0)), str(series.get("errors", 0)),
                 str(series.get("dropped", 0)),
                 *(fmt_ms(pct.get(p)) for p in ("p50", "p95", "p99", "max"))]
        row = " ".join(f"{clip(c, w):{align}{w}}" for c, (_, w, align) in zip(cells, columns))
        lines.append(f"{row} {clip(_verdict_cell(summary, series), slo_width)}".rstrip())
    shown = {(s.get("journey"), s.get("step")) for s in summary.get("series") or []}
    for slo in listed:
        if (slo.get("journey"), slo.get("step")) not in shown:
            mark = "ok  " if slo.get("passed") else "FAIL"
            worst = fmt_value((slo.get("worst") or {}).get("value"), slo.get("unit"))
            lines.append(clip(f"{mark} {slo.get('name')} (worst {worst})", width))
    for slo in broken:
        lines.append(clip(f"FAIL {slo.get('message') or slo.get('name')}", width))
    if summary.get("knee"):
        knee = summary["knee"]
        where = f"knee at {knee['rate']:g}/s" if knee.get("rate") is not None else "no knee"
        lines.append(clip(f"{where}: {knee.get('reason', '')}", width))
    lines += [clip(f"note: {note}", width) for note in summary.get("notes") or []]
    over = summary.get("overhead") or {}
    if over:
        late = over.get("lateness_ms") or {}
        lines.append(clip(f"generator: {over.get('processes', '?')} process(es), "
                          f"{over.get('cpu_s', 0):g} s CPU, "
                          f"{over.get('cpu_per_request_us', 0):g} us/request, late p99 "
                          f"{fmt_value(late.get('p99'), 'ms')}, max "
                          f"{fmt_value(late.get('max'), 'ms')}",
                          width))
    tracing = summary.get("tracing")
    if tracing:
        lines.append(clip(f"traced: {tracing.get('traced', 0)} arrivals "
                          f"({traced_bound(tracing)})", width))
    return "\n".join(clip(line, width) for line in lines)


def junit_properties(summary: Summary) -> list[tuple[str, str]]:
    """Name/value pairs for ``record_property``: the run, each series' figures
    (``load.browse.p99_ms``, ``load.browse.get_product.count``) and each SLO numbered from
    1 in the summary's order (``load.slo.1.passed``).

    >>> dict(junit_properties({"slos": [{"name": "p99", "passed": False}]}))["load.slo.1.passed"]
    'false'
    """
    props = [("load.scenario", str(summary.get("scenario", ""))),
             ("load.verdict", verdict(summary)),
             ("load.duration_s", f"{summary.get('duration_s', 0) or 0:g}")]
    for series in _series(summary):
        prefix = "load." + key(series.get("journey"))
        if series.get("step") is not None:
            prefix += "." + key(series["step"])
        for field in ("count", "errors", "dropped"):
            props.append((f"{prefix}.{field}", str(series.get(field, 0))))
        for name, value in (series.get("percentiles_ms") or {}).items():
            if value is not None:
                props.append((f"{prefix}.{key(name)}_ms", f"{value:g}"))
    for number, slo in enumerate(summary.get("slos") or [], start=1):
        worst = (slo.get("worst") or {}).get("value")
        props += [(f"load.slo.{number}.name", str(slo.get("name", ""))),
                  (f"load.slo.{number}.passed", "true" if slo.get("passed") else "false")]
        if worst is not None:
            props.append((f"load.slo.{number}.worst", f"{worst:g}"))
    return props
