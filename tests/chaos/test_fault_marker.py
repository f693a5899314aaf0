"""``@pytest.mark.fault`` and the reset at session start, as users run them (pytester),
against the project's own links' proxy on 127.0.0.1 and recording fake containers."""

from __future__ import annotations

import fcntl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from fixtures.fault_fixtures import FaultLock
from sandbox.faults.links import LinkFaults
from sandbox.faults.spec import parse_fault
from tests.toxiproxy.netutil import proxy_with_links

pytest_plugins = ["pytester"]

FAKE = (Path(__file__).parent / "chaos_fake_sandbox.py").read_text(encoding="utf-8")
LINKS = ("catalog->postgres", "gateway->catalog")

HELPERS = """
import os
import pytest
import requests

def toxics():
    proxies = requests.get(os.environ["FAKE_PROXY_URL"] + "/proxies", timeout=5).json()
    return {n: (p["enabled"], [t["name"] for t in p["toxics"]]) for n, p in proxies.items()}

CLEAN = {"catalog->postgres": (True, []), "gateway->catalog": (True, [])}
"""


@pytest.fixture
def proxy(tmp_path):
    with proxy_with_links(tmp_path, LINKS) as server:
        yield LinkFaults(server.url)


def use_fake(pytester, monkeypatch, proxy_url: str) -> Path:
    pytester.makepyfile(chaos_fake_sandbox=FAKE)
    log = pytester.path / "calls.log"
    log.touch()
    monkeypatch.setenv("FAKE_SANDBOX_LOG", str(log))
    monkeypatch.setenv("FAKE_PROXY_URL", proxy_url)
    monkeypatch.setenv("SANDBOX_FACTORY", "chaos_fake_sandbox:ChaosFakeSandbox")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    pytester.syspathinsert()
    return log


@pytest.fixture
def log(pytester, monkeypatch, proxy) -> Path:
    return use_fake(pytester, monkeypatch, proxy._base)


def test_marked_faults_are_on_during_the_body_only_after_the_fixtures(pytester, log, proxy):
    pytester.makepyfile(HELPERS + """
@pytest.fixture
def seen_in_setup(sandbox):
    return toxics()

@pytest.mark.fault("catalog->postgres", "latency=300ms", "jitter=50ms")
@pytest.mark.fault("gateway->catalog", "down")
def test_body(seen_in_setup):
    assert seen_in_setup == CLEAN
    assert toxics() == {"catalog->postgres": (True, ["latency_downstream"]),
                        "gateway->catalog": (False, [])}

def test_after(sandbox):
    assert toxics() == CLEAN
""")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert proxy.list() == []


def test_a_failing_test_and_ctrl_c_still_remove_its_faults(pytester, log, proxy):
    pytester.makepyfile(test_fails=HELPERS + """
@pytest.mark.fault("catalog->postgres", "timeout=2s", stream="upstream", toxicity=0.5)
def test_fails():
    assert toxics()["catalog->postgres"] == (True, ["timeout_upstream"])
    assert False, "the body failed"
""")
    pytester.runpytest("-p", "no:randomly", "test_fails.py").assert_outcomes(failed=1)
    assert proxy.list() == []
    log.write_text("")
    pytester.makepyfile(test_interrupted=HELPERS + """
@pytest.mark.fault(service="catalog", action="pause")
@pytest.mark.fault("gateway->catalog", "down")
def test_interrupted():
    assert toxics()["gateway->catalog"] == (False, [])
    raise KeyboardInterrupt
""")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "test_interrupted.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert proxy.list() == []
    assert log.read_text().splitlines() == ["up", "pause catalog", "unpause catalog", "down"]


def test_container_faults_are_undone_and_marks_apply_top_to_bottom(pytester, log):
    pytester.makepyfile(HELPERS + """
@pytest.mark.fault(service="postgres", action="partition", network="public")
@pytest.mark.fault(service="catalog", action="stop")
@pytest.mark.fault(service="catalog", action="throttle", cpus=0.5)
def test_body(sandbox):
    pass
""")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    calls = [line for line in log.read_text().splitlines() if line not in ("up", "down")]
    assert calls == ["disconnect postgres", "stop catalog", "update catalog",  # applied
                     "update catalog", "start catalog", "connect postgres"]  # undone, newest first


@pytest.mark.parametrize(
    "mark, said",
    [
        ('"catalog->postgres", "latency=fast"', "'fast' is not an amount"),
        ('"catalog->postgres", "latency=1ms", "jiter=1ms"', "takes no attribute 'jiter'"),
        ('"catalog->redis", "down"', ("no link named 'catalog->redis' -- fix: use one of: "
                                      "catalog->postgres, gateway->catalog")),
        ('service="payments", action="pause"', "no service named 'payments'"),
        ('service="catalog", action="explode"', "unknown container action 'explode'"),
        ('"catalog->postgres"', "a link fault names the link and the fault"),
        ('"catalog->postgres", "down", speed=1', "unknown option speed="),
    ],
)
def test_a_bad_mark_is_one_clear_error_for_that_test(pytester, log, proxy, mark, said):
    pytester.makepyfile(f"""
import pytest

@pytest.mark.fault({mark})
def test_marked():
    pass

def test_other():
    pass
""")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1, passed=1)
    lines = [x for x in result.outlines if said in x]
    assert lines and all("@pytest.mark.fault" in x for x in lines), result.outlines
    assert proxy.list() == []


def test_a_run_starts_with_every_link_reset(pytester, log, proxy):
    proxy.add("gateway->catalog", parse_fault(["down"]))
    proxy.add("catalog->postgres", parse_fault(["latency=100ms"]))
    pytester.makepyfile(HELPERS + """
def test_starts_clean(sandbox):
    assert toxics() == CLEAN
""")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


class ResetRecorder(BaseHTTPRequestHandler):
    """A links' proxy API that only counts ``POST /reset``."""

    resets: ClassVar[list[str]] = []

    def do_POST(self):
        ResetRecorder.resets.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_reset_happens_once_per_run_not_once_per_worker(pytester, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ResetRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ResetRecorder.resets = []
    try:
        use_fake(pytester, monkeypatch, f"http://127.0.0.1:{server.server_port}")
        pytester.makepyfile("\n".join(f"def test_{i}(sandbox): pass" for i in range(6)))
        pytester.runpytest_subprocess("-n", "2", "-p", "no:randomly").assert_outcomes(passed=6)
    finally:
        server.shutdown()
        server.server_close()
    assert ResetRecorder.resets == ["/reset"]


def test_the_fault_lock_is_held_once_per_test_and_never_upgraded(tmp_path):
    lock = FaultLock(tmp_path / "faults.lock")
    # link_faults inside a marked test: held again, no deadlock
    with lock.hold(fcntl.LOCK_EX), lock.hold(fcntl.LOCK_EX):
        assert lock.mode == fcntl.LOCK_EX
    assert lock.mode is None
    with lock.hold(fcntl.LOCK_SH), pytest.raises(RuntimeError, match="held shared"), \
            lock.hold(fcntl.LOCK_EX):  # fmt: skip
        pass


def test_a_fault_test_waiting_for_the_lock_goes_before_later_shared_holders(tmp_path):
    import threading

    path = tmp_path / "faults.lock"
    order: list[str] = []
    first_holds, release_first = threading.Event(), threading.Event()

    def shared(name: str, hold_until: threading.Event | None = None) -> None:
        with FaultLock(path).hold(fcntl.LOCK_SH):
            order.append(name)
            if hold_until is not None:
                first_holds.set()
                hold_until.wait(10)

    def exclusive() -> None:
        with FaultLock(path).hold(fcntl.LOCK_EX):
            order.append("fault test")

    threads = [threading.Thread(target=shared, args=("first", release_first))]
    threads[0].start()
    assert first_holds.wait(10)
    threads.append(threading.Thread(target=exclusive))
    threads[1].start()
    # the fault test is waiting once it holds the turnstile: a later shared holder queues
    turnstile = open(f"{path}.turnstile", "a+")  # noqa: SIM115
    for _ in range(200):
        try:
            fcntl.flock(turnstile, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            threading.Event().wait(0.01)  # the waiter has not reached the turnstile yet
        except BlockingIOError:
            break
    else:
        raise AssertionError("the exclusive waiter never took the turnstile")
    turnstile.close()
    threads.append(threading.Thread(target=shared, args=("later",)))
    threads[2].start()
    release_first.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first", "fault test", "later"]
