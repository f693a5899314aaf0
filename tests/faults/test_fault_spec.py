import pytest

from sandbox.faults.spec import FaultSpecError, parse_duration, parse_fault


@pytest.mark.parametrize(
    "words, kind, attributes",
    [
        (["latency=300ms", "jitter=50ms"], "latency", {"latency": 300, "jitter": 50}),
        (["latency=1s"], "latency", {"latency": 1000}),
        (["timeout=2s"], "timeout", {"timeout": 2000}),
        (["reset_peer=0"], "reset_peer", {"timeout": 0}),
        (["bandwidth=2MB"], "bandwidth", {"rate": 2048}),
        (["slow_close=500ms"], "slow_close", {"delay": 500}),
        (["limit_data=1KB"], "limit_data", {"bytes": 1024}),
        (["slicer=64", "delay=10ms"], "slicer", {"average_size": 64, "delay": 10000}),
        (["down"], "down", {}),
    ],
)
def test_faults_as_qa_writes_them(words, kind, attributes):
    fault = parse_fault(words)
    assert (fault.kind, fault.attributes) == (kind, attributes)


@pytest.mark.parametrize(
    "words, message",
    [([], "no fault"), (["lag=3ms"], "unknown fault"), (["latency=fast"], "not an amount"),
     (["latency=3h"], "unknown unit"), (["latency=3ms", "jitter"], "not key=value"),
     (["down", "x=1"], "takes no attributes")],
)
def test_a_malformed_fault_is_one_line_naming_the_kinds(words, message):
    with pytest.raises(FaultSpecError) as caught:
        parse_fault(words)
    line = caught.value.one_line()
    assert message in line and "latency" in line and "\n" not in line


def test_durations():
    assert parse_duration("30s") == 30.0 and parse_duration("250ms") == 0.25
