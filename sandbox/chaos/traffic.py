"""Requests at a steady rate, each bounded by a deadline, recorded as outcomes.

``SteadyTraffic`` starts one request every ``1/rate`` seconds, whatever the previous
ones are doing (an open workload: a slow system does not slow the load down), with at
most ``max_in_flight`` requests outstanding. A request that cannot start because that
many are in flight is recorded as ``refused`` rather than queued, so the rate stays
honest and the count stays bounded.

>>> with SteadyTraffic(send_one, rate=4, deadline=10) as traffic:   # doctest: +SKIP
...     time.sleep(3)                                               # traffic runs meanwhile
>>> [o.status for o in traffic.outcomes]                            # doctest: +SKIP
[201, 201, 503, ...]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Self

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Outcome:
    """One request: when it started (monotonic s), how long it took, and its answer.

    ``status`` is None when there was no HTTP answer (``error`` says why: a transport
    error, or ``deadline`` when the deadline passed first).
    """

    started: float
    elapsed: float
    status: int | None
    content_type: str = ""
    error: str | None = None
    body: Any = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def is_problem(self) -> bool:
        return self.content_type.split(";")[0].strip() == PROBLEM_JSON

    def describe(self) -> str:
        answer = f"{self.status} {self.content_type}" if self.status is not None else self.error
        return f"{answer} after {self.elapsed * 1000:.0f} ms"


# a sender makes one request (its own deadline set as the client's timeout) and returns
# (status, content type, parsed body or None)
Sender = Callable[[], tuple[int, str, Any]]


class SteadyTraffic:
    """Send with ``send`` at ``rate`` per second in the background until stopped."""

    def __init__(
        self,
        send: Sender,
        rate: float,
        deadline: float,
        max_in_flight: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        self.send = send
        self.rate = rate
        self.deadline = deadline
        self.max_in_flight = max_in_flight or max(1, int(rate * deadline) + 1)
        self.clock = clock
        self.outcomes: list[Outcome] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(self.max_in_flight, thread_name_prefix="traffic")
        self._ticker: threading.Thread | None = None

    def _one(self) -> None:
        started = self.clock()
        try:
            status, content_type, body = self.send()
            outcome = Outcome(started, self.clock() - started, status, content_type, body=body)
        except Exception as exc:  # noqa: BLE001 - every failure is an outcome to judge
            error = "deadline" if "timeout" in type(exc).__name__.lower() else type(exc).__name__
            outcome = Outcome(started, self.clock() - started, None, error=f"{error}: {exc}")
        with self._lock:
            self.outcomes.append(outcome)
            self._in_flight -= 1

    def _tick(self) -> None:
        period = 1.0 / self.rate
        next_at = self.clock()
        while not self._stop.is_set():
            with self._lock:
                full = self._in_flight >= self.max_in_flight
                if not full:
                    self._in_flight += 1
            if full:
                self.refused += 1
            else:
                self._pool.submit(self._one)
            next_at += period
            self._stop.wait(max(0.0, next_at - self.clock()))

    def start(self) -> Self:
        self._ticker = threading.Thread(target=self._tick, name="traffic-ticker", daemon=True)
        self._ticker.start()
        return self

    def stop(self) -> list[Outcome]:
        """Stop sending, wait for the requests in flight (each ends by its deadline)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._pool.shutdown(wait=True)
        with self._lock:
            return sorted(self.outcomes, key=lambda o: o.started)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def between(outcomes: list[Outcome], start: float, end: float) -> list[Outcome]:
    """The outcomes of requests that started at or after ``start`` and ended by ``end``."""
    return [o for o in outcomes if o.started >= start and o.started + o.elapsed <= end]
