"""Failure throttles kept in memory: N failures within a window lock a key for a while.

Used for the login lockout (per username and per address, on POST /v1/auth/token) and for
the per-address failure throttle of /internal/verify, which answers before any database
lookup so that rotating bogus keys cannot flood auth's database. Memory is bounded: past
`max_keys` tracked keys, the oldest are dropped.

>>> t = FailureThrottle(max_failures=2, window_s=60, lockout_s=30, clock=lambda: 100.0)
>>> t.fail("1.2.3.4"); t.retry_after("1.2.3.4")
>>> t.fail("1.2.3.4"); t.retry_after("1.2.3.4")
30
"""

from __future__ import annotations

import math
import os
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

LOGIN_USER_FAILURES, LOGIN_USER_WINDOW_S, LOGIN_USER_LOCKOUT_S = 5, 300, 300
"""POST /v1/auth/token: 5 failed logins of one username within 5 min lock it for 5 min."""
LOGIN_ADDRESS_FAILURES, LOGIN_ADDRESS_WINDOW_S, LOGIN_ADDRESS_LOCKOUT_S = 50, 300, 300
"""POST /v1/auth/token: 50 failed logins from one address to one client within 5 min lock it 5 min."""
VERIFY_ADDRESS_FAILURES, VERIFY_ADDRESS_WINDOW_S, VERIFY_ADDRESS_LOCKOUT_S = 300, 60, 60
"""/internal/verify: 300 refused requests from one address within 1 min block it for 1 min."""


@dataclass
class _Entry:
    failures: deque[float]
    locked_until: float = 0.0


class FailureThrottle:
    """Counts failures per key in a sliding window; a key at `max_failures` is locked."""

    def __init__(self, *, max_failures: int, window_s: float, lockout_s: float,
                 max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self._max_keys = max_keys
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it is not locked."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        left = entry.locked_until - self._clock()
        return max(1, math.ceil(left)) if left > 0 else None

    def fail(self, key: str) -> None:
        """Count one failure of `key`; lock it when the window holds `max_failures`."""
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(deque())
            if len(self._entries) > self._max_keys:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        entry.failures.append(now)
        while entry.failures and entry.failures[0] <= now - self.window_s:
            entry.failures.popleft()
        if len(entry.failures) >= self.max_failures:
            entry.locked_until = now + self.lockout_s
            entry.failures.clear()

    def succeed(self, key: str) -> None:
        """Forget the failures of `key` (a successful login)."""
        self._entries.pop(key, None)


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def login_throttles() -> tuple[FailureThrottle, FailureThrottle]:
    """(per username, per address) throttles of POST /v1/auth/token."""
    return (FailureThrottle(max_failures=_env_int("AUTH_LOGIN_USER_FAILURES", LOGIN_USER_FAILURES),
                            window_s=LOGIN_USER_WINDOW_S, lockout_s=LOGIN_USER_LOCKOUT_S),
            FailureThrottle(max_failures=_env_int("AUTH_LOGIN_ADDRESS_FAILURES",
                                                  LOGIN_ADDRESS_FAILURES),
                            window_s=LOGIN_ADDRESS_WINDOW_S, lockout_s=LOGIN_ADDRESS_LOCKOUT_S))


def verify_throttle() -> FailureThrottle:
    """The per-address failure throttle of /internal/verify."""
    return FailureThrottle(max_failures=_env_int("AUTH_VERIFY_ADDRESS_FAILURES",
                                                 VERIFY_ADDRESS_FAILURES),
                           window_s=VERIFY_ADDRESS_WINDOW_S, lockout_s=VERIFY_ADDRESS_LOCKOUT_S)
