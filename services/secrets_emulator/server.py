"""The emulator's HTTP server: AWS JSON 1.1 for its services, and its health routes.

A request is `POST /` with `X-Amz-Target: <prefix>.<Action>`, a JSON object body, and a
SigV4 `Authorization` header scoped to the target's service (its signature is not checked:
any credentials do, as in other AWS emulators). Everything a client can get wrong is
answered 4xx with AWS's error shape; `GET /health/live` and `GET /health/ready` answer
for Docker's health check.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.platform.aws_json import CONTENT_TYPE, AwsError, AwsUnreachable, SsmClient
from services.platform.logging import get_logger

from .parameter_store import ParameterStore
from .secrets_manager import SecretsManager
from .wire import REGION, Action, AwsFault, EmulatedService

MAX_BODY = 1 << 20
_SCOPE = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")


class ReadinessCheck:
    """Ready once the seed is in and a GetParameter round trip, by the client services use,
    gives back a seeded value (with an empty seed: answers ParameterNotFound)."""

    def __init__(self, endpoint: str) -> None:
        self._ssm = SsmClient(endpoint, REGION, "sandbox", "sandbox", timeout=2.0)
        self._seeded = threading.Event()
        self._probe: tuple[str, str] | None = None

    def mark_seeded(self, seed: Mapping[str, str]) -> None:
        """Record that seeding finished; the probe reads back the first name."""
        if seed:
            name = min(seed)
            self._probe = (name, seed[name])
        self._seeded.set()

    def __call__(self) -> tuple[bool, str]:
        if not self._seeded.is_set():
            return False, "seeding"
        name, expected = self._probe or ("/sandbox/readiness/never-written", None)
        try:
            got = self._ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except AwsError as exc:
            if expected is None and exc.code == "ParameterNotFound":
                return True, "ok"
            return False, f"round trip failed: {exc}"
        except AwsUnreachable as exc:
            return False, f"round trip failed: {exc}"
        return (True, "ok") if got == expected else (False, f"{name} reads back changed")


class Router:
    """`X-Amz-Target` to the action of one of the emulated services."""

    def __init__(self, services: Iterable[EmulatedService]) -> None:
        self._routes: dict[str, tuple[str, Action]] = {}
        for service in services:
            for action, handler in service.actions().items():
                self._routes[f"{service.target}.{action}"] = (service.signing_name, handler)

    def answer(self, target: str, authorization: str, body: bytes) -> dict[str, Any]:
        route = self._routes.get(target)
        if route is None:
            raise AwsFault("UnknownOperationException",
                           f"{target or 'no X-Amz-Target'}: not an operation this emulator serves")
        signing_name, handler = route
        scope = _SCOPE.match(authorization)
        if scope is None:
            raise AwsFault("MissingAuthenticationTokenException",
                           "Request is missing a SigV4 Authentication Token")
        if scope.group(1) != signing_name:
            raise AwsFault("InvalidSignatureException",
                           f"Credential should be scoped to correct service: '{signing_name}'.")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise AwsFault("SerializationException", "the body is not JSON") from None
        if not isinstance(payload, dict):
            raise AwsFault("SerializationException", "the body must be a JSON object")
        return handler(payload)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3 and the services' clients expect
    server: EmulatorServer

    def do_GET(self) -> None:
        if self.path in ("/health/live", "/health/ready"):
            ok, detail = (True, "ok") if self.path == "/health/live" else self.server.ready()
            self._send(200 if ok else 503,
                       {"status": "ok" if ok else "unavailable", "detail": detail},
                       "application/json")
        else:
            self._send(404, {"__type": "NotFound", "message": f"no route GET {self.path}"})

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self._send(411, {"__type": "LengthRequired", "message": "send a Content-Length"})
            return
        if int(length) > MAX_BODY:
            self.close_connection = True
            self._send(413, {"__type": "RequestEntityTooLarge",
                             "message": f"a request body is at most {MAX_BODY} bytes"})
            return
        body = self.rfile.read(int(length))
        if self.path != "/":
            self._send(404, {"__type": "UnknownOperationException",
                             "message": f"AWS JSON requests go to POST /, not {self.path}"})
            return
        try:
            answer = self.server.router.answer(self.headers.get("X-Amz-Target", ""),
                                               self.headers.get("Authorization", ""), body)
        except AwsFault as fault:
            self._send(fault.status, fault.body())
            return
        self._send(200, answer)

    def _send(self, status: int, doc: dict[str, Any], content_type: str = CONTENT_TYPE) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        get_logger().debug("secrets.request", line=format % args)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        super().__init__(address, Handler)
        self.router = router
        self.ready = ReadinessCheck(f"http://127.0.0.1:{self.server_address[1]}")


def make_emulator_server(host: str, port: int) -> tuple[EmulatorServer, ReadinessCheck]:
    """A threaded server of Parameter Store, Secrets Manager and health on `host:port`
    (port 0: a free one), and its readiness check."""
    server = EmulatorServer((host, port), Router([ParameterStore(), SecretsManager()]))
    return server, server.ready
