"""Journeys: registration by name, the context's steps and errors, the weighted mix."""

from __future__ import annotations

import asyncio
import pickle
import time
from collections import Counter

import httpx
import pytest

from sandbox.load import (
    REGISTRY,
    JourneyAlreadyRegistered,
    JourneyFailed,
    JourneyMix,
    UnknownJourney,
    error_kind,
    journey,
    registered,
)
from sandbox.load.journeys import ArrivalContext, Journey
from tests.load import load_journeys


class StepLog:
    """A recording sink: (step, start, latency, error) for each step."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float, float, str | None]] = []

    def __call__(self, step: str, start: float, latency_s: float, error: str | None) -> None:
        self.steps.append((step, start, latency_s, error))


def context(intended: float | None = None) -> tuple[ArrivalContext, StepLog]:
    log = StepLog()
    now = time.monotonic()
    return ArrivalContext(http=None, user=0, at_s=0.0, intended=intended or now, sink=log), log


def test_a_second_journey_with_the_same_name_is_an_error() -> None:
    @journey("t-duplicate")
    async def first(ctx) -> None:
        pass

    with pytest.raises(JourneyAlreadyRegistered, match="t-duplicate"):
        @journey("t-duplicate")
        async def second(ctx) -> None:
            pass

    assert REGISTRY["t-duplicate"].function is first.function
    del REGISTRY["t-duplicate"]


def test_the_decorator_registers_where_the_journey_is_defined() -> None:
    found = registered("t-two-steps")

    assert found is load_journeys.two_steps
    assert (found.weight, found.module) == (3.0, "tests.load.load_journeys")


def test_an_unknown_journey_names_the_known_ones() -> None:
    with pytest.raises(UnknownJourney) as caught:
        registered("t-no-such-journey")
    assert "t-two-steps" in caught.value.fix


def test_a_journey_travels_to_another_process_by_name_with_its_weight() -> None:
    heavier = Journey("t-get", 7.0, load_journeys.get_root.function, "tests.load.load_journeys")

    assert pickle.loads(pickle.dumps(load_journeys.get_root)) is load_journeys.get_root
    assert pickle.loads(pickle.dumps(heavier)).weight == 7.0


def test_the_first_step_is_timed_from_the_intended_start_later_ones_from_their_own() -> None:
    ctx, log = context(intended=time.monotonic() - 0.2)  # the arrival waited 200 ms

    async def visit() -> None:
        async with ctx.step("first"):
            pass
        async with ctx.step("second"):
            await asyncio.sleep(0.01)

    asyncio.run(visit())

    (first, _, first_latency, _), (second, _, second_latency, _) = log.steps
    assert (first, second) == ("first", "second")
    assert first_latency >= 0.2
    assert 0.01 <= second_latency < 0.2
    assert ctx.error is None


@pytest.mark.parametrize(("raised", "kind"), [
    (JourneyFailed("out of stock"), "out of stock"),
    (httpx.HTTPStatusError("503", request=httpx.Request("GET", "http://t/"),
                           response=httpx.Response(503)), "http 503"),
    (httpx.ReadTimeout("slow"), "timeout"),
    (TimeoutError(), "timeout"),
    (httpx.ConnectError("refused"), "connect"),
    (httpx.RemoteProtocolError("closed"), "transport"),
    (KeyError("sku"), "exception KeyError"),
])
def test_an_exception_in_a_step_fails_the_step_and_the_journey_with_its_kind(raised, kind):
    ctx, log = context()

    async def visit() -> None:
        async with ctx.step("get product"):
            raise raised

    with pytest.raises(type(raised)):
        asyncio.run(visit())

    assert log.steps[0][0] == "get product"
    assert log.steps[0][3] == kind == error_kind(raised) == ctx.error


def test_expect_passes_allowed_statuses_and_fails_with_the_status_otherwise() -> None:
    ctx, _ = context()

    assert ctx.expect(httpx.Response(204)).status_code == 204  # any 2xx by default
    assert ctx.expect(httpx.Response(404), 200, 404).status_code == 404
    with pytest.raises(JourneyFailed, match="http 503"):
        ctx.expect(httpx.Response(503), 200)
    with pytest.raises(JourneyFailed, match="http 302"):
        ctx.expect(httpx.Response(302))


def test_a_failed_step_fails_the_journey_even_if_the_journey_goes_on() -> None:
    ctx, log = context()

    async def visit() -> None:
        try:
            async with ctx.step("optional"):
                ctx.fail("missing")
        except JourneyFailed:
            pass
        async with ctx.step("next"):
            pass

    asyncio.run(visit())

    assert [(step, error) for step, _, _, error in log.steps] == [("optional", "missing"),
                                                                  ("next", None)]
    assert ctx.error == "missing"


def test_the_mix_picks_journeys_in_proportion_to_their_weights() -> None:
    browse, order = Journey("browse", 9.0, None), Journey("order", 1.0, None)
    mix = JourneyMix([browse, order], seed=3)
    picks = Counter(mix.pick().name for _ in range(10_000))

    assert picks["browse"] / 10_000 == pytest.approx(0.9, abs=0.015)


def test_the_mix_is_the_same_with_the_same_seed_and_differs_with_another() -> None:
    journeys = [Journey("a", 1.0, None), Journey("b", 1.0, None), Journey("c", 2.0, None)]

    def names(seed: int) -> list[str]:
        mix = JourneyMix(journeys, seed=seed)
        return [mix.pick().name for _ in range(200)]

    assert names(5) == names(5)
    assert names(5) != names(6)
