"""The reference Toxiproxy 2.12 server and CLI, for the differential tests.

Found at ``../shared/reference/toxiproxy-2.12.0`` from the repository root, or where
``TOXIPROXY_REFERENCE_DIR`` says. Tests call ``reference_dir()``, which skips them with the
reason when the build is absent. Nothing outside the tests depends on it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.toxiproxy.netutil import ROOT, free_port

DEFAULT_DIR = ROOT.parent / "shared" / "reference" / "toxiproxy-2.12.0"
REQUEST_ID = re.compile(r"[0-9a-v]{20}\Z")


def reference_dir() -> Path:
    """The directory holding ``toxiproxy-server`` and ``toxiproxy-cli``; skips if absent."""
    where = Path(os.environ.get("TOXIPROXY_REFERENCE_DIR") or DEFAULT_DIR)
    missing = [n for n in ("toxiproxy-server", "toxiproxy-cli") if not (where / n).is_file()]
    if missing:
        pytest.skip(
            f"the reference Toxiproxy server is not at ../shared/reference/toxiproxy-2.12.0: "
            f"{where} has no {', '.join(missing)} (set TOXIPROXY_REFERENCE_DIR to use another)"
        )
    return where


def wait_until_ready(url: str, process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """Poll ``GET /version`` until it answers 200 (the readiness check; no sleeps)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
            try:
                if client.get(f"{url}/version").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)  # the poll interval of the readiness loop
    raise TimeoutError(f"{url} did not answer GET /version within {timeout} s")


class ReferenceServer:
    """The reference ``toxiproxy-server`` on 127.0.0.1 and a free port."""

    def __init__(self, *args: str) -> None:
        binary = reference_dir() / "toxiproxy-server"
        for attempt in range(3):  # a free port can be taken between the check and the bind
            self.port = free_port()
            self.process = subprocess.Popen(
                [str(binary), "-host", "127.0.0.1", "-port", str(self.port), *args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_until_ready(self.url, self.process)
                return
            except RuntimeError:
                if attempt == 2:
                    raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_cli(api_port: int, *args: str) -> tuple[int, str, str]:
    """``toxiproxy-cli -h 127.0.0.1:PORT args...``: exit code, stdout, stderr."""
    binary = reference_dir() / "toxiproxy-cli"
    result = subprocess.run(  # noqa: PLW1510 -- the exit code is compared
        [str(binary), "-h", f"http://127.0.0.1:{api_port}", *args],
        capture_output=True,
        text=True,
        timeout=20,
    )
    return result.returncode, result.stdout, result.stderr
