"""Start every service as soon as its dependencies meet their conditions, in parallel.

Each service has a thread: wait for its dependencies (``service_started`` -> started,
otherwise -> ready), ``start(name)``, mark started, ``wait_ready(name)``, mark ready.
The first failure aborts the others; ``run`` re-raises it once every thread ended.

>>> order = []
>>> deps = {"db": {}, "app": {"db": "service_healthy"}}
>>> StartScheduler(deps, order.append, lambda n: None).run()
>>> order
['db', 'app']
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

STARTED, READY = "started", "ready"


class StartScheduler:
    """Dependency-gated parallel start; ``abort`` (shared with the wait strategies)
    stops everyone."""

    def __init__(
        self,
        depends_on: Mapping[str, Mapping[str, str]],
        start: Callable[[str], None],
        wait_ready: Callable[[str], None],
        abort: threading.Event | None = None,
    ) -> None:
        self._deps = depends_on
        self._start = start
        self._wait_ready = wait_ready
        self.abort = abort or threading.Event()
        self._cond = threading.Condition()
        self._state: dict[str, str] = {}
        self._error: BaseException | None = None

    def _satisfied(self, name: str) -> bool:
        for dep, condition in self._deps[name].items():
            reached = self._state.get(dep)
            if reached is None or (condition != "service_started" and reached != READY):
                return False
        return True

    def _mark(self, name: str, state: str) -> None:
        with self._cond:
            self._state[name] = state
            self._cond.notify_all()

    def _worker(self, name: str) -> None:
        try:
            with self._cond:
                self._cond.wait_for(lambda: self.abort.is_set() or self._satisfied(name))
            if self.abort.is_set():
                return
            self._start(name)
            self._mark(name, STARTED)
            self._wait_ready(name)
            self._mark(name, READY)
        except BaseException as e:  # noqa: BLE001 - the first one is re-raised by run()
            with self._cond:
                if self._error is None and not self.abort.is_set():
                    self._error = e
                self.abort.set()
                self._cond.notify_all()

    def stop(self) -> None:
        """Ask every thread to stop at its next step."""
        with self._cond:
            self.abort.set()
            self._cond.notify_all()

    def run(self) -> None:
        """Start all; returns when all are ready; raises the first failure. On
        KeyboardInterrupt the threads are stopped and joined before it propagates."""
        threads = [
            threading.Thread(target=self._worker, args=(n,), name=f"start-{n}", daemon=True)
            for n in self._deps
        ]
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except BaseException:
            self.stop()
            for t in threads:
                if t.ident is not None:
                    t.join(30)
            raise
        if self._error is not None:
            raise self._error
