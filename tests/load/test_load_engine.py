"""The open-loop engine in one process, against a tiny HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from sandbox.load import Constant, LoadProgress, Plan, percentiles_ms, run_load
from tests.load import load_journeys
from tests.load.load_target import LoadTarget

pytestmark = pytest.mark.timeout(30)

# for the tests not about dropping: even a very loaded machine is not 5 s behind
PATIENT = {"lateness_bound_s": 5.0}


def slower_than(histogram, seconds: float) -> int:
    """How many recorded latencies (µs) are above ``seconds``."""
    return sum(item.count_at_value_iterated_to for item in histogram.get_recorded_iterator()
               if item.value_iterated_to > seconds * 1e6)


def test_a_constant_rate_sends_every_arrival_at_its_intended_time() -> None:
    with LoadTarget() as target:
        result = run_load(Plan(Constant(rate=100, duration_s=2)), ["t-get"], base_url=target.url,
                          **PATIENT)

    assert target.requests == 200
    assert result.counts("t-get").ok == 200
    for start in (0, 1):
        assert result.achieved_rate(start, start + 1) == pytest.approx(
            result.target_rate(start, start + 1), rel=0.03)
    # on time: well under a millisecond on an idle machine; the bound allows for a loaded one
    assert percentiles_ms(result.recorder.lateness, [50])[50] < 250
    assert result.overhead.requests == 200 and result.overhead.cpu_s > 0


def test_a_server_stall_shows_in_the_latency_of_the_arrivals_queued_behind_it() -> None:
    # 100/s, and the server stops answering for 500 ms at its 40th request: about 50
    # arrivals are meant to start during the stall, each waits the rest of it
    with LoadTarget() as target:
        target.stall_once(after=40, stall_s=0.5)
        result = run_load(Plan(Constant(rate=100, duration_s=1.5)), ["t-get"],
                          base_url=target.url, **PATIENT)

    journeys = result.histogram("t-get")
    assert percentiles_ms(journeys, [100])[100] >= 480
    assert percentiles_ms(journeys, [99])[99] >= 400
    assert slower_than(journeys, 0.25) >= 20  # those meant to start in its first 250 ms
    # and the first step measures the same, from the intended start
    assert slower_than(result.histogram("t-get", "get /"), 0.25) >= 20


def test_a_closed_loop_measurement_of_the_same_stall_hides_it() -> None:
    # the measurement the engine avoids: wait for each answer, then time the next request
    # from when it is sent; the stall then delays one request and pauses the rest
    async def closed_loop(url: str) -> list[float]:
        latencies = []
        async with httpx.AsyncClient(base_url=url) as client:
            end = time.monotonic() + 1.5
            while time.monotonic() < end:
                sent = time.monotonic()
                await client.get("/")
                latencies.append(time.monotonic() - sent)
                await asyncio.sleep(max(0.0, sent + 0.01 - time.monotonic()))
        return latencies

    with LoadTarget() as target:
        target.stall_once(after=40, stall_s=0.5)
        latencies = asyncio.run(closed_loop(target.url))
        assert target.stalled_at is not None

    assert max(latencies) >= 0.45  # the stall happened
    assert sum(1 for latency in latencies if latency > 0.25) <= 2  # ... and hid in one sample


def test_arrivals_beyond_max_in_flight_are_dropped_and_counted() -> None:
    # 300 ms answers at 100/s need 30 in flight; only 5 may be
    with LoadTarget() as target:
        result = run_load(Plan(Constant(rate=100, duration_s=1)), ["t-slow"],
                          base_url=target.url, max_in_flight=5)

    counts = result.counts("t-slow")
    assert counts.dropped >= 50
    assert counts.ok + counts.errors + counts.dropped == 100  # none silently skipped
    assert counts.ok == target.requests
    assert result.summary()["rate"][0]["dropped"] == counts.dropped


def test_a_blocked_engine_drops_what_is_too_late_and_times_the_rest_from_intended() -> None:
    # the first journey holds the event loop 1.3 s: what was meant for before 0.3 s is
    # more than the 1 s bound late by then; what was meant for 0.3-1.3 s is sent late
    with LoadTarget() as target:
        result = run_load(Plan(Constant(rate=50, duration_s=2)), ["t-hog"], base_url=target.url,
                          lateness_bound_s=1.0)

    counts = result.counts("t-hog")
    assert 10 <= counts.dropped <= 35  # about 15; more on a loaded machine
    assert result.counts("t-hog", None, 1.0, 2.0).dropped == 0
    assert counts.ok + counts.dropped == 100
    # those sent waited up to 1 s: the journey and its first step count that wait (measured
    # from when they were sent, each would take milliseconds)
    assert slower_than(result.histogram("t-hog"), 0.3) >= 10
    assert slower_than(result.histogram("t-hog", "get /"), 0.3) >= 10
    assert percentiles_ms(result.recorder.lateness, [100])[100] >= 300


def test_503_answers_are_errors_of_kind_http_503_in_their_window() -> None:
    with LoadTarget() as target:
        result = run_load(Plan(Constant(rate=40, duration_s=1.5)), ["t-flaky"],
                          base_url=target.url, window_s=0.5, **PATIENT)

    summary = result.summary()
    assert summary["errors"] == [{"t": 0.5, "kind": "http 503", "count": 20}]
    assert result.counts("t-flaky", "get", 0.5, 1.0).kinds == {"http 503": 20}
    assert result.counts("t-flaky", None, 0.0, 0.5).errors == 0
    assert result.counts("t-flaky", None, 1.0, 1.5).errors == 0
    assert [w["errors"] for w in summary["series"][0]["windows"]] == [0, 20, 0]


def test_raise_for_status_and_a_refused_connection_are_classified() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    plan = Plan(Constant(rate=20, duration_s=0.25))

    with LoadTarget() as target:
        statuses = run_load(plan, ["t-raise-status"], base_url=target.url, **PATIENT)
    refused = run_load(plan, ["t-get"], base_url=closed, **PATIENT)

    assert statuses.counts("t-raise-status").kinds == {"http 503": 5}
    assert refused.counts("t-get").kinds == {"connect": 5}


def test_journeys_still_running_after_the_timeout_are_cancelled_as_timeouts() -> None:
    began = time.monotonic()
    result = run_load(Plan(Constant(rate=10, duration_s=0.3)), ["t-sleeper"],
                      base_url="http://127.0.0.1:9", timeout_s=0.3, **PATIENT)

    assert time.monotonic() - began < 5  # not the journeys' 30 s
    assert result.counts("t-sleeper").kinds == {"timeout": 3}
    assert result.counts("t-sleeper", "wait").kinds == {"timeout": 3}
    assert percentiles_ms(result.histogram("t-sleeper"), [0])[0] >= 300


def test_progress_is_told_about_once_a_second_and_at_the_end() -> None:
    seen: list[LoadProgress] = []
    with LoadTarget() as target:
        run_load(Plan(Constant(rate=50, duration_s=2)), ["t-get"], base_url=target.url,
                 progress=seen.append, **PATIENT)

    assert 2 <= len(seen) <= 4
    assert [p.elapsed_s for p in seen] == sorted(p.elapsed_s for p in seen)
    assert seen[0].sent >= 30 and seen[0].p99_ms is not None
    assert (seen[-1].sent, seen[-1].ok, seen[-1].errors, seen[-1].dropped) == (100, 100, 0, 0)


def test_each_virtual_user_gets_its_own_data() -> None:
    result = run_load(Plan(Constant(rate=40, duration_s=0.25)), ["t-echo-data"],
                      base_url="http://127.0.0.1:9", data=load_journeys.user_data, **PATIENT)

    assert result.counts("t-echo-data").ok == 10


def test_the_get_journey_over_the_network_counts_each_status_it_was_told_to_expect():
    from sandbox.load.basic_journeys import Same
    from tests.load.load_target import LoadTarget

    with LoadTarget() as target:
        plan = Plan(Constant(rate=50, duration_s=1))
        told = run_load(plan, ["get"], base_url=target.url,
                        data=Same({"path": "/status/404", "expect": [404]}))
        not_told = run_load(plan, ["get"], base_url=target.url, data=Same({"path": "/status/404"}))
    assert told.counts("get").ok == 50 and told.counts("get").errors == 0
    assert not_told.counts("get").kinds == {"http 404": 50}
    assert told.overhead.requests == 50 and target.paths["/status/404"] == 100
