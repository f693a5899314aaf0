"""Several worker processes: the same schedule and mix as one process, merged; a worker
that cannot start is an error, not a hang."""

from __future__ import annotations

import pytest

from sandbox.load import Constant, LoadEngineFailed, LoadProgress, Plan, run_load
from sandbox.load.journeys import Journey
from tests.load import load_journeys
from tests.load.load_target import LoadTarget

pytestmark = pytest.mark.timeout(90)

MIX = {"t-get": 1, "t-two-steps": 3}


def test_two_processes_send_the_same_arrivals_and_journeys_as_one() -> None:
    plan = Plan(Constant(rate=100, duration_s=1))
    seen: list[LoadProgress] = []
    with LoadTarget() as target:
        one = run_load(plan, MIX, base_url=target.url)
        two = run_load(plan, MIX, base_url=target.url, processes=2, progress=seen.append)

    for result in (one, two):
        assert result.counts().count + result.counts().dropped == 100
        assert result.recorder.lateness.get_total_count() == result.counts().count
    for name in MIX:  # every arrival ran the same journey in both runs
        assert one.counts(name).count + one.counts(name).dropped == (
            two.counts(name).count + two.counts(name).dropped)
    assert two.counts("t-two-steps", "second").count == two.counts("t-two-steps").ok
    assert target.requests == one.overhead.requests + two.overhead.requests
    assert two.overhead.processes == two.summary()["overhead"]["processes"] == 2
    assert seen and seen[-1].sent + seen[-1].dropped == 100


def test_a_worker_that_cannot_start_fails_the_run() -> None:
    ghost = Journey("t-ghost", 1.0, load_journeys.get_root.function, "tests.load.no_such_module")

    with pytest.raises(LoadEngineFailed, match="exited|failed"):
        run_load(Plan(Constant(rate=10, duration_s=0.5)), [ghost],
                 base_url="http://127.0.0.1:9", processes=2)
