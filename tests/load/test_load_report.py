"""The load report built from a summary alone: the HTML page (self-contained, a chart per
journey with its SLO bounds and faults, broken verdicts first, text escaped, any summary
renders), its SVG charts, and the terminal table and JUnit properties."""

from __future__ import annotations

import copy
import doctest
import re

import pytest

from sandbox.load import report_html, summary_table, svg_axes, svg_charts
from sandbox.load.report_html import render_report, write_report
from sandbox.load.summary_table import format_table, junit_properties
from sandbox.load.svg_charts import Band, Line, Threshold, spectrum_chart, time_chart
from tests.load.load_summaries import FAULT, baseline_summary, empty_summary, load_summary


def charts(html: str, kind: str) -> dict[str, str]:
    """Each ``kind`` chart's SVG by its journey (or ``""``)."""
    found = re.findall(rf'(<svg class="chart" data-chart="{kind}"(?: data-journey="([^"]*)")?'
                       r".*?</svg>)", html, flags=re.DOTALL)
    return {journey: svg for svg, journey in found}


def verdict_rows(html: str) -> list[tuple[str, str]]:
    """(passed, name) of the verdict table's rows, in order."""
    table = html.split('data-verdicts="slos"', 1)[1].split("</table>", 1)[0]
    return [(passed, name) for name, passed in
            re.findall(r'<tr class="[a-z]+" data-slo="([^"]*)" data-passed="(\w+)"', table)]


# ---- the page ---------------------------------------------------------------------------


def test_the_report_is_one_file_that_fetches_nothing_and_runs_no_script():
    html = render_report(load_summary(), baseline_summary())
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    for outside in ("http://", "https://", "<script", "src=", "<link", "@import", "url("):
        assert outside not in html, outside
    assert "<style>" in html and html.count("<svg") == 2 * 2 + 2  # 2 per journey, rate, errors


def test_each_journey_has_a_latency_chart_with_a_line_per_slo_bound_and_a_band_per_fault():
    summary = load_summary()
    summary["faults"].append({"name": "gateway->catalog timeout", "start_s": 45.0,
                              "end_s": None})  # never removed: to the end of the run
    latency = charts(render_report(summary), "latency")
    assert sorted(latency) == ["browse", "order"]
    for journey, svg in latency.items():
        bounds = [s for s in summary["slos"] if s["journey"] == journey and s["step"] is None
                  and s["unit"] == "ms"]
        assert svg.count('class="threshold"') == len(bounds) == 1
        assert svg.count('<rect class="fault"') == 2
        assert f'data-fault="{FAULT.replace(">", "&gt;")}"' in svg
        for line in ("p50", "p95", "p99", "max"):
            assert f'data-series="{line}"' in svg
    assert 'data-threshold="p99 ≤ 50 ms broken"' in latency["browse"]
    assert 'data-threshold="p99 ≤ 800 ms kept"' in latency["order"]


def test_broken_verdicts_are_listed_first_and_highlighted():
    summary = load_summary()
    summary["slos"].reverse()  # the broken one is now last in the summary
    summary["slos"][0]["passed"] = False
    html = render_report(summary)
    rows = verdict_rows(html)
    assert [passed for passed, _ in rows] == ["false", "false", "true", "true", "true"]
    assert rows[1][1] == "browse p99 &lt;= 50 ms over 10 s windows"
    assert html.count('<tr class="broken"') == 2
    assert "browse p99 221 ms &gt; 50 ms in the window 30-40 s" in html  # its message


def test_the_header_gives_the_verdict():
    failed = render_report(load_summary())
    assert '<header class="run fail">' in failed and 'data-verdict="FAIL"' in failed
    assert "steady browse and order" in failed and "2026-12-03 11:00:00 UTC" in failed
    assert "1 of 5 SLOs broken" in failed
    assert 'data-verdict="PASS"' in render_report(baseline_summary())
    assert 'data-verdict="NO SLOS"' in render_report(empty_summary())


def test_text_from_the_summary_stays_inert():
    summary = load_summary(scenario="<script>alert('x')</script>")
    summary["series"][0]["journey"] = summary["slos"][0]["journey"] = '<img src=x onerror="y">'
    summary["faults"][0]["name"] = "</svg><script>bad()</script>"
    summary["errors"][0]["kind"] = "<b>kind</b>"
    html = render_report(summary)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert html.count("<svg") == html.count("</svg>")


def test_the_runs_notes_are_shown_above_the_verdicts_and_stay_inert():
    summary = load_summary()
    summary["notes"] = ["the fault 'latency' took 1.5 s to apply", "<i>late</i>"]
    html = render_report(summary)
    notes = html.index('id="notes"')
    assert notes < html.index('id="slos"')
    assert "the fault &#x27;latency&#x27; took 1.5 s to apply" in html
    assert "&lt;i&gt;late&lt;/i&gt;" in html and "<i>" not in html
    assert 'id="notes"' not in render_report(load_summary())


@pytest.mark.parametrize("summary", [
    empty_summary(),
    {},
    {"scenario": "bare", "series": [{"journey": "browse", "step": None}]},
    {"series": [{"journey": "j", "step": None, "windows": [
        {"t": 0.0, "count": 0, "errors": 0, "p50": None, "p95": None, "p99": None, "max": None}],
        "spectrum": [[100.0, 4.0]]}],
     "rate": [{"t": 0.0, "target": 0, "achieved": 0, "dropped": 0}],
     "errors": [{"t": 0.0, "kind": "x", "count": 0}], "knee": {"rate": 0.0, "reason": ""}},
], ids=["empty windows", "nothing at all", "no figures", "all null and zero"])
def test_a_summary_with_nothing_in_it_still_renders(summary):
    html = render_report(summary)
    assert "</html>" in html and "<script" not in html
    assert "No SLO was set for this run." in html


def test_the_spectrum_is_drawn_against_the_baselines_same_journey():
    spectra = charts(render_report(load_summary(), baseline_summary()), "spectrum")
    browse = spectra["browse"]
    assert 'data-series="browse (this run)"' in browse
    assert 'data-series="browse (baseline)"' in browse and 'stroke-dasharray="6 4"' in browse
    for label in ("50 %", "90 %", "99 %", "99.9 %", "99.99 %", "max"):
        assert f">{label}</text>" in browse
    alone = charts(render_report(load_summary()), "spectrum")["browse"]
    assert "baseline" not in alone and "stroke-dasharray" not in alone


def test_the_baselines_p99_is_compared_per_step():
    html = render_report(load_summary(), baseline_summary())
    assert "baseline p99" in html and "(baseline 9.80 ms" in html
    assert '<span class="delta worse">×21</span>' in html


def test_the_knee_and_a_late_generator_are_called_out():
    summary = load_summary()
    summary["knee"] = {"rate": 45.0, "reason": "p99 above 25 ms from 45/s"}
    summary["overhead"]["lateness_ms"]["p99"] = 30.0
    html = render_report(summary)
    assert 'data-knee="45"' in html and "p99 above 25 ms from 45/s" in html
    assert 'data-threshold="knee 45/s"' in charts(html, "rate")[""]
    assert "started requests late (p99 30.0 ms)" in html
    assert "started requests late" not in render_report(load_summary())


def test_the_head_sampling_is_shown_with_the_generator():
    summary = load_summary()
    summary["tracing"] = {"traces_per_s": 10.0, "traced": 600}
    assert "600 (at most 10/s)" in render_report(summary)
    assert "traced: 600 arrivals (at most 10/s)" in format_table(summary)
    summary["tracing"] = {"traces_per_s": None, "traced": 3000}
    assert "3000 (all)" in render_report(summary)
    assert "traced" not in format_table(empty_summary())


def test_errors_are_charted_by_kind():
    svg = charts(render_report(load_summary()), "errors")[""]
    assert 'data-series="http 503"' in svg and 'data-series="timeout"' in svg
    assert "No error in this run." in render_report(baseline_summary())


def test_write_report_writes_the_page(tmp_path):
    out = write_report(load_summary(), tmp_path / "deep" / "report.html", baseline_summary())
    assert out == tmp_path / "deep" / "report.html"
    assert out.read_text(encoding="utf-8") == render_report(load_summary(), baseline_summary())


def test_a_summary_of_another_schema_is_refused():
    with pytest.raises(ValueError, match="sandbox.load/1"):
        render_report({"schema": "sandbox.load/2"})


# ---- the charts -------------------------------------------------------------------------


def test_a_null_value_is_a_gap_and_a_lone_point_a_dot():
    svg = time_chart([Line("p99", [(0, 1.0), (1, 2.0), (2, None), (3, 4.0), (4, 5.0),
                                   (5, None), (6, 7.0)])])
    assert svg.count("<path") == 2 and svg.count("<circle") == 1


def test_all_zero_or_empty_data_draws_axes():
    zeros = time_chart([Line("p50", [(t, 0.0) for t in range(5)])])
    assert ">1</text>" in zeros and "no data" not in zeros
    assert "no data" in time_chart([Line("p50", [])])
    assert "no data" in spectrum_chart([])
    assert spectrum_chart([Line("one", [(50.0, 3.0)])]).count("<circle") == 1


def test_a_bound_far_above_the_data_is_pinned_to_the_top():
    svg = time_chart([Line("p99", [(0, 1.0), (1, 2.0)])],
                     thresholds=[Threshold("p99 ≤ 800 ms", 800.0)])
    assert "p99 ≤ 800 ms (above the chart)" in svg
    near = time_chart([Line("p99", [(0, 100.0)])], thresholds=[Threshold("b", 250.0)])
    assert "above the chart" not in near


def test_chart_text_is_escaped():
    svg = time_chart([Line("<i>", [(0, 1.0)])], bands=[Band('"&<', 0, 1)], title="<t>")
    assert "<i>" not in svg and "&lt;i&gt;" in svg and "&quot;&amp;&lt;" in svg


@pytest.mark.parametrize("module", [svg_axes, svg_charts, summary_table, report_html])
def test_the_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0


# ---- the terminal table and JUnit ------------------------------------------------------


def test_the_table_fits_100_columns_even_with_long_names():
    summary = load_summary()
    for series in summary["series"]:
        series["journey"] = "a journey with a very long name indeed " + series["journey"]
        if series["step"]:
            series["step"] = "a step whose name goes on and on " + series["step"]
    for slo in summary["slos"]:
        slo["journey"] = None
        slo["message"] = "x" * 300
    table = format_table(summary)
    assert max(map(len, table.splitlines())) <= 100
    assert max(map(len, format_table(load_summary(), width=80).splitlines())) <= 80


def test_the_table_lists_journeys_then_their_steps_with_their_verdicts():
    lines = format_table(load_summary()).splitlines()
    assert lines[0].startswith("steady browse and order") and "FAIL (1 of 5 SLOs" in lines[0]
    assert lines[1].split()[:3] == ["journey", "/", "step"]
    names = [line[:22].rstrip() for line in lines[2:8]]
    assert names == ["browse", "  list products", "  get product", "order", "  add to cart",
                     "  checkout"]
    assert lines[2].endswith("FAIL p99") and lines[5].endswith("ok p99, ok errors")
    assert lines[2].split()[1:4] == ["1740", "41", "60"]
    assert any(line.startswith("FAIL browse p99 221 ms > 50 ms") for line in lines)
    assert format_table(empty_summary()).splitlines()[-1].split()[:2] == ["browse", "0"]
    assert format_table({}).splitlines()[0].endswith("NO SLOS")


def test_junit_properties_name_each_figure_and_verdict():
    summary = load_summary()
    props = dict(junit_properties(summary))
    assert props["load.verdict"] == "FAIL"
    assert props["load.browse.p99_ms"] == "208.25"
    assert props["load.browse.get_product.count"] == "1740"
    order = summary["series"][3]
    assert props["load.order.p99_9_ms"] == f"{order['percentiles_ms']['p99.9']:g}"
    assert props["load.slo.1.passed"] == "false" and props["load.slo.2.passed"] == "true"
    assert props["load.slo.1.name"] == "browse p99 <= 50 ms over 10 s windows"
    assert all(isinstance(v, str) and " " not in k for k, v in props.items())
    assert dict(junit_properties({}))["load.verdict"] == "NO SLOS"


def test_the_summary_is_not_changed_by_reporting():
    summary = load_summary()
    before = copy.deepcopy(summary)
    render_report(summary, baseline_summary())
    format_table(summary)
    junit_properties(summary)
    assert summary == before


def test_a_knee_not_reached_is_said_so_in_the_report_and_the_table():
    summary = load_summary()
    summary["knee"] = {"rate": None, "reason": "browse p99 <= 250 ms held up to 140/s"}
    assert "<strong>No knee</strong>" in render_report(summary)
    assert "no knee: browse p99 <= 250 ms held up to 140/s" in format_table(summary)
