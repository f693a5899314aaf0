"""The failure throttles and the nested-group graph logic."""

from __future__ import annotations

from services.auth.rbac import groups_of, would_cycle
from services.auth.throttle import (
    LOGIN_USER_FAILURES,
    LOGIN_USER_LOCKOUT_S,
    LOGIN_USER_WINDOW_S,
    FailureThrottle,
    login_throttles,
)


def test_failures_lock_after_the_limit_within_the_window() -> None:
    now = [0.0]
    t = FailureThrottle(max_failures=3, window_s=10, lockout_s=30, clock=lambda: now[0])
    t.fail("k")
    now[0] = 5
    t.fail("k")
    now[0] = 11            # the first failure left the window
    t.fail("k")
    assert t.retry_after("k") is None
    t.fail("k")
    assert t.retry_after("k") == 30
    now[0] = 40.5
    assert t.retry_after("k") == 1
    now[0] = 41
    assert t.retry_after("k") is None
    assert t.retry_after("other") is None


def test_success_forgets_and_memory_stays_bounded() -> None:
    t = FailureThrottle(max_failures=2, window_s=10, lockout_s=30, max_keys=100)
    t.fail("k")
    t.succeed("k")
    t.fail("k")
    assert t.retry_after("k") is None
    for i in range(1000):
        t.fail(f"a{i}")
    assert len(t._entries) <= 100


def test_the_stated_login_numbers() -> None:
    assert (LOGIN_USER_FAILURES, LOGIN_USER_WINDOW_S, LOGIN_USER_LOCKOUT_S) == (5, 300, 300)
    users, addresses = login_throttles()
    assert users.max_failures == 5 and addresses.max_failures == 50


def test_nesting_cycles_are_found_at_any_depth() -> None:
    edges = [("a", "b"), ("b", "c"), ("x", "c")]
    assert would_cycle(edges, "c", "a") and would_cycle(edges, "c", "b")
    assert would_cycle(edges, "a", "a")
    assert not would_cycle(edges, "a", "c") and not would_cycle(edges, "x", "a")
    assert groups_of(["c"], edges) == {"a", "b", "c", "x"}
    assert groups_of(["a"], [("a", "b"), ("b", "a")]) == {"a", "b"}  # terminates on a cycle
