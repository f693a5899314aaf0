"""Progress reporting: one small protocol, a terminal implementation and a silent one."""

from __future__ import annotations

import sys
import threading
import time
from typing import Protocol, TextIO


class Progress(Protocol):
    """Receives progress of long work (image builds, container starts, teardown)."""

    def step(self, subject: str, message: str) -> None:
        """``subject`` (an image or service name) reached a new step described by ``message``."""

    def done(self, subject: str, message: str = "done") -> None:
        """``subject`` finished successfully."""

    def fail(self, subject: str, message: str) -> None:
        """``subject`` failed."""


class SilentProgress:
    """Discards everything (library use, tests)."""

    def step(self, subject: str, message: str) -> None:
        pass

    def done(self, subject: str, message: str = "done") -> None:
        pass

    def fail(self, subject: str, message: str) -> None:
        pass


class ConsoleProgress:
    """Prints one line per event to stderr, with the time since it was created.

    >>> p = ConsoleProgress(stream=sys.stdout, clock=lambda: 0.0)
    >>> p.done("postgres", "healthy")
    [  0.0s] postgres: healthy
    """

    def __init__(self, stream: TextIO | None = None, clock=time.monotonic) -> None:
        self._stream = stream or sys.stderr
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()

    def _emit(self, subject: str, message: str) -> None:
        with self._lock:
            self._stream.write(f"[{self._clock() - self._t0:5.1f}s] {subject}: {message}\n")
            self._stream.flush()

    def step(self, subject: str, message: str) -> None:
        self._emit(subject, message)

    def done(self, subject: str, message: str = "done") -> None:
        self._emit(subject, message)

    def fail(self, subject: str, message: str) -> None:
        self._emit(subject, f"FAILED: {message}")
