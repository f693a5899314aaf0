"""The recorder: windows by start time, merged ranges, and recorders merged across processes."""

from __future__ import annotations

import json
import random

import pytest

from sandbox.load import Counts, Recorder, percentiles_ms


def filled(seed: int, n: int = 500) -> Recorder:
    rng = random.Random(seed)
    recorder = Recorder(window_s=1.0)
    for _ in range(n):
        start = rng.uniform(0, 10)
        error = "http 503" if rng.random() < 0.1 else None
        recorder.record("browse", None, start, rng.uniform(0.001, 0.2), error)
        recorder.record("browse", "get product", start, rng.uniform(0.001, 0.1))
        if rng.random() < 0.05:
            recorder.drop("browse", start)
        recorder.late(rng.uniform(0, 0.002))
    return recorder


def test_records_land_in_the_window_where_they_began() -> None:
    recorder = Recorder(window_s=0.5)
    recorder.record("browse", None, start_s=0.49, latency_s=2.0)  # ends late, began in window 0
    recorder.record("browse", None, start_s=0.5, latency_s=0.001, error="timeout")

    assert [i for i, _ in recorder.windows("browse")] == [0, 1]
    assert recorder.counts("browse", None, 0.0, 0.5) == Counts(ok=1)
    assert recorder.counts("browse", None, 0.5, 1.0) == Counts(errors=1, kinds={"timeout": 1})


def test_a_window_range_merges_exactly_the_windows_starting_in_it() -> None:
    recorder = Recorder(window_s=1.0)
    for second, latency in enumerate([0.010, 0.020, 0.500, 0.030]):
        recorder.record("browse", None, start_s=second + 0.5, latency_s=latency)

    middle = recorder.histogram("browse", None, 1.0, 3.0)

    assert middle.get_total_count() == 2
    assert percentiles_ms(middle, [100])[100] == pytest.approx(500, rel=0.001)
    assert percentiles_ms(recorder.histogram("browse", None, 3.0, 4.0), [100])[100] < 31
    assert recorder.histogram("browse", None, 10.0, 20.0).get_total_count() == 0


def test_step_and_journey_series_are_apart() -> None:
    recorder = filled(seed=1)

    assert set(recorder.series) == {("browse", None), ("browse", "get product")}
    assert recorder.counts("browse", "get product").errors == 0
    assert recorder.counts("browse").errors > 0


def test_merging_two_recorders_equals_recording_everything_in_one() -> None:
    first, second = filled(seed=1), filled(seed=2)
    both = filled(seed=1)
    rng = random.Random(2)  # replay the second recorder's records into `both`
    for _ in range(500):
        start = rng.uniform(0, 10)
        error = "http 503" if rng.random() < 0.1 else None
        both.record("browse", None, start, rng.uniform(0.001, 0.2), error)
        both.record("browse", "get product", start, rng.uniform(0.001, 0.1))
        if rng.random() < 0.05:
            both.drop("browse", start)
        both.late(rng.uniform(0, 0.002))

    first.merge(second)

    for start, end in [(0, 10), (2, 5), (9, 10)]:
        assert first.counts("browse", None, start, end) == both.counts("browse", None, start, end)
        merged, direct = (r.histogram("browse", None, start, end) for r in (first, both))
        assert percentiles_ms(merged, [50, 99, 100]) == percentiles_ms(direct, [50, 99, 100])
    assert first.lateness.get_total_count() == 1000


def test_an_encoded_recorder_is_plain_json_and_decodes_to_the_same() -> None:
    recorder = filled(seed=3)

    data = json.loads(json.dumps(recorder.encode()))
    decoded = Recorder.decode(data)

    assert decoded.counts("browse") == recorder.counts("browse")
    for step in (None, "get product"):
        assert percentiles_ms(decoded.histogram("browse", step), [0, 50, 99.9, 100]) == (
            percentiles_ms(recorder.histogram("browse", step), [0, 50, 99.9, 100]))


def test_recorders_with_different_windows_do_not_merge() -> None:
    with pytest.raises(ValueError):
        Recorder(window_s=1.0).merge(Recorder(window_s=0.5))


def test_latencies_beyond_the_histogram_are_clamped_not_lost() -> None:
    recorder = Recorder()
    recorder.record("browse", None, 0.0, latency_s=120.0)

    assert percentiles_ms(recorder.histogram("browse"), [100])[100] == pytest.approx(60_000,
                                                                                     rel=0.001)


def test_an_empty_histogram_has_no_percentiles() -> None:
    assert percentiles_ms(Recorder().histogram("nothing"), [50, 100]) == {50: None, 100: None}
