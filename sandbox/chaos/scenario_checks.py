"""The expectations on the traffic, judged from its outcomes: each failed one is a line
saying what was seen.

>>> ok = Outcome(started=0.0, elapsed=0.2, status=201, content_type="application/json")
>>> slow = Outcome(started=1.0, elapsed=4.0, status=503, content_type="text/html")
>>> judge_traffic([ok, slow], deadline=10, expect=Expectations(), since=0.0)
['status: 1 of 2 answers outside [201]: 503 text/html x1 (first at +1.0 s)', \
'problem+json: 1 non-2xx answer not application/problem+json: 503 text/html x1 (first at +1.0 s)']
>>> judge_traffic([ok, slow], 10, Expectations((201, 503), (LatencyBound("max", 3.0),)), 0.0)[1]
'latency: max 4.00 s > 3 s (2 answers; median 0.20 s)'
"""

from __future__ import annotations

import math
from collections import Counter

from sandbox.chaos.scenario import Expectations, LatencyBound
from sandbox.chaos.traffic import Outcome

SHOWN = 3  # kinds of answer shown per failed check
SLACK_S = 1.0  # an answer this late past its deadline is scheduling noise on a loaded runner


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: ``percentile([1, 2, 3, 4], 50) == 2``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _answer(outcome: Outcome) -> str:
    if outcome.status is None:
        return (outcome.error or "no answer").split(":")[0]
    return f"{outcome.status} {outcome.content_type.split(';')[0].strip() or '(no type)'}"


def seen(outcomes: list[Outcome], since: float) -> str:
    """``503 application/problem+json x4 (first at +5.2 s), ...``: the kinds of answer."""
    counts = Counter(_answer(o) for o in outcomes)
    first = {}
    for o in outcomes:
        first.setdefault(_answer(o), o.started - since)
    parts = [f"{kind} x{n} (first at +{first[kind]:.1f} s)" for kind, n in counts.most_common(SHOWN)]
    more = len(counts) - SHOWN
    return ", ".join(parts) + (f", and {more} other kinds" if more > 0 else "")


def check_deadlines(outcomes: list[Outcome], deadline: float, since: float,
                    refused: int = 0) -> list[str]:
    """Every request was answered within its deadline (and none was left unsent)."""
    late = [o for o in outcomes if o.status is None or o.elapsed > deadline + SLACK_S]
    failures = []
    if late:
        failures.append(f"deadline: {len(late)} of {len(outcomes)} requests got no answer "
                        f"within {deadline:g} s: {seen(late, since)}")  # fmt: skip
    if refused:
        failures.append(f"deadline: {refused} requests were not sent (the earlier ones "
                        "had not answered yet)")  # fmt: skip
    return failures


def check_statuses(outcomes: list[Outcome], allowed: tuple[int, ...], since: float) -> list[str]:
    """Every answer has an allowed status; every non-2xx answer is problem+json."""
    answered = [o for o in outcomes if o.status is not None]
    failures = []
    outside = [o for o in answered if o.status not in allowed]
    if outside:
        failures.append(f"status: {len(outside)} of {len(answered)} answers outside "
                        f"[{', '.join(map(str, allowed))}]: {seen(outside, since)}")  # fmt: skip
    plain = [o for o in answered if not o.ok and not o.is_problem]
    if plain:
        noun = "answer" if len(plain) == 1 else "answers"
        failures.append(f"problem+json: {len(plain)} non-2xx {noun} not "
                        f"application/problem+json: {seen(plain, since)}")  # fmt: skip
    return failures


def check_latency(outcomes: list[Outcome], bounds: tuple[LatencyBound, ...]) -> list[str]:
    """Each bound (``p99 < 3 s``) holds over the answered requests."""
    durations = [o.elapsed for o in outcomes if o.status is not None]
    if not bounds:
        return []
    if not durations:
        return ["latency: no request was answered"]
    failures = []
    for bound in bounds:
        value = percentile(durations, bound.percent)
        if value > bound.seconds:
            failures.append(
                f"latency: {bound.name} {value:.2f} s > {bound.seconds:g} s "
                f"({len(durations)} answers; median {percentile(durations, 50):.2f} s)"
            )
    return failures


def judge_traffic(outcomes: list[Outcome], deadline: float, expect: Expectations,
                  since: float, refused: int = 0) -> list[str]:
    """Every traffic expectation, the failed ones as lines (empty: all held)."""
    if not outcomes:
        return ["traffic: no request was sent (is a wait step after the traffic step?)"]
    return [*check_statuses(outcomes, expect.statuses, since),
            *check_deadlines(outcomes, deadline, since, refused),
            *check_latency(outcomes, expect.latency)]  # fmt: skip


def traffic_summary(outcomes: list[Outcome], since: float) -> str:
    """One line: how many requests, what answered, how fast."""
    durations = [o.elapsed for o in outcomes if o.status is not None]
    speed = (f"; p50 {percentile(durations, 50):.2f} s, p99 {percentile(durations, 99):.2f} s, "
             f"max {max(durations):.2f} s") if durations else ""  # fmt: skip
    return f"{len(outcomes)} requests: {seen(outcomes, since)}{speed}"
