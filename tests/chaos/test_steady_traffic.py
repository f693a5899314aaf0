"""SteadyTraffic: an open workload at a steady rate, bounded in flight, every request an
outcome (a deadline passed is recorded as such, not raised)."""

from __future__ import annotations

import itertools
import threading

import httpx
import pytest

from sandbox.chaos.traffic import Outcome, SteadyTraffic, between

OK = (201, "application/json", {"id": "o1"})


def test_the_rate_is_honoured_roughly():
    with SteadyTraffic(lambda: OK, rate=20, deadline=1) as traffic:
        threading.Event().wait(0.5)
    outcomes = traffic.stop()
    # one at start, then one every 50 ms: ~11 in 0.5 s (a loaded runner may lose a few)
    assert 7 <= len(outcomes) <= 13, len(outcomes)
    starts = [o.started for o in outcomes]
    assert starts == sorted(starts) and traffic.refused == 0
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert sum(gaps) / len(gaps) == pytest.approx(0.05, abs=0.02)


def test_requests_in_flight_are_bounded_and_the_extra_ones_refused():
    release = threading.Event()
    lock = threading.Lock()
    in_flight = [0, 0]  # now, most

    def slow():
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        release.wait(5)
        with lock:
            in_flight[0] -= 1
        return OK

    traffic = SteadyTraffic(slow, rate=50, deadline=5, max_in_flight=3).start()
    threading.Event().wait(0.3)
    release.set()
    outcomes = traffic.stop()
    assert in_flight[1] == 3
    assert len(outcomes) >= 3 and traffic.refused >= 5
    assert all(o.status == 201 for o in outcomes)


def test_a_passed_deadline_and_a_transport_error_are_outcomes():
    errors = iter([httpx.ReadTimeout("timed out"), httpx.ConnectError("refused")])

    def failing():
        raise next(errors)

    traffic = SteadyTraffic(failing, rate=10, deadline=1, max_in_flight=1).start()
    while len(traffic.outcomes) < 2:
        threading.Event().wait(0.01)
    late, refused = traffic.stop()[:2]
    assert late.status is None and late.error == "deadline: timed out"
    assert refused.status is None and refused.error == "ConnectError: refused"
    assert not late.ok and "deadline" in late.describe()


def test_outcomes_know_problem_json_and_between_picks_by_time():
    a = Outcome(0.0, 0.5, 503, "application/problem+json; charset=utf-8")
    b = Outcome(1.0, 0.5, 201, "application/json")
    c = Outcome(2.0, 2.0, 201, "application/json")
    assert a.is_problem and not a.ok and b.ok and not b.is_problem
    assert between([a, b, c], 0.5, 3.0) == [b]


@pytest.mark.parametrize("rate, deadline", [(0, 1), (1, 0)])
def test_a_rate_or_deadline_that_is_not_positive_is_refused(rate, deadline):
    with pytest.raises(ValueError):
        SteadyTraffic(lambda: OK, rate=rate, deadline=deadline)
