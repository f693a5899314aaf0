"""A load run's report: one self-contained HTML file built from its summary alone
(``sandbox.load/1``, docs/load-summary.md), inline CSS and SVG, no script, no URL; it prints.

    ┌ header ── scenario · start · duration · PASS / FAIL ───────────────────┐
    │ SLO verdicts          the broken ones first, highlighted               │
    │ per journey           latency per window (p50 p95 p99 max), its SLO    │
    │                       bounds as lines, faults shaded; the percentile   │
    │                       spectrum against the baseline's; its steps       │
    │ throughput            target vs achieved rate, dropped; the knee       │
    │ errors                per window, stacked by kind                      │
    │ generator             its own overhead                                 │
    └────────────────────────────────────────────────────────────────────────┘

>>> from pathlib import Path
>>> summary = {"scenario": "smoke", "duration_s": 5.0, "series": [], "slos": []}
>>> write_report(summary, Path("reports/load/smoke.html")).name       # doctest: +SKIP
'smoke.html'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sandbox.load.report_style import CSS
from sandbox.load.summary_table import (
    bound_text,
    fmt_ms,
    fmt_value,
    slos,
    traced_bound,
    verdict,
    window_text,
)
from sandbox.load.svg_axes import esc, number
from sandbox.load.svg_charts import (
    BAD,
    GOOD,
    PALETTE,
    Band,
    Line,
    Threshold,
    errors_chart,
    rate_chart,
    spectrum_chart,
    time_chart,
)

__all__ = ["render_report", "write_report"]

Summary = Mapping[str, Any]
SCHEMA = "sandbox.load/1"
LATENCY_LINES = (("p50", "#0d9488", 1.8), ("p95", "#2563eb", 1.8), ("p99", "#7c3aed", 2.2),
                 ("max", "#9ca3af", 1.3))
SPECTRUM_COLUMNS = ("p50", "p90", "p95", "p99", "p99.9", "max")
LATE_MS = 10.0  # generator lateness (p99) past which its figures deserve a warning


def _journeys(summary: Summary) -> list[str]:
    return list(dict.fromkeys(str(s.get("journey")) for s in summary.get("series") or []))


def _series_of(summary: Summary | None, journey: str, step: str | None = None) -> dict:
    for series in (summary or {}).get("series") or []:
        if str(series.get("journey")) == journey and series.get("step") == step:
            return series
    return {}


def _x_range(summary: Summary) -> tuple[float, float] | None:
    duration = number(summary.get("duration_s"))
    return (0.0, duration) if duration else None


def _bands(summary: Summary) -> list[Band]:
    """The faults' windows; one never removed (``end_s`` null) lasts to the end of the run."""
    end = number(summary.get("duration_s")) or 0.0
    return [Band(str(f.get("name", "fault")), number(f.get("start_s")) or 0.0,
                 number(f.get("end_s")) if number(f.get("end_s")) is not None else end)
            for f in summary.get("faults") or []]


def _delta(now: object, then: object) -> str:
    """``+22 %`` (``×21`` past double) against the baseline, marked worse or better past
    10 %."""
    a, b = number(now), number(then)
    if a is None or not b:
        return ""
    change = (a - b) / b * 100
    mood = "worse" if change >= 10 else "better" if change <= -10 else "same"
    text = f"×{a / b:.2g}" if a >= 2 * b else f"{change:+.0f} %"
    return f' <span class="delta {mood}">{esc(text)}</span>'



def _when(stamp: object) -> str:
    """``2026-12-03 11:00:00 UTC`` from ``2026-12-03T11:00:00Z``; anything else as given."""
    text = str(stamp or "?")
    return text.replace("T", " ", 1).removesuffix("Z") + " UTC" if text.endswith("Z") else text


def _header(summary: Summary, baseline: Summary | None) -> str:
    word = verdict(summary)
    listed = summary.get("slos") or []
    broken = sum(1 for s in listed if not s.get("passed"))
    facts = [f"started {_when(summary.get('started_at'))}",
             f"{number(summary.get('duration_s')) or 0:g} s",
             f"{number(summary.get('window_s')) or 0:g} s windows",
             f"{len(_journeys(summary))} journey{'s' * (len(_journeys(summary)) != 1)}",
             f"{broken} of {len(listed)} SLOs broken" if listed else "no SLO set"]
    if baseline:
        facts.append(f"baseline: the run of {_when(baseline.get('started_at'))}")
    mood = {"PASS": "pass", "FAIL": "fail"}.get(word, "none")
    return (f'<header class="run {mood}"><div class="verdict" data-verdict="{esc(word)}">'
            f'{esc(word)}</div><div><div class="kicker">load report</div>'
            f'<h1>{esc(summary.get("scenario", "load run"))}</h1><p>'
            + " · ".join(f"<span>{esc(f)}</span>" for f in facts) + "</p></div></header>")


def _verdicts(summary: Summary) -> str:
    listed = slos(summary)
    if not listed:
        return ('<section class="card" id="slos"><h2>SLO verdicts</h2>'
                '<p class="muted">No SLO was set for this run.</p></section>')
    rows = []
    for slo in listed:
        ok = bool(slo.get("passed"))
        scope = " / ".join(str(p) for p in (slo.get("journey"), slo.get("step")) if p) or "run"
        worst = (slo.get("worst") or {}).get("value")
        message = "" if ok else f'<div class="msg">{esc(slo.get("message", ""))}</div>'
        rows.append(
            f'<tr class="{"kept" if ok else "broken"}" data-slo="{esc(slo.get("name", ""))}" '
            f'data-passed="{"true" if ok else "false"}"><td><span class="badge '
            f'{"ok" if ok else "bad"}">{"PASS" if ok else "FAIL"}</span></td>'
            f'<td>{esc(slo.get("name", ""))}{message}</td><td class="nowrap">{esc(scope)}</td>'
            f'<td class="nowrap">{esc(bound_text(slo))}</td>'
            f'<td class="num">{esc(fmt_value(worst, slo.get("unit")))}</td>'
            f'<td class="nowrap">{esc(window_text(slo))}</td></tr>')
    return ('<section class="card" id="slos"><h2>SLO verdicts</h2><table class="verdicts" '
            'data-verdicts="slos"><thead><tr><th></th><th>SLO</th><th>journey / step</th>'
            '<th>bound</th><th class="num">worst</th><th>worst window</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></section>")


def _latency_chart(summary: Summary, journey: str, series: Mapping[str, Any]) -> str:
    w = number(summary.get("window_s")) or 1.0
    windows = series.get("windows") or []
    lines = [Line(name, [((number(win.get("t")) or 0.0) + w / 2, number(win.get(name)))
                         for win in windows], colour, width=width)
             for name, colour, width in LATENCY_LINES]
    bounds = [Threshold(f"{bound_text(s)} {'kept' if s.get('passed') else 'broken'}",
                        number(s.get("bound")) or 0.0, GOOD if s.get("passed") else BAD)
              for s in summary.get("slos") or []
              if str(s.get("journey")) == journey and s.get("step") is None
              and s.get("unit") == "ms" and number(s.get("bound")) is not None]
    return time_chart(lines, thresholds=bounds, bands=_bands(summary),
                      x_range=_x_range(summary), title=f"{journey}: latency per {w:g} s window",
                      kind="latency", journey=journey)


def _spectrum(journey: str, colour: str, series: Mapping[str, Any],
              baseline: Mapping[str, Any]) -> str:
    lines = [Line(f"{journey} (this run)", series.get("spectrum") or [], colour)]
    if baseline.get("spectrum"):
        lines.append(Line(f"{journey} (baseline)", baseline["spectrum"], "#6b7280",
                          dashed=True, width=1.8))
    return spectrum_chart(lines, title=f"{journey}: latency by percentile",
                          journey=journey)


def _steps_table(summary: Summary, journey: str, baseline: Summary | None) -> str:
    rows = [s for s in summary.get("series") or [] if str(s.get("journey")) == journey]
    rows.sort(key=lambda s: s.get("step") is not None)
    head = "".join(f'<th class="num">{esc(c)}</th>' for c in SPECTRUM_COLUMNS)
    body = []
    for s in rows:
        step = s.get("step")
        pct = s.get("percentiles_ms") or {}
        then = (_series_of(baseline, journey, step).get("percentiles_ms") or {}).get("p99")
        cells = "".join(f'<td class="num">{esc(fmt_ms(pct.get(c)))}</td>'
                        for c in SPECTRUM_COLUMNS)
        extra = (f'<td class="num">{esc(fmt_ms(then))}{_delta(pct.get("p99"), then)}</td>'
                 if baseline else "")
        body.append(f'<tr class="{"step" if step is not None else "whole"}">'
                    f'<td>{esc(step if step is not None else "whole journey")}</td>'
                    f'<td class="num">{esc(s.get("count", 0))}</td>'
                    f'<td class="num">{esc(s.get("errors", 0))}</td>'
                    f'<td class="num">{esc(s.get("dropped", 0))}</td>{cells}{extra}</tr>')
    base_head = '<th class="num">baseline p99</th>' if baseline else ""
    return ('<table class="steps"><thead><tr><th>step</th><th class="num">count</th>'
            '<th class="num">errors</th><th class="num">dropped</th>'
            f"{head}{base_head}</tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def _legend_note(summary: Summary) -> str:
    notes = (["faults shaded"] if summary.get("faults") else []) + (
        ["SLO bounds dashed"] if any(s.get("unit") == "ms" for s in summary.get("slos") or [])
        else [])
    return ": " + ", ".join(notes) if notes else ""


def _journey(summary: Summary, journey: str, colour: str, baseline: Summary | None) -> str:
    series = _series_of(summary, journey)
    then = _series_of(baseline, journey)
    window = number(summary.get("window_s")) or 1.0
    pct = series.get("percentiles_ms") or {}
    mine = [s for s in summary.get("slos") or [] if str(s.get("journey")) == journey]
    broken = sum(1 for s in mine if not s.get("passed"))
    badge = (f'<span class="badge bad">{broken} SLO{"s" * (broken > 1)} broken</span>'
             if broken else f'<span class="badge ok">{len(mine)} SLO{"s" * (len(mine) > 1)} '
             "kept</span>" if mine else "")
    p99_then = (then.get("percentiles_ms") or {}).get("p99") if then else None
    vs = (f" (baseline {esc(fmt_ms(p99_then))} ms{_delta(pct.get('p99'), p99_then)})"
          if p99_then is not None else "")
    stats = (f"{esc(series.get('count', 0))} requests · {esc(series.get('errors', 0))} errors"
             f" · {esc(series.get('dropped', 0))} dropped · p50 {esc(fmt_ms(pct.get('p50')))}"
             f" ms · p99 {esc(fmt_ms(pct.get('p99')))} ms{vs} · max "
             f"{esc(fmt_ms(pct.get('max')))} ms")
    return (f'<section class="card journey" data-journey="{esc(journey)}">'
            f"<h2>{esc(journey)} {badge}</h2><p class=\"stats\">{stats}</p>"
            f"<figure><figcaption>Latency per {window:g} s window{_legend_note(summary)}"
            f"</figcaption>{_latency_chart(summary, journey, series)}</figure>"
            f"<figure><figcaption>Latency by percentile over the whole run"
            f"{', against the baseline (dashed)' if then else ''}</figcaption>"
            f"{_spectrum(journey, colour, series, then)}</figure>"
            f"{_steps_table(summary, journey, baseline)}</section>")


def _throughput(summary: Summary) -> str:
    rows: Sequence[Mapping[str, Any]] = summary.get("rate") or []
    knee = summary.get("knee") or None
    target = sum(number(r.get("target")) or 0 for r in rows)
    achieved = sum(number(r.get("achieved")) or 0 for r in rows)
    dropped = sum(number(r.get("dropped")) or 0 for r in rows)
    share = f" ({achieved / target:.1%} of the target)" if target else ""
    n = max(len(rows), 1)
    knee_rate = number(knee.get("rate")) if knee else None
    if knee and knee_rate is not None:
        note = (f'<p class="knee" data-knee="{knee_rate:g}"><strong>Knee at {knee_rate:g}/s'
                f'</strong>: {esc(knee.get("reason", ""))}</p>')
    elif knee:  # looked for, not reached
        note = f'<p class="knee"><strong>No knee</strong>: {esc(knee.get("reason", ""))}</p>'
    else:
        note = ""
    chart = rate_chart(rows, number(summary.get("window_s")) or 1.0, bands=_bands(summary),
                       knee=knee_rate,
                       x_range=_x_range(summary))
    return ('<section class="card" id="rate"><h2>Throughput</h2><p class="stats">'
            f"target {target / n:.1f}/s · achieved {achieved / n:.1f}/s{share} · "
            f"{dropped:g} dropped</p>{note}<figure><figcaption>Requests per second: the "
            "plan's target (dashed), what was sent, and what was dropped (bars)</figcaption>"
            f"{chart}</figure></section>")


def _errors(summary: Summary) -> str:
    rows = summary.get("errors") or []
    totals: dict[str, float] = {}
    for row in rows:
        kind = str(row.get("kind", "?"))
        totals[kind] = totals.get(kind, 0) + (number(row.get("count")) or 0)
    if not totals:
        return ('<section class="card" id="errors"><h2>Errors</h2>'
                '<p class="muted">No error in this run.</p></section>')
    chips = " ".join(f'<span class="chip">{esc(k)}: {v:g}</span>'
                     for k, v in sorted(totals.items(), key=lambda kv: -kv[1]))
    chart = errors_chart(rows, number(summary.get("window_s")) or 1.0, bands=_bands(summary),
                         x_range=_x_range(summary))
    return (f'<section class="card" id="errors"><h2>Errors</h2><p class="stats">{chips}</p>'
            f"<figure><figcaption>Errors per window, by kind</figcaption>{chart}</figure>"
            "</section>")


def _overhead(summary: Summary) -> str:
    over = summary.get("overhead") or {}
    if not over:
        return ('<section class="card" id="overhead"><h2>Load generator</h2>'
                '<p class="muted">The run recorded no generator overhead.</p></section>')
    late = over.get("lateness_ms") or {}
    facts = [("processes", over.get("processes", "-")),
             ("CPU", f"{number(over.get('cpu_s')) or 0:g} s"),
             ("CPU per request", f"{number(over.get('cpu_per_request_us')) or 0:g} µs"),
             *((f"start lateness {k}", f"{fmt_ms(late.get(k))} ms") for k in ("p50", "p99", "max")),
             *_tracing_facts(summary)]
    cells = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    p99 = number(late.get("p99"))
    warn = (f'<p class="warn">The generator started requests late (p99 {fmt_ms(p99)} ms): the '
            "latencies above may be understated; add processes or lower the rate.</p>"
            if p99 is not None and p99 >= LATE_MS else "")
    return (f'<section class="card" id="overhead"><h2>Load generator</h2>'
            f'<dl class="facts">{cells}</dl>{warn}</section>')


def _tracing_facts(summary: Summary) -> list[tuple[str, str]]:
    """The run's head sampling: how many arrivals were traced, and the bound."""
    tracing = summary.get("tracing")
    if not tracing:
        return []
    return [("traced arrivals", f"{tracing.get('traced', 0)} ({traced_bound(tracing)})")]


def _notes(summary: Summary) -> str:
    """What the run itself says about its figures (a fault call that came late, ...), as
    the terminal table says it; nothing when it said nothing."""
    notes = [str(note) for note in summary.get("notes") or []]
    if not notes:
        return ""
    items = "".join(f"<li>{esc(note)}</li>" for note in notes)
    return (f'<section class="card" id="notes"><h2>Notes on this run</h2>'
            f'<ul class="warn">{items}</ul></section>')


def render_report(summary: Summary, baseline: Summary | None = None) -> str:
    """The report as one HTML document; ``baseline`` (another run's summary) adds its
    spectra and p99s for comparison.

    >>> html = render_report({"scenario": "<smoke>", "duration_s": 5.0, "series": []})
    >>> "&lt;smoke&gt;" in html and "<script" not in html
    True
    """
    for doc in (summary, baseline):
        schema = (doc or {}).get("schema")
        if schema is not None and schema != SCHEMA:
            raise ValueError(f"not a {SCHEMA} summary (schema {schema!r})")
    journeys = [_journey(summary, j, PALETTE[i % len(PALETTE)], baseline)
                for i, j in enumerate(_journeys(summary))]
    body = [_header(summary, baseline), _notes(summary), _verdicts(summary), *journeys,
            _throughput(summary), _errors(summary), _overhead(summary)]
    body = [part for part in body if part]
    title = f"{summary.get('scenario', 'load run')} · load report"
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            + "\n".join(body)
            + f'<footer>{esc(SCHEMA)} summary · built by sandbox.load.report_html</footer>'
            "</main></body></html>\n")


def write_report(summary: Summary, path: Path, baseline: Summary | None = None) -> Path:
    """Write ``render_report(summary, baseline)`` to ``path`` (its folder made) and return it.

    >>> import tempfile
    >>> out = write_report({"scenario": "smoke"}, Path(tempfile.mkdtemp()) / "run/smoke.html")
    >>> out.read_text(encoding="utf-8").startswith("<!doctype html>")
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(summary, baseline), encoding="utf-8")
    return path
