"""Dependency-gated parallel start."""

import threading

import pytest

from sandbox.runtime.scheduler import StartScheduler


def test_dependents_start_after_readiness_and_independents_in_parallel():
    events: list[str] = []
    both_started = threading.Barrier(2, timeout=5)

    def start(name: str) -> None:
        events.append(f"start {name}")
        if name in ("a", "b"):
            both_started.wait()  # deadlocks unless a and b start concurrently

    def ready(name: str) -> None:
        events.append(f"ready {name}")

    deps = {"a": {}, "b": {}, "c": {"a": "service_healthy", "b": "service_started"}}
    StartScheduler(deps, start, ready).run()
    assert events.index("start c") > events.index("ready a")
    assert events.index("start c") > events.index("start b")


def test_first_failure_is_raised_and_dependents_never_start():
    started: list[str] = []

    def ready(name: str) -> None:
        if name == "a":
            raise RuntimeError("a broke")

    deps = {"a": {}, "c": {"a": "service_healthy"}}
    with pytest.raises(RuntimeError, match="a broke"):
        StartScheduler(deps, started.append, ready).run()
    assert started == ["a"]
