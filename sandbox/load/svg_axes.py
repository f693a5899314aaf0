"""What every chart of the load report shares: a frame mapping data to pixels, "nice"
ticks, and the SVG pieces drawn around the data (grid, tick labels, legend, a "no data" note).

    0 ┌──────────────────────────────────────────────┐
      │ legend: ── p50  ── p99  ▆ dropped             │  margin top
      │ y ticks ┌────────────────────────────────────┐│
      │  250 ── │          plot area                 ││
      │    0 ── └────────────────────────────────────┘│  margin bottom
      │          0     10     20     30   time (s)    │
      └──────────────────────────────────────────────┘ height

Text is always escaped (``esc``); no element refers to anything outside the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"


def esc(text: object) -> str:
    """``text`` safe inside an element or a quoted attribute.

    >>> esc('<script>"x"</script>')
    '&lt;script&gt;&quot;x&quot;&lt;/script&gt;'
    """
    return escape(str(text), quote=True)


def number(value: object) -> float | None:
    """A finite float, or ``None`` for null, NaN, infinities and non-numbers.

    >>> number(3), number(None), number(float("nan")), number("x")
    (3.0, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def nice_step(span: float, count: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) cutting ``span`` in about
    ``count`` parts.

    >>> nice_step(212), nice_step(1), nice_step(0)
    (50.0, 0.2, 1.0)
    """
    raw = span / max(count, 1)
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= multiple * power * (1 + 1e-9):
            return multiple * power
    return 10.0 * power


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values from ``lo`` to ``hi``, about ``count`` steps apart.

    >>> nice_ticks(0, 250)
    [0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
    """
    step = nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9) * step
    ticks: list[float] = []
    while first + len(ticks) * step <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(round(first + len(ticks) * step, 10))
    return ticks


def nice_top(hi: float, count: int = 5) -> float:
    """The top of an axis starting at 0 that holds ``hi`` with a little room, on a round tick.

    >>> nice_top(212), nice_top(0), nice_top(9.8), nice_top(50)
    (250.0, 1.0, 12.5, 60.0)
    """
    if not hi > 0 or not math.isfinite(hi):
        return 1.0
    room = hi * 1.06
    step = nice_step(room, count)
    return math.ceil(room / step - 1e-9) * step


def tick_text(value: float) -> str:
    """A tick's label: short, no trailing zeros.

    >>> tick_text(250.0), tick_text(0.25), tick_text(20000.0)
    ('250', '0.25', '20k')
    """
    if abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:.6g}"


def text_width(text: str, size: float = 11) -> float:
    """A rough width in pixels of ``text`` in the charts' sans-serif font.

    >>> round(text_width("p99"), 1)
    18.5
    """
    return len(text) * size * 0.56


@dataclass(frozen=True)
class Frame:
    """The chart's size, its margins and the data ranges on each axis; ``x()`` and ``y()``
    map data to pixels (values outside the range are clamped to the plot's edge).

    >>> f = Frame(900, 260, (0.0, 60.0), (0.0, 250.0))
    >>> f.x(0.0) == f.left, f.y(0.0) == f.bottom
    (True, True)
    """

    width: int
    height: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    margin: tuple[int, int, int, int] = (30, 18, 40, 58)  # top, right, bottom, left

    @property
    def left(self) -> float:
        return float(self.margin[3])

    @property
    def right(self) -> float:
        return float(self.width - self.margin[1])

    @property
    def top(self) -> float:
        return float(self.margin[0])

    @property
    def bottom(self) -> float:
        return float(self.height - self.margin[2])

    def x(self, value: float) -> float:
        lo, hi = self.x_range
        share = (value - lo) / (hi - lo) if hi > lo else 0.0
        return self.left + min(max(share, 0.0), 1.0) * (self.right - self.left)

    def y(self, value: float) -> float:
        lo, hi = self.y_range
        share = (value - lo) / (hi - lo) if hi > lo else 0.0
        return self.bottom - min(max(share, 0.0), 1.0) * (self.bottom - self.top)


def px(value: float) -> str:
    """A pixel coordinate, to a tenth.

    >>> px(12.345)
    '12.3'
    """
    return f"{value:.1f}"


def svg_open(frame: Frame, kind: str, label: str, **data: str) -> str:
    """The ``<svg>`` element (no namespace URL: inline SVG in HTML needs none), its title
    and a white background; ``data`` become ``data-*`` attributes.

    >>> svg_open(Frame(900, 260, (0, 1), (0, 1)), "latency", "x", journey="browse")[:57]
    '<svg class="chart" data-chart="latency" data-journey="bro'
    """
    extra = "".join(f' data-{key}="{esc(value)}"' for key, value in data.items())
    return (f'<svg class="chart" data-chart="{esc(kind)}"{extra} viewBox="0 0 {frame.width} '
            f'{frame.height}" width="{frame.width}" height="{frame.height}" role="img" '
            f'aria-label="{esc(label)}" font-family="{FONT}" font-size="11">'
            f"<title>{esc(label)}</title>"
            f'<rect x="0" y="0" width="{frame.width}" height="{frame.height}" fill="#fff"/>')


def y_grid(frame: Frame, ticks: Iterable[float], label: str) -> str:
    """Horizontal grid lines with their values on the left, and the y axis's title.

    >>> y_grid(Frame(900, 260, (0, 1), (0, 50)), [0, 50], "ms").count("<line")
    2
    """
    out = []
    for tick in ticks:
        y = px(frame.y(tick))
        out.append(f'<line x1="{px(frame.left)}" x2="{px(frame.right)}" y1="{y}" y2="{y}" '
                   f'stroke="{GRID}"/>'
                   f'<text x="{px(frame.left - 6)}" y="{y}" dy="0.32em" text-anchor="end" '
                   f'fill="{MUTED}">{esc(tick_text(tick))}</text>')
    middle = px((frame.top + frame.bottom) / 2)
    out.append(f'<text transform="translate(13 {middle}) rotate(-90)" text-anchor="middle" '
               f'fill="{MUTED}">{esc(label)}</text>')
    return "".join(out)


def x_axis(frame: Frame, ticks: Iterable[tuple[float, str]], label: str) -> str:
    """The x axis's baseline, its ticks (value, label) and its title under them.

    >>> x_axis(Frame(900, 260, (0, 60), (0, 1)), [(0, "0"), (60, "60")], "time (s)").count(
    ...     "<text")
    3
    """
    bottom = px(frame.bottom)
    out = [(f'<line x1="{px(frame.left)}" x2="{px(frame.right)}" y1="{bottom}" '
            f'y2="{bottom}" stroke="{MUTED}"/>')]
    for value, text in ticks:
        x = px(frame.x(value))
        out.append(f'<line x1="{x}" x2="{x}" y1="{bottom}" y2="{px(frame.bottom + 4)}" '
                   f'stroke="{MUTED}"/><text x="{x}" y="{px(frame.bottom + 16)}" '
                   f'text-anchor="middle" fill="{MUTED}">{esc(text)}</text>')
    out.append(f'<text x="{px(frame.right)}" y="{px(frame.height - 6)}" text-anchor="end" '
               f'fill="{MUTED}">{esc(label)}</text>')
    return "".join(out)


def legend(frame: Frame, entries: Sequence[tuple[str, str, str]]) -> str:
    """One row above the plot: (name, colour, style) with style ``line``, ``dash`` or
    ``bar``.

    >>> legend(Frame(900, 260, (0, 1), (0, 1)), [("p99", "#7c3aed", "line"),
    ...                                          ("dropped", "#dc2626", "bar")]).count("<text")
    2
    """
    out, x, y = ['<g class="legend">'], frame.left, frame.top - 12
    for name, colour, style in entries:
        if style == "bar":
            out.append(f'<rect x="{px(x)}" y="{px(y - 5)}" width="14" height="10" '
                       f'fill="{colour}"/>')
        else:
            dash = ' stroke-dasharray="5 3"' if style == "dash" else ""
            out.append(f'<line x1="{px(x)}" x2="{px(x + 16)}" y1="{px(y)}" y2="{px(y)}" '
                       f'stroke="{colour}" stroke-width="2.2"{dash}/>')
        out.append(f'<text x="{px(x + 20)}" y="{px(y)}" dy="0.32em" fill="{INK}">'
                   f"{esc(name)}</text>")
        x += 20 + text_width(name) + 16
    out.append("</g>")
    return "".join(out)


def no_data(frame: Frame, text: str = "no data") -> str:
    """A note in the middle of an empty plot.

    >>> "no data" in no_data(Frame(900, 260, (0, 1), (0, 1)))
    True
    """
    return (f'<text class="no-data" x="{px((frame.left + frame.right) / 2)}" '
            f'y="{px((frame.top + frame.bottom) / 2)}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="13">{esc(text)}</text>')


def segments(points: Iterable[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """The runs of consecutive non-null points (a null value is a gap in the line).

    >>> segments([(0, 1), (1, None), (2, 3), (3, 4)])
    [[(0.0, 1.0)], [(2.0, 3.0), (3.0, 4.0)]]
    """
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        fx, fy = number(x), number(y)
        if fx is None or fy is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((fx, fy))
    return [run for run in runs if run]
