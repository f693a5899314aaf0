"""Open workload plans: phases of a target rate, and the arrivals they make.

    Plan              phases one after another; the rate is integrated over the whole plan
     ├── Constant     rate r for d seconds
     ├── Ramp         from rate a to rate b, linearly, over d seconds
     └── Steps        a staircase: a, a+s, a+2s, ... each held for t seconds (finds a knee)

An arrival is a request's intended start. The k-th arrival (k = 0, 1, ...) is at the time
where the integral of the rate reaches k, so the count in any interval is the area under
the rate there (give or take one) and nothing drifts across phase boundaries. With
``poisson=True`` the integral targets are sums of exponential gaps (the time-rescaled
Poisson process), seeded, so a run can be replayed.

>>> plan = Plan(Constant(rate=4, duration_s=1), Ramp(start_rate=0, end_rate=8, duration_s=1))
>>> [round(t, 3) for t in plan.arrivals()]
[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 1.707, 1.866]
>>> plan.duration_s, plan.target_rate(1.5), plan.expected_count(0.0, 2.0)
(2.0, 4.0, 8.0)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class Phase(Protocol):
    """A span of the plan: its rate at local time ``t`` and the area under it."""

    @property
    def duration_s(self) -> float: ...

    def rate_at(self, t: float) -> float:
        """The target rate (per second) ``t`` seconds into the phase."""

    def count_until(self, t: float) -> float:
        """The integral of the rate from the phase's start to ``t``."""

    def time_of(self, n: float) -> float:
        """The local time at which ``count_until`` reaches ``n`` (the inverse)."""


def _check(rate: float, duration_s: float) -> None:
    if rate < 0:
        raise ValueError("a rate cannot be negative")
    if duration_s <= 0:
        raise ValueError("a phase's duration must be positive")


@dataclass(frozen=True)
class Constant:
    """``rate`` per second for ``duration_s`` seconds.

    >>> Constant(rate=10, duration_s=2).count_until(2)
    20.0
    """

    rate: float
    duration_s: float

    def __post_init__(self) -> None:
        _check(self.rate, self.duration_s)

    def rate_at(self, t: float) -> float:
        return float(self.rate)

    def count_until(self, t: float) -> float:
        return float(self.rate) * t

    def time_of(self, n: float) -> float:
        return n / self.rate if self.rate else math.inf


@dataclass(frozen=True)
class Ramp:
    """From ``start_rate`` to ``end_rate`` per second, linearly, over ``duration_s``.

    The inverse solves ``a*t + s*t**2 = n`` with ``s = (b - a) / (2 d)``, written as
    ``t = 2n / (a + sqrt(a**2 + 4 s n))`` so it holds for flat and falling ramps too.

    >>> ramp = Ramp(start_rate=0, end_rate=100, duration_s=2)
    >>> ramp.count_until(1.0), ramp.count_until(2.0), ramp.time_of(25)
    (25.0, 100.0, 1.0)
    """

    start_rate: float
    end_rate: float
    duration_s: float

    def __post_init__(self) -> None:
        _check(self.start_rate, self.duration_s)
        _check(self.end_rate, self.duration_s)

    @property
    def _slope(self) -> float:
        return (self.end_rate - self.start_rate) / (2 * self.duration_s)

    def rate_at(self, t: float) -> float:
        return self.start_rate + (self.end_rate - self.start_rate) * t / self.duration_s

    def count_until(self, t: float) -> float:
        return self.start_rate * t + self._slope * t * t

    def time_of(self, n: float) -> float:
        if n <= 0:
            return 0.0
        a = self.start_rate
        discriminant = a * a + 4 * self._slope * n
        if discriminant < 0:
            return math.inf  # a falling ramp that never reaches n
        root = a + math.sqrt(discriminant)
        return 2 * n / root if root > 0 else math.inf


@dataclass(frozen=True)
class Steps:
    """A staircase: ``start_rate``, then ``step_rate`` more per second at each of
    ``steps`` steps, each held for ``step_s`` seconds.

    >>> stairs = Steps(start_rate=10, step_rate=10, steps=3, step_s=1)
    >>> stairs.duration_s, stairs.rate_at(1.5), stairs.count_until(3)
    (3.0, 20.0, 60.0)
    >>> stairs.rates
    (10.0, 20.0, 30.0)
    """

    start_rate: float
    step_rate: float
    steps: int
    step_s: float

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("a staircase needs at least one step")
        _check(self.start_rate, self.step_s)
        _check(self.start_rate + self.step_rate * (self.steps - 1), self.step_s)

    @property
    def duration_s(self) -> float:
        return float(self.steps * self.step_s)

    @property
    def rates(self) -> tuple[float, ...]:
        """The rate of each step, in order."""
        return tuple(float(self.start_rate + i * self.step_rate) for i in range(self.steps))

    def _step(self, t: float) -> int:
        return min(self.steps - 1, max(0, int(t // self.step_s)))

    def rate_at(self, t: float) -> float:
        return self.rates[self._step(t)]

    def count_until(self, t: float) -> float:
        i = self._step(t)
        done = sum(self.rates[:i]) * self.step_s
        return done + self.rates[i] * (t - i * self.step_s)

    def time_of(self, n: float) -> float:
        before = 0.0
        for i, rate in enumerate(self.rates):
            area = rate * self.step_s
            if rate and n < before + area:
                return i * self.step_s + (n - before) / rate
            before += area
        return math.inf


class Plan:
    """Phases one after another; see the module's docstring for how arrivals are made.

    >>> plan = Plan(Steps(start_rate=1, step_rate=1, steps=2, step_s=2), poisson=True, seed=7)
    >>> list(plan.arrivals()) == list(plan.arrivals())       # seeded: the same each time
    True
    """

    def __init__(self, *phases: Phase, poisson: bool = False, seed: int = 0) -> None:
        if not phases:
            raise ValueError("a plan needs at least one phase")
        self.phases = tuple(phases)
        self.poisson = poisson
        self.seed = seed
        self._starts: list[float] = []
        self._counts: list[float] = []  # the integral at each phase's start
        self._areas = [phase.count_until(phase.duration_s) for phase in self.phases]
        at, count = 0.0, 0.0
        for phase, area in zip(self.phases, self._areas):
            self._starts.append(at)
            self._counts.append(count)
            at += phase.duration_s
            count += area
        self.duration_s = at
        self.total = count  # the integral over the whole plan

    def __repr__(self) -> str:
        extra = f", poisson=True, seed={self.seed}" if self.poisson else ""
        return f"Plan({', '.join(map(repr, self.phases))}{extra})"

    def _locate(self, t: float) -> int:
        for i in range(len(self.phases) - 1, -1, -1):
            if t >= self._starts[i]:
                return i
        return 0

    def target_rate(self, t: float) -> float:
        """The target rate ``t`` seconds into the run (0 outside the plan)."""
        if t < 0 or t >= self.duration_s:
            return 0.0
        i = self._locate(t)
        return self.phases[i].rate_at(t - self._starts[i])

    def count_until(self, t: float) -> float:
        """The integral of the target rate from the start to ``t``."""
        t = min(max(t, 0.0), self.duration_s)
        i = self._locate(t)
        return self._counts[i] + self.phases[i].count_until(t - self._starts[i])

    def expected_count(self, start_s: float, end_s: float) -> float:
        """How many arrivals the plan means to make in ``[start_s, end_s)``."""
        return self.count_until(end_s) - self.count_until(start_s)

    def _time_of(self, n: float) -> float:
        # the phase holding the n-th arrival; one at a boundary opens the next phase
        for start, before, area, phase in zip(self._starts, self._counts, self._areas, self.phases):
            if n < before + area:
                return start + phase.time_of(n - before)
        return math.inf

    def arrivals(self) -> Iterator[float]:
        """Each request's intended start, in seconds from the run's start, in order."""
        rng = random.Random(self.seed) if self.poisson else None
        n = rng.expovariate(1.0) if rng else 0.0
        while n < self.total:
            t = self._time_of(n)
            if t >= self.duration_s:
                return
            yield t
            n += rng.expovariate(1.0) if rng else 1.0
