"""Which runs are orphans: objects whose owner is gone and that nobody will clean up.

A run is an orphan when it was never marked complete as a detached run (the marker
volume) and its owner process on this host is gone: no such pid, or a pid whose start
time differs from the one recorded at `up` (the pid was reused). Runs owned by another
host are never judged here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sandbox.runtime import labels as L


class ProcessTable(Protocol):
    """Answers whether a process exists, and when it started."""

    def start_time(self, pid: int) -> str | None:
        """The process's start time as an opaque string; None when no such process."""


class ProcfsTable:
    """The host's processes through ``/proc`` (start time = field 22 of ``stat``)."""

    def __init__(self, proc: Path = Path("/proc")) -> None:
        self._proc = proc

    def start_time(self, pid: int) -> str | None:
        if pid <= 0:
            return None
        try:
            stat = (self._proc / str(pid) / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return None
        except OSError:
            return self._alive_without_procfs(pid)
        # the command name (field 2) may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rindex(")") + 2 :].split()
        return fields[19]

    @staticmethod
    def _alive_without_procfs(pid: int) -> str | None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""


def current_owner(table: ProcessTable | None = None, pid: int | None = None) -> L.Owner:
    """This process (or process ``pid`` of this host) as the owner of a run."""
    pid = os.getpid() if pid is None else pid
    return L.Owner(pid, L.this_host(), (table or ProcfsTable()).start_time(pid) or "")


@dataclass(frozen=True)
class RunInfo:
    """One run as seen from Docker: its labels and whether a detached `up` completed."""

    run_id: str
    labels: Mapping[str, str]
    completed: bool


def is_orphan(run: RunInfo, table: ProcessTable, host: str) -> bool:
    """The decision, without Docker."""
    if run.completed:
        return False
    if run.labels.get(L.OWNER_HOST) != host:
        return False
    try:
        pid = int(run.labels.get(L.OWNER_PID, ""))
    except ValueError:
        return True
    started = table.start_time(pid)
    if started is None:
        return True
    recorded = run.labels.get(L.OWNER_STARTED, "")
    return bool(recorded and started and recorded != started)
