"""The links' proxy is filled through its REST API, as any Toxiproxy 2.x server takes it.

The proxy container carries its links as ``SANDBOX_LINKS_JSON`` (data for the runtime; no
server reads it). Once the API answers (``GET /version``), the runtime sends that JSON to
``POST /populate`` from inside the container (the proxy is on the private network only,
and the host reaches it through the gateway's console only once the gateway runs), then
the compose healthcheck (every link listed) decides readiness. The same call fills a
proxy again after a container fault restarted it empty.

>>> populate_command(8474)[-1].split()[-1]
'http://127.0.0.1:8474/populate'
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.errors import SandboxError
from sandbox.runtime.readiness import ExecHealthcheckWaitStrategy, polling_script, try_pauses
from sandbox.topology import Healthcheck

LINKS_VARIABLE = "SANDBOX_LINKS_JSON"
API_UP_SLICE = 3.0  # seconds of polling GET /version per exec, waited for


def api_up_command(api_port: int) -> list[str]:
    """Polls ``GET /version`` inside the container for a few seconds (exit 0 once it answers)."""
    probe = ["curl", "-fsS", "-m", "2", "-o", "/dev/null", f"http://127.0.0.1:{api_port}/version"]
    return polling_script(probe, try_pauses(API_UP_SLICE))


def populate_command(api_port: int) -> list[str]:
    """``POST /populate`` with the container's own ``SANDBOX_LINKS_JSON``; fails on non-2xx."""
    script = (f'curl -sS --fail-with-body -m 10 -X POST -H "Content-Type: application/json" '
              f'--data-binary "${LINKS_VARIABLE}" http://127.0.0.1:{api_port}/populate')
    return ["/bin/sh", "-c", script]


def _exec(api: Any, container_id: str, command: list[str]) -> tuple[int, str]:
    exec_id = api.exec_create(container_id, command, stdout=True, stderr=True)
    output = api.exec_start(exec_id) or b""
    return int(api.exec_inspect(exec_id).get("ExitCode") or 0), output.decode(errors="replace")


def populate(api: Any, container_id: str, service: str, api_port: int) -> None:
    """Send the links to the running proxy's ``POST /populate``; one-line error if refused."""
    code, output = _exec(api, container_id, populate_command(api_port))
    if code != 0:
        detail = " ".join(output.split())[:300] or f"curl exit {code}"
        raise SandboxError(
            f"the links proxy ({service}) refused its links: POST /populate: {detail}",
            f"check `sandbox logs {service}`; its image must serve Toxiproxy 2.x's API on "
            f"port {api_port} and have curl (SANDBOX_IMAGE_TOXIPROXY)",
        )


def repopulate(api: Any, container_id: str, service: str, api_port: int,
               timeout: float = 60.0) -> None:
    """After a restart: wait until the API answers (at most ``timeout`` s), then populate."""
    deadline = time.monotonic() + timeout
    while _exec(api, container_id, api_up_command(api_port))[0] != 0:
        if time.monotonic() > deadline:
            raise SandboxError(
                f"the links proxy ({service}) did not answer on port {api_port} within "
                f"{timeout:.0f}s after it restarted",
                f"check `sandbox logs {service}`",
            )
    populate(api, container_id, service, api_port)


class ProxyPopulateWaitStrategy(ExecHealthcheckWaitStrategy):
    """The proxy's readiness: its API answers, the runtime populates it once, then the
    compose healthcheck holds (every link is listed)."""

    def __init__(self, service: str, healthcheck: Healthcheck, api_port: int,
                 **kwargs: Any) -> None:
        super().__init__(service, healthcheck, **kwargs)
        self.api_port = api_port
        self._api_up = api_up_command(api_port)
        self.populated = False

    def describe(self) -> str:
        return "healthy" if self.populated else "answering (to populate)"

    def check(self, container: Any) -> bool:
        if not self.populated:
            if not self.exec_succeeds(container, self._api_up):
                return False
            populate(self._api, container.id, self.service, self.api_port)
            self.populated = True
        return super().check(container)
