"""Inline-SVG charts for the load report, with no dependency: one string of ``<svg>`` each.

    time_chart(lines, bars=, thresholds=, bands=)   values over the run's seconds: lines
                                                    (null = a gap), stacked bars, labelled
                                                    horizontal bounds, shaded named windows
    spectrum_chart(lines)                           latency by percentile on HdrHistogram's
                                                    log "1/(1-p)" axis (50 %, 90 %, 99 % ...)
    rate_chart(rows, window_s)                      target vs achieved rate, dropped as bars
    errors_chart(errors, window_s)                  errors per window, stacked by kind

Every chart draws something for empty input (its axes and "no data"), a single point (a
dot), nulls (gaps) and all zeros (a 0-1 axis).

>>> svg = time_chart([Line("p99", [(0, 9.8), (1, None), (2, 212.0)])],
...                  thresholds=[Threshold("p99 <= 50 ms", 50.0)],
...                  bands=[Band("catalog->postgres latency", 1.5, 2.5)])
>>> svg.startswith("<svg") and svg.count('class="threshold"') == 1
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sandbox.load.svg_axes import (
    MUTED,
    Frame,
    esc,
    legend,
    nice_ticks,
    nice_top,
    no_data,
    number,
    px,
    segments,
    svg_open,
    tick_text,
    x_axis,
    y_grid,
)

PALETTE = ("#2563eb", "#d97706", "#7c3aed", "#0d9488", "#db2777", "#65a30d", "#475569")
ERROR_COLOURS = ("#dc2626", "#f97316", "#eab308", "#a855f7", "#0891b2", "#64748b")
BAD, GOOD, FAULT, FAULT_INK = "#dc2626", "#16a34a", "#f59e0b", "#92400e"
Points = Sequence[tuple[float, float | None]]


@dataclass(frozen=True)
class Line:
    """A named line: (x, y) points, a null y leaves a gap."""

    name: str
    points: Points
    colour: str = PALETTE[0]
    dashed: bool = False
    width: float = 2.0


@dataclass(frozen=True)
class Bars:
    """Bars starting at each x, stacked on the bars of the series before them."""

    name: str
    points: Points
    colour: str = BAD


@dataclass(frozen=True)
class Threshold:
    """A horizontal bound across the plot, labelled at its right end."""

    label: str
    value: float
    colour: str = BAD


@dataclass(frozen=True)
class Band:
    """A shaded vertical window (a fault) from ``start`` to ``end``, named at its top."""

    label: str
    start: float
    end: float


def _x_range(lines: Sequence[Line], bars: Sequence[Bars], width: float) -> tuple[float, float]:
    xs = [x for series in (*lines, *bars) for x, _ in series.points if number(x) is not None]
    if not xs:
        return 0.0, 1.0
    lo, hi = min(xs), max(xs) + (width if bars else 0.0)
    return (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)


def _stack(bars: Sequence[Bars]) -> list[tuple[Bars, float, float, float]]:
    """(series, x, bottom, top) of every bar, each series stacked on the ones before."""
    base: dict[float, float] = {}
    out = []
    for series in bars:
        for x, y in series.points:
            fx, fy = number(x), number(y)
            if fx is None or not fy:
                continue
            bottom = base.get(fx, 0.0)
            base[fx] = bottom + fy
            out.append((series, fx, bottom, bottom + fy))
    return out


def _path(frame: Frame, line: Line, points: Points) -> str:
    to_x = frame.x
    dash = ' stroke-dasharray="6 4"' if line.dashed else ""
    out = []
    for run in segments(points):
        if len(run) == 1:
            (x, y), = run
            out.append(f'<circle cx="{px(to_x(x))}" cy="{px(frame.y(y))}" r="2.6" '
                       f'fill="{line.colour}"/>')
            continue
        d = " ".join(f"{'M' if i == 0 else 'L'}{px(to_x(x))},{px(frame.y(y))}"
                     for i, (x, y) in enumerate(run))
        out.append(f'<path d="{d}" fill="none" stroke="{line.colour}" '
                   f'stroke-width="{line.width:g}" stroke-linejoin="round"{dash}/>')
    return (f'<g class="series" data-series="{esc(line.name)}">' + "".join(out) + "</g>")


def _bands(frame: Frame, bands: Sequence[Band]) -> tuple[str, str]:
    """The shaded rectangles (under the data) and their names (over it)."""
    shade, names = [], []
    for row, band in enumerate(bands):
        x1, x2 = frame.x(band.start), frame.x(max(band.end, band.start))
        shade.append(f'<rect class="fault" data-fault="{esc(band.label)}" x="{px(x1)}" '
                     f'y="{px(frame.top)}" width="{px(max(x2 - x1, 1.5))}" '
                     f'height="{px(frame.bottom - frame.top)}" fill="{FAULT}" '
                     f'fill-opacity="0.16"><title>{esc(band.label)}</title></rect>')
        y = frame.top + 12 + 13 * row
        names.append(f'<text class="fault-name" x="{px(x1 + 4)}" y="{px(y)}" '
                     f'fill="{FAULT_INK}" font-size="10.5" paint-order="stroke" stroke="#fff" '
                     f'stroke-width="3">{esc(band.label)}</text>')
    return "".join(shade), "".join(names)


def _threshold(frame: Frame, bound: Threshold, top: float) -> str:
    off = bound.value > top
    y = px(frame.y(min(bound.value, top)))
    label = f"{bound.label} (above the chart)" if off else bound.label
    return (f'<g class="threshold" data-threshold="{esc(bound.label)}">'
            f'<line x1="{px(frame.left)}" x2="{px(frame.right)}" y1="{y}" y2="{y}" '
            f'stroke="{bound.colour}" stroke-width="1.4" stroke-dasharray="7 4"/>'
            f'<text x="{px(frame.right - 4)}" y="{y}" dy="{"1.1em" if off else "-0.4em"}" '
            f'text-anchor="end" fill="{bound.colour}" font-weight="600" paint-order="stroke" '
            f'stroke="#fff" stroke-width="3">{esc(label)}</text></g>')


def time_chart(lines: Sequence[Line] = (), *, bars: Sequence[Bars] = (),
               thresholds: Sequence[Threshold] = (), bands: Sequence[Band] = (),
               x_range: tuple[float, float] | None = None, bar_width: float = 1.0,
               x_label: str = "time (s)", y_label: str = "ms", title: str = "",
               kind: str = "time", width: int = 900, height: int = 260,
               **data: str) -> str:
    """Lines and stacked bars over x from 0 up; ``thresholds`` more than three times above
    the data are pinned to the top edge (so they do not flatten it).

    >>> time_chart([], title="empty").count("no data")
    1
    """
    lo_x, hi_x = x_range or _x_range(lines, bars, bar_width)
    stacked = _stack(bars)
    values = [y for line in lines for run in segments(line.points) for _, y in run]
    values += [top for *_, top in stacked]
    data_hi = max(values, default=0.0)
    shown = [t.value for t in thresholds if data_hi <= 0 or t.value <= 3 * data_hi]
    top = nice_top(max([data_hi, *shown]))
    frame = Frame(width, height, (lo_x, hi_x if hi_x > lo_x else lo_x + 1), (0.0, top))
    shade, names = _bands(frame, bands)
    out = [svg_open(frame, kind, title, **data), shade, y_grid(frame, nice_ticks(0, top), y_label)]
    for series, x, bottom, bar_top in stacked:
        x1, x2 = frame.x(x), frame.x(x + bar_width)
        out.append(f'<rect class="bar" data-series="{esc(series.name)}" x="{px(x1 + 0.5)}" '
                   f'y="{px(frame.y(bar_top))}" width="{px(max(x2 - x1 - 1, 1))}" '
                   f'height="{px(frame.y(bottom) - frame.y(bar_top))}" fill="{series.colour}"/>')
    out += [_path(frame, line, line.points) for line in lines]
    out += [_threshold(frame, bound, top) for bound in thresholds]
    ticks = nice_ticks(frame.x_range[0], frame.x_range[1], 10)
    out += [names, x_axis(frame, [(t, tick_text(t)) for t in ticks], x_label)]
    out.append(legend(frame, [(ln.name, ln.colour, "dash" if ln.dashed else "line")
                              for ln in lines] + [(b.name, b.colour, "bar") for b in bars]))
    if not values:
        out.append(no_data(frame))
    return "".join(out) + "</svg>"


def _spectrum_x(percentile: float, end: float) -> float:
    """log10(1/(1-p)); the 100th percentile (the maximum) at the axis's right end."""
    if percentile >= 100:
        return end
    return min(-math.log10(1 - max(percentile, 0.0) / 100), end)


def _percent(decade: int) -> str:
    return "0 %" if decade == 0 else f"{100 - 100 / 10 ** decade:.{max(decade - 2, 0)}f} %"


def spectrum_chart(lines: Sequence[Line], *, title: str = "", y_label: str = "ms",
                   width: int = 900, height: int = 260, **data: str) -> str:
    """Latency by percentile, as HdrHistogram's plotter draws it: the x axis is
    1/(1-p) on a log scale (0 %, 50 %, 90 %, 99 %, 99.9 % ...); a line's points are
    (percentile 0-100, value); the maximum (100) is drawn at the right end, marked "max".

    >>> svg = spectrum_chart([Line("browse", [(50, 3.1), (99, 9.8), (100, 31.0)])])
    >>> "99 %" in svg and "max" in svg
    True
    """
    finite = [_spectrum_x(p, 9.0) for line in lines for run in segments(line.points)
              for p, _ in run if p < 100]
    has_max = any(p >= 100 for line in lines for run in segments(line.points) for p, _ in run)
    deepest = math.ceil(max(finite, default=2.0) - 1e-6)
    end = float(min(max(deepest + (1 if has_max else 0), 2), 7))
    values = [y for line in lines for run in segments(line.points) for _, y in run]
    top = nice_top(max(values, default=0.0))
    frame = Frame(width, height, (0.0, end), (0.0, top))
    decades = range(int(end) + (0 if has_max else 1))
    ticks = [(float(d), _percent(d)) for d in decades] + [(math.log10(2), "50 %")]
    if has_max:
        ticks.append((end, "max"))
    out = [svg_open(frame, "spectrum", title, **data), y_grid(frame, nice_ticks(0, top), y_label)]
    for value, _ in ticks:
        x = px(frame.x(value))
        out.append(f'<line x1="{x}" x2="{x}" y1="{px(frame.top)}" y2="{px(frame.bottom)}" '
                   f'stroke="#f3f4f6"/>')
    for line in lines:
        points = [(_spectrum_x(p, end), v) for p, v in line.points if number(p) is not None]
        out.append(_path(frame, line, points))
    out.append(x_axis(frame, ticks, "percentile  (x = 1/(1-p), log scale)"))
    out.append(legend(frame, [(ln.name, ln.colour, "dash" if ln.dashed else "line")
                              for ln in lines]))
    if not values:
        out.append(no_data(frame))
    return "".join(out) + "</svg>"


def rate_chart(rows: Sequence[Mapping], window_s: float = 1.0, *, bands: Sequence[Band] = (),
               knee: float | None = None, x_range: tuple[float, float] | None = None,
               title: str = "achieved vs target rate", **data: str) -> str:
    """The summary's ``rate`` rows (``t``, ``target``, ``achieved``, ``dropped``): target
    dashed, achieved solid, dropped per second as bars, the knee's rate as a bound.

    >>> rate_chart([{"t": 0, "target": 50, "achieved": 49, "dropped": 1}]).count("<circle")
    2
    """
    w = window_s if window_s and window_s > 0 else 1.0
    mid = [(number(r.get("t")) or 0.0) + w / 2 for r in rows]
    target = Line("target", [(x, number(r.get("target"))) for x, r in zip(mid, rows)],
                  MUTED, dashed=True, width=1.6)
    achieved = Line("achieved", [(x, number(r.get("achieved"))) for x, r in zip(mid, rows)],
                    PALETTE[0])
    dropped = Bars("dropped", [(number(r.get("t")) or 0.0, (number(r.get("dropped")) or 0) / w)
                               for r in rows], BAD)
    knees = [Threshold(f"knee {knee:g}/s", knee, PALETTE[2])] if knee is not None else []
    return time_chart([target, achieved], bars=[dropped], thresholds=knees, bands=bands,
                      x_range=x_range, bar_width=w, y_label="requests/s", title=title,
                      kind="rate", **data)


def errors_chart(errors: Iterable[Mapping], window_s: float = 1.0, *,
                 bands: Sequence[Band] = (), x_range: tuple[float, float] | None = None,
                 title: str = "errors over time, by kind", **data: str) -> str:
    """The summary's ``errors`` rows (``t``, ``kind``, ``count``) as bars per window,
    stacked by kind (the most frequent kind at the bottom).

    >>> errors_chart([{"t": 3, "kind": "http 503", "count": 4}]).count('class="bar"')
    1
    """
    by_kind: dict[str, list[tuple[float, float | None]]] = {}
    for row in errors:
        by_kind.setdefault(str(row.get("kind", "?")), []).append(
            (number(row.get("t")) or 0.0, number(row.get("count"))))
    order = sorted(by_kind, key=lambda k: -sum(c or 0 for _, c in by_kind[k]))
    bars = [Bars(kind, by_kind[kind], ERROR_COLOURS[i % len(ERROR_COLOURS)])
            for i, kind in enumerate(order)]
    w = window_s if window_s and window_s > 0 else 1.0
    return time_chart([], bars=bars, bands=bands, x_range=x_range, bar_width=w,
                      y_label=f"errors per {w:g} s", title=title, kind="errors", **data)


__all__ = ["BAD", "FAULT", "GOOD", "PALETTE", "Band", "Bars", "Line", "Threshold",
           "errors_chart", "rate_chart", "spectrum_chart", "time_chart"]
