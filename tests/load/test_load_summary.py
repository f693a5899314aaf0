"""The ``sandbox.load/1`` summary matches docs/load-summary.md, and ``LoadResult`` answers
what the SLO judge asks (merged histograms, counts, target and achieved rates)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import jsonschema
import pytest

from sandbox.load import Constant, LoadResult, Plan, Ramp, percentiles_ms, run_load
from sandbox.load.journeys import Journey

pytestmark = pytest.mark.timeout(30)

DOC = Path(__file__).resolve().parents[2] / "docs" / "load-summary.md"

NUMBER = {"type": "number"}
NUMBER_OR_NULL = {"type": ["number", "null"]}
COUNT = {"type": "integer", "minimum": 0}


def record(required: dict, optional: dict | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(required),
            "properties": {**required, **(optional or {})}}


SUMMARY_SCHEMA = record({
    "schema": {"const": "sandbox.load/1"},
    "scenario": {"type": "string"},
    "started_at": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
    "duration_s": NUMBER,
    "window_s": {"type": "number", "exclusiveMinimum": 0},
    "rate": {"type": "array", "items": record(
        {"t": NUMBER, "target": NUMBER, "achieved": NUMBER, "dropped": COUNT})},
    "series": {"type": "array", "items": record({
        "journey": {"type": "string"},
        "step": {"type": ["string", "null"]},
        "count": COUNT, "errors": COUNT, "dropped": COUNT,
        "percentiles_ms": record({name: NUMBER_OR_NULL for name in
                                  ("p50", "p90", "p95", "p99", "p99.9", "max")}),
        "spectrum": {"type": "array", "items": {"type": "array", "prefixItems": [NUMBER, NUMBER],
                                                "minItems": 2, "maxItems": 2}},
        "windows": {"type": "array", "items": record(
            {"t": NUMBER, "count": COUNT, "errors": COUNT, "p50": NUMBER_OR_NULL,
             "p95": NUMBER_OR_NULL, "p99": NUMBER_OR_NULL, "max": NUMBER_OR_NULL})},
    })},
    "errors": {"type": "array", "items": record(
        {"t": NUMBER, "kind": {"type": "string"}, "count": COUNT})},
    "faults": {"type": "array", "items": record(
        {"name": {"type": "string"}, "start_s": NUMBER, "end_s": NUMBER_OR_NULL})},
    "slos": {"type": "array", "items": record({
        "name": {"type": "string"}, "journey": {"type": ["string", "null"]},
        "step": {"type": ["string", "null"]},
        "metric": {"enum": ["p50", "p90", "p95", "p99", "p99.9", "max", "error_ratio", "rate"]},
        "bound": NUMBER, "unit": {"enum": ["ms", "ratio"]}, "window_s": NUMBER_OR_NULL,
        "passed": {"type": "boolean"},
        "worst": {"oneOf": [{"type": "null"}, record(
            {"start_s": NUMBER, "end_s": NUMBER, "value": NUMBER})]},
        "message": {"type": "string"},
    }, {"scope": {"enum": ["run", "during", "outside"]}})},
    "notes": {"type": "array", "items": {"type": "string"}},
    "knee": {"oneOf": [{"type": "null"},
                       record({"rate": NUMBER_OR_NULL, "reason": {"type": "string"}})]},
    "tracing": record({"traces_per_s": NUMBER_OR_NULL, "traced": COUNT}),
    "overhead": record({
        "processes": {"type": "integer", "minimum": 1}, "cpu_s": NUMBER,
        "cpu_per_request_us": NUMBER,
        "lateness_ms": record({"p50": NUMBER_OR_NULL, "p99": NUMBER_OR_NULL,
                               "max": NUMBER_OR_NULL})}),
})


def doc_example() -> dict:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1)
    return json.loads(re.sub(r"\s*//[^\n]*", "", block))


async def browse(ctx) -> None:
    async with ctx.step("list"):
        ctx.expect(await ctx.http.get("/products"))
    async with ctx.step("get product"):
        ctx.expect(await ctx.http.get("/products/1"))


async def order(ctx) -> None:
    async with ctx.step("place"):
        ctx.expect(await ctx.http.post("/orders" if ctx.at_s < 1.0 else "/orders/broken"), 201)


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/orders/broken":
        return httpx.Response(503)
    return httpx.Response(201 if request.method == "POST" else 200)


@pytest.fixture(scope="module")
def result() -> LoadResult:
    plan = Plan(Ramp(start_rate=20, end_rate=60, duration_s=1), Constant(rate=60, duration_s=1))
    return run_load(plan, [Journey("browse", 3.0, browse), Journey("order", 1.0, order)],
                    base_url="http://shop", transport=httpx.MockTransport(answer), seed=4,
                    lateness_bound_s=5.0)  # nothing dropped, however loaded the machine


FAULT = {"name": "catalog->postgres latency 1000ms", "start_s": 1.0, "end_s": 2.0}
VERDICT = {"name": "order p99 <= 50 ms", "journey": "order", "step": None, "metric": "p99",
           "bound": 50.0, "unit": "ms", "window_s": None, "passed": True, "worst": None,
           "message": "order p99 1 ms <= 50 ms"}


def test_the_schema_here_is_the_one_the_doc_shows() -> None:
    jsonschema.validate(doc_example(), SUMMARY_SCHEMA)


def test_the_summary_matches_the_schema(result: LoadResult) -> None:
    summary = result.summary(scenario="shop", faults=[FAULT], slos=[VERDICT],
                             knee={"rate": 60.0, "reason": "p99 above 25 ms from 60/s"})

    jsonschema.validate(summary, SUMMARY_SCHEMA)
    jsonschema.validate(json.loads(json.dumps(summary, allow_nan=False)), SUMMARY_SCHEMA)
    assert summary["faults"] == [FAULT] and summary["slos"] == [VERDICT]


def test_series_are_each_journey_then_its_steps_in_mix_order(result: LoadResult) -> None:
    keys = [(s["journey"], s["step"]) for s in result.summary()["series"]]

    assert keys == [("browse", None), ("browse", "list"), ("browse", "get product"),
                    ("order", None), ("order", "place")]


def test_rate_rows_show_the_plan_target_and_what_was_sent(result: LoadResult) -> None:
    rows = result.summary()["rate"]

    assert [(row["t"], row["target"]) for row in rows] == [(0.0, 40.0), (1.0, 60.0)]
    assert sum(row["achieved"] + row["dropped"] for row in rows) == 100  # 40 + 60 arrivals
    assert result.target_rate() == 50.0
    assert result.achieved_rate() == pytest.approx(50.0, abs=0.5)


def test_errors_are_counted_by_kind_in_their_window(result: LoadResult) -> None:
    summary = result.summary()
    orders = result.counts("order", None, 1.0, 2.0)

    assert orders.errors > 0 and orders.kinds == {"http 503": orders.errors}
    assert summary["errors"] == [{"t": 1.0, "kind": "http 503", "count": orders.errors}]
    assert result.counts("order", None, 0.0, 1.0).errors == 0
    assert result.counts().errors == orders.errors  # all journeys together


def test_percentiles_and_the_spectrum_are_ordered_and_end_at_the_maximum(result) -> None:
    for series in result.summary()["series"]:
        values = list(series["percentiles_ms"].values())
        assert values == sorted(values)
        points, latencies = zip(*series["spectrum"])
        assert list(points) == sorted(points) and points[0] == 0.0 and points[-1] == 100.0
        assert list(latencies) == sorted(latencies)
        assert latencies[-1] == series["percentiles_ms"]["max"]
        assert len(series["windows"]) >= 2  # a late step may begin after the plan
        assert sum(w["count"] for w in series["windows"]) == series["count"]


def test_an_empty_window_has_null_percentiles() -> None:
    plan = Plan(Constant(rate=10, duration_s=1), Constant(rate=0, duration_s=1))
    run = run_load(plan, [Journey("browse", 1.0, browse)], base_url="http://shop",
                   transport=httpx.MockTransport(answer))
    windows = run.summary()["series"][0]["windows"]

    assert windows[1] == {"t": 1.0, "count": 0, "errors": 0, "p50": None, "p95": None,
                          "p99": None, "max": None}


def test_the_judge_gets_a_merged_histogram_for_any_window_range(result: LoadResult) -> None:
    whole = result.histogram("browse", "list")
    halves = [result.histogram("browse", "list", 0.0, 1.0),
              result.histogram("browse", "list", 1.0, 2.0)]

    assert whole.get_total_count() == sum(h.get_total_count() for h in halves)
    assert percentiles_ms(whole, [100])[100] == max(percentiles_ms(h, [100])[100] for h in halves)


def test_write_json_writes_the_summary(result: LoadResult, tmp_path: Path) -> None:
    path = result.write_json(tmp_path / "summary.json", scenario="shop")

    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["scenario"] == "shop"
    assert written["series"] == result.summary()["series"]
