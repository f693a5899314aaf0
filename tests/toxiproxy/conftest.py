"""Fixtures: the server as users run it (``python -m sandbox.toxiproxy`` in a subprocess,
ephemeral ports on 127.0.0.1), an echo server and API clients.

``TOXIPROXY_URL=http://127.0.0.1:8474`` runs the same tests against a server already
running there instead (the official one, to check that the API tests hold for both).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.toxiproxy.differential import Side
from tests.toxiproxy.netutil import EchoServer, ServerProcess
from tests.toxiproxy.reference import ReferenceServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fidelity: timing and byte-stream checks of the proxy (slower, real sockets)"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many requests were compared with the reference Toxiproxy (differential tests)."""
    differential = sys.modules.get("tests.toxiproxy.differential")
    if differential is not None and differential.comparisons:
        terminalreporter.write_line(
            f"toxiproxy differential: {differential.comparisons} comparisons with the reference"
        )


class ExternalServer:
    """A server this test session did not start."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.port = urlsplit(url).port or 8474


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess | ExternalServer]:
    if os.environ.get("TOXIPROXY_URL"):
        yield ExternalServer(os.environ["TOXIPROXY_URL"])
        return
    proc = ServerProcess()
    yield proc
    proc.stop()


@pytest.fixture
def api(server: ServerProcess | ExternalServer) -> Iterator[httpx.Client]:
    """A raw HTTP client of the API; every proxy is deleted after the test."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
        for name in client.get("/proxies").json():
            client.delete(f"/proxies/{name}")


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as srv:
        yield srv


# --- the differential tests: ours beside the reference Toxiproxy -----------------------
@pytest.fixture(scope="module")
def reference() -> Iterator[ReferenceServer]:
    server = ReferenceServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ours(reference: ReferenceServer) -> Iterator[ServerProcess]:
    server = ServerProcess()
    yield server
    server.stop()


@pytest.fixture
def sides(ours: ServerProcess, reference: ReferenceServer,
          echo: EchoServer) -> Iterator[list[Side]]:
    """Ours first, then the reference; every proxy is deleted on both after the test."""
    both = [Side("ours", ours.url, echo.upstream), Side("reference", reference.url, echo.upstream)]
    yield both
    for side in both:
        side.delete_all()
        side.close()
