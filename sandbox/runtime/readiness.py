"""Readiness as objects: a timeout, a poll interval and one shared poll loop.

ReadinessWaitStrategy.wait_until_ready(container)   the loop: fail fast on exit,
 ├── RunningWaitStrategy                             abort on request, time out
 ├── ExecHealthcheckWaitStrategy  the compose healthcheck test through `docker exec`
 └── ExitSuccessWaitStrategy      service_completed_successfully
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Sequence
from typing import Any

import docker
import requests
from testcontainers.core.waiting_utils import WaitStrategy

from sandbox.errors import ReadinessTimeout, ServiceExited
from sandbox.topology import Healthcheck

DEFAULT_TIMEOUT = 180.0
DEFAULT_INTERVAL = 0.2


class Aborted(Exception):
    """Another service failed or the user interrupted: stop waiting."""


def last_log_lines(container: Any, lines: int = 8) -> str:
    try:
        text = container.logs(tail=lines).decode(errors="replace")
    except docker.errors.DockerException:
        return ""
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())


class ReadinessWaitStrategy(WaitStrategy):
    """Polls ``check`` every ``interval`` seconds until it holds, at most ``timeout``
    seconds; raises ``ServiceExited`` at once when the container stops."""

    exits_ok = False
    status_every = 0.0  # seconds between reads of the container's state (0: every poll)

    def __init__(
        self,
        service: str,
        timeout: float = DEFAULT_TIMEOUT,
        interval: float = DEFAULT_INTERVAL,
        abort: threading.Event | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.with_startup_timeout(int(timeout)).with_poll_interval(interval)
        self._abort = abort or threading.Event()

    def check(self, container: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        return "ready"

    def wait_until_ready(self, container: Any) -> None:
        """``container``: a testcontainers container or a docker SDK container."""
        target = getattr(container, "get_wrapped_container", lambda: container)()
        deadline = time.monotonic() + self._startup_timeout
        read_at = -float("inf")
        while True:
            if self._abort.is_set():
                raise Aborted(self.service)
            if target.status != "running" or time.monotonic() - read_at >= self.status_every:
                target.reload()
                read_at = time.monotonic()
            if target.status in ("exited", "dead") and not self.exits_ok:
                code = target.attrs.get("State", {}).get("ExitCode")
                raise ServiceExited(
                    f"service {self.service} exited (code {code}) while waiting to be "
                    f"{self.describe()}; last log lines: {last_log_lines(target)}",
                    f"run `sandbox logs {self.service}` after fixing the service or its config",
                )
            if self.check(target):
                return
            if time.monotonic() > deadline:
                raise ReadinessTimeout(
                    f"service {self.service} not {self.describe()} after "
                    f"{self._startup_timeout:.0f}s; last log lines: {last_log_lines(target)}",
                    "check the service logs; raise SANDBOX_READY_TIMEOUT if it is only slow",
                )
            self._abort.wait(self._poll_interval)


class RunningWaitStrategy(ReadinessWaitStrategy):
    """``condition: service_started``: the container runs."""

    def describe(self) -> str:
        return "running"

    def check(self, container: Any) -> bool:
        return container.status == "running"


class ExitSuccessWaitStrategy(ReadinessWaitStrategy):
    """``condition: service_completed_successfully``: the container exited with 0."""

    exits_ok = True

    def describe(self) -> str:
        return "completed"

    def check(self, container: Any) -> bool:
        if container.status not in ("exited", "dead"):
            return False
        code = container.attrs["State"]["ExitCode"]
        if code != 0:
            raise ServiceExited(
                f"service {self.service} exited with code {code}; last log lines: "
                f"{last_log_lines(container)}",
                f"run `sandbox logs {self.service}`",
            )
        return True


def healthcheck_command(test: tuple[str, ...]) -> list[str]:
    """``("CMD", "a", "b")`` -> ``["a", "b"]``; ``("CMD-SHELL", s)`` -> ``["/bin/sh", "-c", s]``."""
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return list(test[1:])


RAMP = (0.25, 0.35, 0.5, 0.7)  # seconds between the first tries of a service's check
STEADY = 1.0  # seconds between tries after the ramp


def try_pauses(seconds: float, ramp: Sequence[float] = RAMP) -> list[float]:
    """The pauses between tries for about ``seconds`` of polling: ``ramp``, then one try a
    second. A fast service (a cache, a small server) is seen within a quarter second; a
    slow one is tried once a second, because every try spawns a process in its container
    and a few dozen of them a second take the CPU the services need to start on 2 cores
    (docs/benchmarks.md, "Startup").

    >>> try_pauses(4.8)
    [0.25, 0.35, 0.5, 0.7, 1.0, 1.0, 1.0]
    >>> try_pauses(3, ramp=())
    [1.0, 1.0, 1.0]
    """
    pauses = list(ramp)
    while sum(pauses) < seconds - 1e-9:
        pauses.append(STEADY)
    return pauses


def polling_script(command: list[str], pauses: Sequence[float]) -> list[str]:
    """A shell loop that runs ``command`` inside the container until it succeeds (exit 0),
    pausing ``pauses[i]`` seconds after the i-th failed try; exit 1 after the last try.

    The loop spawns only the check and ``sleep`` (no ``date``, no ``timeout``): every spawn
    is paid again in every container.

    >>> polling_script(["pg_isready", "-q"], [0.25, 1.0])[-1]
    'for s in 0.25 1; do if pg_isready -q >/dev/null 2>&1; then exit 0; fi; sleep "$s"; done; pg_isready -q >/dev/null 2>&1'
    """
    quoted = " ".join(shlex.quote(c) for c in command)
    listed = " ".join(f"{p:g}" for p in pauses)
    script = (
        f"for s in {listed}; do if {quoted} >/dev/null 2>&1; then exit 0; fi; "
        f'sleep "$s"; done; {quoted} >/dev/null 2>&1'
    )
    return ["/bin/sh", "-c", script]


class ExecHealthcheckWaitStrategy(ReadinessWaitStrategy):
    """The compose healthcheck test, polled inside the container (see ``polling_script``)
    by one detached ``docker exec`` per slice of ``SLICE`` seconds. The shared loop reads
    the exec's state every ``POLL`` seconds (a cheap inspect, no process spawned) and
    checks meanwhile that the container still runs, the abort flag and the deadline.

    One exec for a slice, not one per try: an exec costs the daemon and runc about 0.1 s
    of CPU, which a score of services polled several times a second would take from the
    services starting up on a 2-core machine."""

    SLICE = 30.0  # seconds of in-container polling per exec
    POLL = 0.2  # seconds between reads of the running exec's state
    status_every = 1.0  # the exec ends when the container does: its state is read seldom

    def __init__(self, service: str, healthcheck: Healthcheck, **kwargs: Any) -> None:
        super().__init__(service, **kwargs)
        self.with_poll_interval(self.POLL)
        self.once = healthcheck_command(healthcheck.test)
        # each try is bounded by the check's own timeout (curl -m, ssh-keyscan -T, ...)
        self.first_slice = polling_script(self.once, try_pauses(self.SLICE))
        self.next_slice = polling_script(self.once, try_pauses(self.SLICE, ramp=()))
        self._exec: Any = None  # the running slice's exec, as exec_create gave it
        self._ramped = False  # the first slice ramps up; later ones try once a second
        self._api = docker.from_env(timeout=healthcheck.timeout + 10, version="1.41").api

    def describe(self) -> str:
        return "healthy"

    def check(self, container: Any) -> bool:
        """True once a slice's loop exited 0; starts the next slice when none runs."""
        if not self._running(container):
            return False
        if self._exec is None:
            command = self.next_slice if self._ramped else self.first_slice
            self._exec = self._exec_start(container, command, detach=True)
            self._ramped = True
            return False
        try:
            info = self._api.exec_inspect(self._exec)
        except docker.errors.NotFound:  # the container went away with its exec
            info = {"Running": False, "ExitCode": 1}
        if info.get("Running") or info.get("ExitCode") is None:
            return False
        self._exec = None
        if info["ExitCode"] == 0:
            return True
        container.reload()  # a loop that gave up: is the container itself still there?
        return False

    def exec_succeeds(self, container: Any, command: list[str]) -> bool:
        """True when ``command`` exits 0 in the running container (False while it is not
        running yet, or when the exec times out); waits for it to end."""
        if not self._running(container):
            return False
        exec_id = self._exec_start(container, command, detach=False)
        return exec_id is not None and self._api.exec_inspect(exec_id).get("ExitCode") == 0

    def _running(self, container: Any) -> bool:
        if container.status == "created":  # starting: look again soon
            self._abort.wait(0.1)
        return container.status == "running"

    def _exec_start(self, container: Any, command: list[str], detach: bool) -> Any:
        """The exec of ``command``, started (and, unless ``detach``, ended); None when the
        daemon timed out or the container stopped meanwhile."""
        try:
            exec_id = self._api.exec_create(container.id, command, stdout=not detach,
                                            stderr=not detach)
            self._api.exec_start(exec_id, detach=detach)
            return exec_id
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            return None
        except docker.errors.APIError as e:
            if e.status_code == 409:  # not running any more: the loop reports the exit
                return None
            raise

    def close(self) -> None:
        self._api.close()
