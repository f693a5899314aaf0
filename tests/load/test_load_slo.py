"""SLO verdicts on a recorded run: whole run, sliding windows, inside and outside faults,
the error ratio, the achieved rate, the knee."""

import doctest

from sandbox.load import slo as slo_module
from sandbox.load.recorder import Recorder
from sandbox.load.results import LoadResult
from sandbox.load.schedule import Constant, Plan, Steps
from sandbox.load.slo import FaultWindow, Slo, find_knee, judge, judge_one


def steady_run(slow_from: float = 4.0, slow_to: float = 6.0, errors_at: float = -1.0,
               dropped_from: float = 99.0) -> LoadResult:
    """10/s for 10 s: 10 ms, or 300 ms between slow_from and slow_to."""
    rec = Recorder()
    for i in range(100):
        t = i / 10
        if t >= dropped_from:
            rec.drop("browse", t)
            continue
        latency = 0.300 if slow_from <= t < slow_to else 0.010
        rec.record("browse", None, t, latency, error="http 503" if abs(t - errors_at) < 0.25 else None)
        rec.record("browse", "get product", t, latency / 2)
    return LoadResult(Plan(Constant(rate=10, duration_s=10)), rec, ("browse",))


def test_a_whole_run_objective_sees_the_slow_part_only_in_the_tail():
    run = steady_run()
    p50, p99 = judge(run, [Slo("p50", 50, "browse"), Slo("p99", 50, "browse")])
    assert p50.passed and p50.value < 11 and "over the whole run" in p50.message
    assert not p99.passed and p99.value >= 300
    assert p99.message == "browse p99 300 ms > 50 ms over the whole run"


def test_sliding_windows_name_the_worst_window():
    verdict = judge_one(steady_run(slow_from=6, slow_to=7.5), Slo("p50", 50, "browse", window_s=2))
    assert not verdict.passed
    assert (verdict.start_s, verdict.end_s) == (6.0, 8.0)
    assert verdict.message.endswith("in the window 6-8 s")


def test_a_step_is_judged_on_its_own_series():
    verdict = judge_one(steady_run(), Slo("max", 200, "browse", step="get product"))
    assert verdict.passed and 140 <= verdict.value <= 160


def test_inside_and_outside_the_faults_give_different_verdicts():
    run, faults = steady_run(), [FaultWindow("catalog->postgres latency=300ms", 4.0, 6.0)]
    during = judge_one(run, Slo("p50", 50, "browse", scope="during"), faults)
    outside = judge_one(run, Slo("p50", 50, "browse", scope="outside"), faults)
    assert not during.passed and "during the faults (4-6 s)" in during.message
    assert outside.passed and outside.value < 11


def test_settle_keeps_the_seconds_after_a_fault_out_of_outside():
    run = steady_run(slow_from=4, slow_to=7)  # slow a second past the fault
    faults = [FaultWindow("x", 4.0, 6.0)]
    assert not judge_one(run, Slo("p99", 50, "browse", scope="outside"), faults).passed
    assert judge_one(run, Slo("p99", 50, "browse", scope="outside", settle_s=1.0), faults).passed


def test_a_fault_still_in_place_at_the_end_runs_to_the_end():
    run = steady_run(slow_from=8, slow_to=99)
    verdict = judge_one(run, Slo("p50", 50, "browse", scope="outside"), [FaultWindow("x", 8.0)])
    assert verdict.passed


def test_error_ratio_and_rate():
    run = steady_run(errors_at=2.0, dropped_from=9.0)
    errors, rate = judge(run, [Slo("error_ratio", 0.01), Slo("rate", 0.95)])
    assert not errors.passed and abs(errors.value - 5 / 90) < 1e-9
    assert not rate.passed and abs(rate.value - 0.9) < 1e-9
    assert rate.message == "all journeys rate 0.9 < 0.95 over the whole run"
    assert judge_one(run, Slo("rate", 0.95, window_s=3)).start_s == 7.0  # the worst window


def test_nothing_measured_is_a_broken_objective():
    verdict = judge_one(steady_run(), Slo("p99", 50, "browse", scope="during"), [])
    assert not verdict.passed and verdict.value is None and "nothing was measured" in verdict.message


def test_the_verdict_in_the_summarys_shape():
    shaped = judge_one(steady_run(), Slo("p99", 50, "browse", window_s=2)).as_summary()
    assert set(shaped) == {"name", "journey", "step", "metric", "bound", "unit", "window_s",
                           "scope", "passed", "worst", "message"}
    assert shaped["unit"] == "ms" and shaped["worst"]["start_s"] is not None


def test_the_knee_of_a_staircase():
    rec = Recorder()
    plan = Plan(Steps(start_rate=10, step_rate=10, steps=4, step_s=5))
    for t in plan.arrivals():
        rate = plan.target_rate(t)
        rec.record("browse", None, t, 0.400 if rate >= 30 else 0.020)
    run = LoadResult(plan, rec, ("browse",))
    knee = find_knee(run, Slo("p99", 250, "browse", window_s=5))
    assert knee["rate"] == 30.0 and "from 30/s" in knee["reason"]
    calm = find_knee(run, Slo("p99", 900, "browse", window_s=5))
    assert calm["rate"] is None and "up to 40/s" in calm["reason"]


def test_the_modules_examples_hold():
    failed, attempted = doctest.testmod(slo_module)
    assert attempted > 0 and failed == 0
