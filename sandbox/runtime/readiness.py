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
        while True:
            if self._abort.is_set():
                raise Aborted(self.service)
            target.reload()
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


def polling_script(command: list[str], interval: float, seconds: float) -> list[str]:
    """A shell loop that runs ``command`` every ``interval`` s inside the container until it
    succeeds (exit 0) or about ``seconds`` pass (exit 1).

    One ``docker exec`` per slice instead of one per try: an exec costs the daemon and
    runc tens of milliseconds of CPU, which a dozen services polled several times a second
    would take from the services starting up on a 2-core machine. The loop itself spawns
    only the check and ``sleep`` (no ``date``, no ``timeout``): every spawn is paid again
    in every container.

    >>> polling_script(["pg_isready", "-q"], 0.25, 3)[-1]
    'i=0; while :; do if pg_isready -q >/dev/null 2>&1; then exit 0; fi; i=$((i+1)); [ "$i" -ge 12 ] && exit 1; sleep 0.25; done'
    """
    quoted = " ".join(shlex.quote(c) for c in command)
    tries = max(1, round(seconds / interval))
    script = (
        f"i=0; while :; do if {quoted} >/dev/null 2>&1; then exit 0; fi; "
        f'i=$((i+1)); [ "$i" -ge {tries} ] && exit 1; sleep {interval:g}; done'
    )
    return ["/bin/sh", "-c", script]


class ExecHealthcheckWaitStrategy(ReadinessWaitStrategy):
    """The compose healthcheck test, polled inside the container by one ``docker exec``
    per slice of a few seconds (see ``polling_script``); between slices the shared loop
    checks that the container still runs, the abort flag and the deadline."""

    SLICE = 3.0  # seconds of in-container polling per exec
    TRY_INTERVAL = 0.25

    def __init__(self, service: str, healthcheck: Healthcheck, **kwargs: Any) -> None:
        super().__init__(service, **kwargs)
        self.with_poll_interval(0)  # the waiting happens inside the container
        # each try is bounded by the check's own timeout (curl -m, ssh-keyscan -T, ...);
        # the exec as a whole by the API client's timeout below
        self.command = polling_script(
            healthcheck_command(healthcheck.test), self.TRY_INTERVAL, self.SLICE
        )
        self._api = docker.from_env(
            timeout=self.SLICE + healthcheck.timeout + 10, version="1.41"
        ).api

    def describe(self) -> str:
        return "healthy"

    def check(self, container: Any) -> bool:
        return self.exec_succeeds(container, self.command)

    def exec_succeeds(self, container: Any, command: list[str]) -> bool:
        """True when ``command`` exits 0 in the running container (False while it is not
        running yet, or when the exec times out)."""
        if container.status != "running":
            if container.status == "created":
                self._abort.wait(0.1)
            return False
        try:
            exec_id = self._api.exec_create(container.id, command, stdout=True, stderr=True)
            self._api.exec_start(exec_id)
            return self._api.exec_inspect(exec_id).get("ExitCode") == 0
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            return False
        except docker.errors.APIError as e:
            if e.status_code == 409:  # not running any more: the loop reports the exit
                return False
            raise

    def close(self) -> None:
        self._api.close()
