"""moto's WSGI app behind a thin middleware that answers the emulator's health routes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from .seeding import make_client

StartResponse = Callable[..., Any]


class ReadinessCheck:
    """Ready once the seed is in and a GetParameter round trip gives back a seeded value.

    With an empty seed the round trip is a DescribeParameters call instead.
    """

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._seeded = threading.Event()
        self._probe: tuple[str, str] | None = None
        self._ssm: Any = None
        self._lock = threading.Lock()

    def mark_seeded(self, seed: Mapping[str, str]) -> None:
        """Record that seeding finished; the probe reads back the first name."""
        if seed:
            name = min(seed)
            self._probe = (name, seed[name])
        self._seeded.set()

    def __call__(self) -> tuple[bool, str]:
        if not self._seeded.is_set():
            return False, "seeding"
        with self._lock:
            if self._ssm is None:
                self._ssm = make_client("ssm", self._endpoint)
        try:
            if self._probe is None:
                self._ssm.describe_parameters(MaxResults=1)
                return True, "ok"
            name, expected = self._probe
            got = self._ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except (BotoCoreError, ClientError) as exc:
            return False, f"round trip failed: {exc}"
        return (True, "ok") if got == expected else (False, f"{name} reads back changed")


class EmulatorApp:
    """WSGI app: `/health/live` and `/health/ready` here, everything else to moto."""

    def __init__(self, moto_app: Callable[..., Iterable[bytes]], ready: ReadinessCheck) -> None:
        self._moto = moto_app
        self._ready = ready

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path in ("/health/live", "/health/ready"):
            ok, detail = (True, "ok") if path == "/health/live" else self._ready()
            body = json.dumps({"status": "ok" if ok else "unavailable", "detail": detail}).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"),
                                    ("Content-Length", str(len(body)))])
            return [body]
        return self._moto(environ, start_response)


def make_emulator_server(host: str, port: int) -> tuple[BaseWSGIServer, ReadinessCheck]:
    """A threaded werkzeug server of moto + health on `host:port` (port 0: a free one)."""
    server = make_server(host, port, app=None, threaded=True,  # type: ignore[arg-type]
                         request_handler=MotoRequestHandler)
    bound = server.server_address[1]
    ready = ReadinessCheck(f"http://127.0.0.1:{bound}")
    server.app = EmulatorApp(DomainDispatcherApplication(create_backend_app), ready)
    return server, ready
