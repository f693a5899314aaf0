"""Head sampling of a load run: one trace per arrival, at most N traced a second."""

from __future__ import annotations

import math
import re
from collections import defaultdict

import httpx
import pytest

from sandbox.load import Constant, Plan, run_load
from sandbox.load.journeys import JourneyContext, journey
from sandbox.load.trace_sampling import TraceSampler, Tracing
from tests.load import load_journeys  # noqa: F401 - registers t-two-steps
from tests.load.load_target import LoadTarget

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])")


@journey("t-own-traceparent")
async def own_traceparent(ctx: JourneyContext) -> None:
    async with ctx.step("get"):
        ctx.expect(await ctx.http.get("/", headers={"traceparent": "00-" + "a" * 32 + "-"
                                                    + "b" * 16 + "-01"}))


def _run(journeys: list[str], rate: float, seconds: float, per_s: float
         ) -> tuple[list[str], object]:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent", ""))
        return httpx.Response(200)

    result = run_load(Plan(Constant(rate=rate, duration_s=seconds)), journeys,
                      base_url="http://load.test", transport=httpx.MockTransport(answer),
                      lateness_bound_s=5.0, traces_per_s=per_s)
    return seen, result


def test_every_request_of_an_arrival_is_of_its_trace_and_at_most_n_a_second_are_sampled(
) -> None:
    seen, result = _run(["t-two-steps"], rate=200, seconds=2, per_s=10)
    assert len(seen) == 800  # 400 arrivals, two requests each
    by_trace: dict[str, set[str]] = defaultdict(set)
    for header in seen:
        match = TRACEPARENT.fullmatch(header)
        assert match, header
        by_trace[match.group(1)].add(match.group(3))
    assert len(by_trace) == 400, "a trace of its own per arrival"
    assert all(len(flags) == 1 for flags in by_trace.values()), "one decision per arrival"
    sampled = sum(flags == {"01"} for flags in by_trace.values())
    assert sampled == 20  # 10 a second for 2 s
    assert result.summary()["tracing"] == {"traces_per_s": 10, "traced": 20}


def test_below_the_bound_every_arrival_is_traced_and_zero_traces_none() -> None:
    seen, _ = _run(["t-two-steps"], rate=5, seconds=2, per_s=10)
    assert seen and all(h.endswith("-01") for h in seen)
    seen, result = _run(["t-two-steps"], rate=50, seconds=1, per_s=0)
    assert seen and all(h.endswith("-00") for h in seen)
    assert result.summary()["tracing"]["traced"] == 0
    _, every = _run(["t-two-steps"], rate=50, seconds=1, per_s=math.inf)
    assert every.summary()["tracing"] == {"traces_per_s": None, "traced": 50}


def test_a_journeys_own_traceparent_is_kept() -> None:
    seen, _ = _run(["t-own-traceparent"], rate=20, seconds=1, per_s=0)
    assert set(seen) == {"00-" + "a" * 32 + "-" + "b" * 16 + "-01"}


def test_the_decision_is_the_plans_so_processes_agree() -> None:
    plan = Plan(Constant(rate=1000, duration_s=3))
    one, other = TraceSampler(25), TraceSampler(25, seed=7)
    first = [one.sampled(at) for at in plan.arrivals()]
    assert first == [other.sampled(at) for at in plan.arrivals()]
    assert sum(first) == 75


def test_processes_count_the_arrivals_they_traced() -> None:
    with LoadTarget() as target:
        result = run_load(Plan(Constant(rate=100, duration_s=2)), ["t-get"],
                          base_url=target.url, processes=2, lateness_bound_s=5.0,
                          traces_per_s=10)
    assert result.tracing == Tracing(10, 20)


def test_a_negative_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        TraceSampler(-1)
