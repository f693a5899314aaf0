"""The fault ledger: what was put in place comes out again, container faults by their
inverse action until the service is healthy, whatever fails along the way."""

from __future__ import annotations

import pytest

from sandbox.chaos.fault_ledger import FaultLedger
from sandbox.chaos.fault_specs import FaultSpecInvalid, container_fault, link_fault
from sandbox.errors import SandboxError
from sandbox.faults.links import UnknownName
from tests.chaos.chaos_fakes import FakeContainers, FakeLinks


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def parts():
    clock = Clock()
    links, containers = FakeLinks(), FakeContainers()
    ledger = FaultLedger(links, containers, healthy_timeout=10, poll=1, clock=clock,
                         sleep=clock.sleep)  # fmt: skip
    return ledger, links, containers, clock


def test_undo_all_inverts_container_faults_newest_first_and_clears_every_link(parts):
    ledger, links, containers, _ = parts
    assert ledger.apply(link_fault("catalog->postgres", ["latency=300ms"])) == \
        "catalog->postgres/latency_downstream"  # fmt: skip
    ledger.apply(container_fault("catalog", "pause"))
    ledger.apply(container_fault("postgres", "partition", network="public"))
    ledger.apply(container_fault("monolith", "stop"))
    assert ledger.undo_all() == []
    assert containers.calls[3:] == ["start monolith", "heal postgres from public",
                                    "unpause catalog"]  # fmt: skip
    assert links.calls[-1] == ("clear",) and not links.in_place
    assert all(state == "running" for state in containers.state.values())
    assert ledger.in_place == [] and ledger.touched == []


def test_throttle_is_undone_by_restoring_the_limits_saved_before_it(parts):
    ledger, _, containers, _ = parts
    ledger.apply(container_fault("catalog", "throttle", cpus=0.2))
    ledger.undo_all()
    assert containers.calls[-1] == ("restore", "catalog", {"CpuPeriod": 0, "CpuQuota": 0,
                                                           "Memory": 0, "MemorySwap": 0})


def test_an_undo_action_settles_the_fault_it_undoes(parts):
    ledger, _, containers, _ = parts
    ledger.apply(container_fault("catalog", "pause"))
    ledger.apply(container_fault("catalog", "unpause"))
    assert ledger.in_place == []
    ledger.undo_all()
    assert containers.calls == ["pause catalog", "unpause catalog"]  # not unpaused twice


def test_remove_by_link_by_id_or_by_service(parts):
    ledger, links, containers, _ = parts
    ledger.apply(link_fault("gateway->catalog", ["latency=10ms"]))
    ledger.apply(link_fault("gateway->catalog", ["timeout=1s"], stream="upstream"))
    ledger.apply(link_fault("monolith->catalog", ["down"]))
    ledger.apply(container_fault("catalog", "kill"))
    assert ledger.remove("monolith->catalog/down") == ["monolith->catalog/down"]
    assert ledger.remove("gateway->catalog") == ["gateway->catalog/timeout_upstream",
                                                 "gateway->catalog/latency_downstream"]
    assert ledger.remove("catalog") == ["kill catalog"]
    assert containers.calls[-1] == "start catalog" and containers.state["catalog"] == "running"
    assert links.in_place == set() and ledger.in_place == []


def test_removing_what_is_not_in_place_names_what_is(parts):
    ledger, *_ = parts
    ledger.apply(link_fault("gateway->catalog", ["down"]))
    with pytest.raises(SandboxError) as caught:
        ledger.remove("catalog->postgres")
    assert "in place (gateway->catalog/down)" in caught.value.one_line()


def test_every_undo_is_tried_and_each_problem_reported(parts):
    ledger, links, containers, _ = parts
    ledger.apply(container_fault("catalog", "pause"))
    ledger.apply(container_fault("monolith", "pause"))
    containers.failing.add("unpause")
    problems = ledger.undo_all()
    assert problems[:2] == [
        "undo pause monolith: docker refused to unpause monolith -- fix: try again",
        "undo pause catalog: docker refused to unpause catalog -- fix: try again",
    ]
    assert links.calls == [("clear",)]  # the links are cleared all the same


def test_a_service_not_healthy_in_time_is_a_problem_naming_its_state(parts):
    ledger, _, containers, clock = parts
    containers.starting_polls = 1000
    ledger.apply(container_fault("catalog", "restart"))
    [problem] = ledger.undo_all()
    assert problem == "catalog not healthy 10 s after its fault (state starting)"
    assert clock.now >= 10


def test_names_are_checked_against_the_live_sandbox(parts):
    ledger, *_ = parts
    ledger.check(link_fault("gateway->catalog", ["down"]))
    with pytest.raises(UnknownName) as caught:
        ledger.check(link_fault("catalog->redis", ["down"]))
    assert "no link named 'catalog->redis'" in caught.value.one_line()
    assert "catalog->postgres, gateway->catalog" in caught.value.one_line()
    with pytest.raises(UnknownName, match="no service named 'payments'"):
        ledger.check(container_fault("payments", "pause"))
    with pytest.raises(UnknownName, match="no network named 'dmz'"):
        ledger.check(container_fault("catalog", "partition", network="dmz"))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: link_fault("catalog", ["down"]), "'catalog' is not a link name"),
        (lambda: link_fault("a->b", ["latency=1ms", "jiter=2"]), "takes no attribute 'jiter'"),
        (lambda: link_fault("a->b", ["down"], stream="upstream"), "takes no stream"),
        (lambda: container_fault("catalog", "throttle"), "throttle needs cpus or memory"),
        (lambda: container_fault("catalog", "pause", cpus=1), "cpus and memory are for throttle"),
        (lambda: container_fault("catalog", "pause", network="public"), "partition and heal"),
        (lambda: container_fault("catalog", "throttle", memory="lots"), "not a size"),
    ],
)
def test_malformed_specs_say_the_fix(make, message):
    with pytest.raises(FaultSpecInvalid) as caught:
        make()
    assert message in caught.value.one_line() and "fix:" in caught.value.one_line()
