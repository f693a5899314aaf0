"""The orphan decision, with a fake process table."""

from sandbox.runtime import labels as L
from sandbox.runtime.orphans import ProcfsTable, RunInfo, current_owner, is_orphan


class FakeTable:
    """pid -> start time; absent pids do not exist."""

    def __init__(self, procs: dict[int, str]) -> None:
        self.procs = procs

    def start_time(self, pid: int) -> str | None:
        return self.procs.get(pid)


def run(pid="100", host="here", started="500", completed=False) -> RunInfo:
    labels = {L.OWNER_PID: pid, L.OWNER_HOST: host, L.OWNER_STARTED: started}
    return RunInfo("r1", labels, completed)


def test_live_owner_is_not_orphan():
    assert not is_orphan(run(), FakeTable({100: "500"}), "here")


def test_dead_owner_is_orphan():
    assert is_orphan(run(), FakeTable({}), "here")


def test_reused_pid_is_orphan():
    assert is_orphan(run(), FakeTable({100: "999"}), "here")


def test_completed_detached_run_is_never_orphan():
    assert not is_orphan(run(completed=True), FakeTable({}), "here")


def test_other_hosts_runs_are_not_judged():
    assert not is_orphan(run(host="elsewhere"), FakeTable({}), "here")


def test_garbled_pid_is_orphan():
    assert is_orphan(run(pid="x"), FakeTable({}), "here")


def test_procfs_sees_this_process_and_not_a_dead_one(tmp_path):
    owner = current_owner()
    table = ProcfsTable()
    assert table.start_time(owner.pid) == owner.started != ""
    assert table.start_time(2**22 + 7) is None
    (tmp_path / "5").mkdir()
    (tmp_path / "5" / "stat").write_text("5 (a (b) c) S " + " ".join(str(i) for i in range(4, 30)))
    assert ProcfsTable(tmp_path).start_time(5) == "22"
