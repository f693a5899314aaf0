"""Plans: arrivals integrate the target rate exactly, across phases, and replay with a seed."""

from __future__ import annotations

import itertools
import math

import pytest

from sandbox.load import Constant, Plan, Ramp, Steps


def count_in(arrivals: list[float], start: float, end: float) -> int:
    return sum(1 for t in arrivals if start <= t < end)


def test_constant_rate_sends_evenly_spaced_arrivals_from_zero() -> None:
    arrivals = list(Plan(Constant(rate=100, duration_s=2)).arrivals())

    assert len(arrivals) == 200
    assert arrivals[0] == 0.0
    assert {round(b - a, 9) for a, b in itertools.pairwise(arrivals)} == {0.01}
    assert arrivals[-1] < 2.0


def test_ramp_arrivals_integrate_to_the_area_under_the_rate() -> None:
    arrivals = list(Plan(Ramp(start_rate=0, end_rate=100, duration_s=2)).arrivals())

    assert len(arrivals) == 100  # (0 + 100) / 2 * 2 s
    assert count_in(arrivals, 0, 1) == 25  # the area of the first half: 50 / 2 * 1 s
    assert count_in(arrivals, 1, 2) == 75
    assert arrivals == sorted(arrivals)


def test_falling_ramp_solves_the_quadratic_the_other_way() -> None:
    plan = Plan(Ramp(start_rate=100, end_rate=20, duration_s=2))
    arrivals = list(plan.arrivals())

    assert len(arrivals) == 120
    assert count_in(arrivals, 0, 1) == math.ceil(plan.expected_count(0, 1))  # 80
    assert plan.target_rate(1.0) == pytest.approx(60.0)


def test_steps_make_a_staircase_of_rates() -> None:
    plan = Plan(Steps(start_rate=10, step_rate=10, steps=3, step_s=1))
    arrivals = list(plan.arrivals())

    assert [count_in(arrivals, i, i + 1) for i in range(3)] == [10, 20, 30]
    assert [plan.target_rate(t) for t in (0.5, 1.5, 2.5, 3.0)] == [10.0, 20.0, 30.0, 0.0]
    assert plan.duration_s == 3.0


def test_phases_follow_each_other_without_losing_fractions() -> None:
    # 2.5 arrivals in the first phase, 2.5 in the second: 5 in all, none lost at the seam
    plan = Plan(Constant(rate=5, duration_s=0.5), Constant(rate=0, duration_s=1),
                Constant(rate=2.5, duration_s=1))
    arrivals = list(plan.arrivals())

    assert len(arrivals) == 5
    assert count_in(arrivals, 0, 0.5) == 3  # at 0, 0.2, 0.4
    assert count_in(arrivals, 0.5, 1.5) == 0  # the pause
    assert arrivals[3:] == pytest.approx([1.5 + 0.5 / 2.5, 1.5 + 1.5 / 2.5])


def test_poisson_arrivals_are_random_but_replay_with_the_same_seed() -> None:
    plan = Plan(Constant(rate=200, duration_s=5), poisson=True, seed=42)
    arrivals = list(plan.arrivals())

    assert arrivals == list(Plan(Constant(rate=200, duration_s=5), poisson=True,
                                 seed=42).arrivals())
    assert arrivals != list(Plan(Constant(rate=200, duration_s=5), poisson=True,
                                 seed=43).arrivals())
    assert 900 <= len(arrivals) <= 1100  # 1000 expected, sd about 32
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(arrivals)}
    assert len(gaps) > 100  # not evenly spaced


def test_poisson_follows_a_ramp() -> None:
    plan = Plan(Ramp(start_rate=0, end_rate=400, duration_s=4), poisson=True, seed=1)
    arrivals = list(plan.arrivals())

    assert count_in(arrivals, 0, 2) < count_in(arrivals, 2, 4) / 2  # 200 against 600


@pytest.mark.parametrize("make", [
    lambda: Constant(rate=-1, duration_s=1),
    lambda: Constant(rate=1, duration_s=0),
    lambda: Ramp(start_rate=1, end_rate=-5, duration_s=1),
    lambda: Steps(start_rate=10, step_rate=-10, steps=3, step_s=1),
    lambda: Steps(start_rate=10, step_rate=1, steps=0, step_s=1),
    lambda: Plan(),
])
def test_impossible_plans_are_refused(make) -> None:
    with pytest.raises(ValueError):
        make()
