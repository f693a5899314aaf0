"""Readiness by the compose healthcheck: one detached exec per slice, its state read by
inspect, the container's exit and an abort noticed while a slice runs."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from sandbox.errors import ServiceExited
from sandbox.runtime.readiness import (
    RAMP,
    STEADY,
    Aborted,
    ExecHealthcheckWaitStrategy,
    polling_script,
    try_pauses,
)
from sandbox.topology import Healthcheck

HEALTH = Healthcheck(("CMD", "curl", "-fsS", "http://127.0.0.1:8000/health/ready"), timeout=3.0)


def run_script(tmp_path, succeed_on: int, pauses: list[float]) -> tuple[int, int]:
    """Run ``polling_script`` in /bin/sh with a check that passes at try ``succeed_on``;
    returns (exit code, tries made)."""
    counter = tmp_path / "tries"
    counter.write_text("0")
    check = ["/bin/sh", "-c",
             f'n=$(( $(cat {counter}) + 1 )); echo $n > {counter}; [ "$n" -ge {succeed_on} ]']
    code = subprocess.run(polling_script(check, pauses), check=False, timeout=10).returncode
    return code, int(counter.read_text())


def test_the_loop_stops_at_the_first_passing_try(tmp_path):
    assert run_script(tmp_path, succeed_on=3, pauses=[0.01] * 5) == (0, 3)


def test_the_loop_gives_up_after_one_try_per_pause_and_a_last_one(tmp_path):
    assert run_script(tmp_path, succeed_on=99, pauses=[0.01] * 4) == (1, 5)


def test_a_slice_ramps_up_then_tries_once_a_second():
    pauses = try_pauses(30.0)
    assert pauses[: len(RAMP)] == list(RAMP) and set(pauses[len(RAMP):]) == {STEADY}
    assert 30.0 <= sum(pauses) < 31.0
    assert try_pauses(30.0, ramp=()) == [STEADY] * 30


class FakeContainer:
    def __init__(self) -> None:
        self.id = "c1"
        self.status = "running"
        self.attrs = {"State": {"ExitCode": 0}}
        self.reloads = 0
        self.exit_after_reloads: int | None = None

    def reload(self) -> None:
        self.reloads += 1
        if self.exit_after_reloads is not None and self.reloads >= self.exit_after_reloads:
            self.status, self.attrs = "exited", {"State": {"ExitCode": 3}}

    def logs(self, tail: int = 8) -> bytes:
        return b"boom: no database\n"


class FakeApi:
    """An exec runs for ``running_polls`` inspects, then exits with the next of ``codes``."""

    def __init__(self, codes: list[int], running_polls: int = 3) -> None:
        self.codes = list(codes)
        self.running_polls = running_polls
        self.created: list[list[str]] = []
        self.detached: list[bool] = []
        self._left = 0

    def exec_create(self, container_id, command, **kwargs):
        self.created.append(command)
        self._left = self.running_polls
        return {"Id": f"e{len(self.created)}"}

    def exec_start(self, exec_id, detach=False):
        self.detached.append(detach)
        return b""

    def exec_inspect(self, exec_id):
        if self._left > 0:
            self._left -= 1
            return {"Running": True, "ExitCode": None}
        return {"Running": False, "ExitCode": self.codes.pop(0)}

    def close(self):
        pass


def strategy(api: FakeApi, abort: threading.Event | None = None, timeout: float = 30):
    s = ExecHealthcheckWaitStrategy("catalog", HEALTH, timeout=timeout, abort=abort)
    s._api.close()
    s._api = api
    s.with_poll_interval(0.01)
    s.status_every = 0.05
    return s


def test_one_detached_exec_is_read_until_its_loop_passes():
    api, container = FakeApi([0], running_polls=5), FakeContainer()
    strategy(api).wait_until_ready(container)
    assert len(api.created) == 1 and api.detached == [True]
    assert "0.25" in api.created[0][-1]  # the first slice ramps up


def test_a_slice_that_gave_up_is_followed_by_a_steady_one():
    api = FakeApi([1, 0], running_polls=1)
    strategy(api).wait_until_ready(FakeContainer())
    first, second = (c[-1] for c in api.created)
    assert "0.25" in first and "0.25" not in second and f"{STEADY:g}" in second


def test_the_containers_exit_is_noticed_while_a_slice_runs():
    api, container = FakeApi([0], running_polls=10_000), FakeContainer()
    container.exit_after_reloads = 3
    started = time.monotonic()
    with pytest.raises(ServiceExited) as caught:
        strategy(api).wait_until_ready(container)
    assert time.monotonic() - started < 5
    assert "exited (code 3)" in str(caught.value) and "no database" in str(caught.value)


def test_an_abort_stops_the_wait_while_a_slice_runs():
    abort = threading.Event()
    api = FakeApi([0], running_polls=10_000)
    threading.Timer(0.2, abort.set).start()
    started = time.monotonic()
    with pytest.raises(Aborted):
        strategy(api, abort=abort).wait_until_ready(FakeContainer())
    assert time.monotonic() - started < 5 and len(api.created) == 1


def test_the_container_state_is_read_seldom_while_the_exec_runs():
    api, container = FakeApi([0], running_polls=40), FakeContainer()
    strategy(api).wait_until_ready(container)  # about 40 polls of 0.01 s
    assert container.reloads < 20
