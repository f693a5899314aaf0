"""One bounded poll loop for every ``wait_for``: a deadline, an interval, an injectable clock.

>>> poller = Poller()
>>> done, last, attempts = poller.until(lambda: (True, "seen"), within=5)
>>> done, last, attempts
(True, 'seen', 1)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


def _event_wait(seconds: float) -> None:
    threading.Event().wait(seconds)


@dataclass(frozen=True)
class Poller:
    """``clock`` and ``pause`` are ``time.monotonic`` and a wait; tests pass a fake pair."""

    interval: float = 0.25
    clock: Callable[[], float] = field(default=time.monotonic)
    pause: Callable[[float], None] = field(default=_event_wait)

    def until(self, check: Callable[[], tuple[bool, T]], within: float) -> tuple[bool, T, int]:
        """Call ``check`` until it answers ``(True, value)`` or ``within`` seconds passed;
        returns ``(done, last value, attempts)``. ``check`` runs at least once."""
        deadline = self.clock() + within
        attempts = 0
        while True:
            attempts += 1
            done, value = check()
            remaining = deadline - self.clock()
            if done or remaining <= 0:
                return done, value, attempts
            self.pause(min(self.interval, remaining))
