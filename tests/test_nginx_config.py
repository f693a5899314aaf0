"""The gateway's nginx config, run for real on 127.0.0.1 against a fake auth and backend.

Skipped when no nginx binary is installed. The template is rendered the way the image
renders it (`${PRIVATE_SUBNET}` and the `${<SERVICE>_UPSTREAM}` links), then the test-only changes are: upstream hosts
point at the fake server, the listen port is ephemeral, and paths go to a temp dir.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

NGINX_DIR = Path(__file__).resolve().parents[1] / "compose" / "nginx"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="no nginx binary on this machine")

UPSTREAMS = ("AUTH_UPSTREAM", "MONOLITH_UPSTREAM", "CATALOG_UPSTREAM", "PAYMENTS_UPSTREAM",
             "WEBHOOKS_UPSTREAM")
GOOD_KEY, GOOD_TOKEN = "good-key", "good-token"
DOWN_KEY = "db-down-key"
PROBLEM = "application/problem+json"


@dataclass
class FakeUpstream:
    """Plays auth (`/internal/verify`, `/health/ready`, token) and every backend service."""

    verify_calls: list[dict[str, str]] = field(default_factory=list)
    requests: list[dict[str, object]] = field(default_factory=list)


def _handler(state: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.path == "/internal/verify" and "x-original-uri" in headers:
                state.verify_calls.append(headers)
                if headers.get("x-api-key") == DOWN_KEY:
                    return self._send(503, {"status": 503})
                if (headers.get("x-api-key") == GOOD_KEY
                        and headers.get("authorization", "").startswith(f"Bearer {GOOD_TOKEN}")):
                    return self._send(200, {}, {"X-User-Id": "user-1", "X-Client-Id": "client-1",
                                                "X-User-Roles": "customer,admin"})
                return self._send(401, {"status": 401}, {"WWW-Authenticate": "Bearer"})
            if self.path == "/health/ready":
                return self._send(200, {"status": "ok"})
            state.requests.append({"method": self.command, "path": self.path,
                                   "headers": headers, "body_length": len(body)})
            return self._send(200, {"path": self.path, "headers": headers})

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Handler


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gateway:
    """A throwaway nginx running the rendered gateway config."""

    url: str
    upstream: FakeUpstream
    access_log: Path


def render(tmp: Path, subnet: str, port: int, upstream_port: int, dead_port: int) -> Path:
    """Render the template as the image does, then apply the test-only changes."""
    text = (NGINX_DIR / "gateway.conf.template").read_text()
    templated = set(re.findall(r"\$\{(\w+)\}", text))
    assert templated == {"PRIVATE_SUBNET", *UPSTREAMS}, "only these are templated (entrypoint.sh)"
    text = text.replace("${PRIVATE_SUBNET}", subnet)
    for name in UPSTREAMS:  # the links, as the runtime sets them; here the fake upstream
        dead = name == "WEBHOOKS_UPSTREAM"
        text = text.replace(f"${{{name}}}", f"127.0.0.1:{dead_port if dead else upstream_port}")
    text = text.replace("listen 8080 default_server;", f"listen 127.0.0.1:{port} default_server;")
    text = re.sub(r"listen (9090|9093|15672|8474);",
                  lambda m: f"listen 127.0.0.1:{_free_port()};", text)
    text = text.replace("/var/lib/nginx/auth-cache", str(tmp / "auth-cache"))
    temp_paths = "".join(f"{name}_temp_path {tmp / name};\n"
                         for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "gateway.conf").write_text(temp_paths + text)
    shutil.copy(NGINX_DIR / "nginx.conf", tmp / "nginx.conf")
    return tmp / "nginx.conf"


def _nginx_cmd(tmp: Path, conf: Path, *extra: str) -> list[str]:
    globals_ = f"pid {tmp / 'nginx.pid'};" + (" user root;" if os.geteuid() == 0 else "")
    return [str(NGINX), "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf),
            "-g", globals_, *extra]


@contextmanager
def running_gateway(tmp: Path, subnet: str) -> Iterator[Gateway]:
    """Start the fake upstream and nginx; always stop both."""
    state = FakeUpstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = _free_port()
    conf = render(tmp, subnet, port, server.server_address[1], _free_port())
    log_path = tmp / "access.log"
    proc = None
    try:
        check = subprocess.run(_nginx_cmd(tmp, conf, "-t"), capture_output=True, text=True,
                               check=False, timeout=30)
        assert check.returncode == 0, check.stderr
        with log_path.open("wb") as log:
            proc = subprocess.Popen(_nginx_cmd(tmp, conf), stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, (tmp / "error.log").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nginx did not answer /healthz within 10 s"
            time.sleep(0.02)
        yield Gateway(url=url, upstream=state, access_log=log_path)
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("gateway"), "10.255.255.0/24") as gw:
        yield gw


def _auth(key: str = GOOD_KEY, token: str = GOOD_TOKEN) -> dict[str, str]:
    return {"X-Api-Key": key, "Authorization": f"Bearer {token}"}


def _assert_problem(resp: httpx.Response, status: int) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]


def test_no_api_key_is_401_problem(gateway: Gateway) -> None:
    resp = httpx.get(f"{gateway.url}/v1/orders/1")
    _assert_problem(resp, 401)
    assert resp.headers.get_list("www-authenticate")
    assert all(r["path"] != "/v1/orders/1" for r in gateway.upstream.requests)


def test_bad_jwt_is_401_problem(gateway: Gateway) -> None:
    resp = httpx.get(f"{gateway.url}/v1/products", headers=_auth(token="forged.jwt.value"))
    _assert_problem(resp, 401)


def test_verified_identity_replaces_forged_headers(gateway: Gateway) -> None:
    forged = {**_auth(), "X-User-Id": "attacker", "X-User-Roles": "admin",
              "X-Client-Id": "other", "X-User-Email": "a@b.c", "X-Request-Id": "req-123"}
    resp = httpx.get(f"{gateway.url}/v1/customers/me", headers=forged)
    assert resp.status_code == 200, resp.text
    seen = resp.json()["headers"]
    assert seen["x-user-id"] == "user-1"
    assert seen["x-client-id"] == "client-1"
    assert seen["x-user-roles"] == "customer,admin"
    assert "x-user-email" not in seen
    assert seen["x-request-id"] == "req-123" and resp.headers["x-request-id"] == "req-123"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["x-trace-id"])


def test_traceparent_sets_the_trace_id(gateway: Gateway) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    resp = httpx.get(f"{gateway.url}/v1/payments?order_id=1",
                     headers={**_auth(), "traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert resp.json()["headers"]["x-trace-id"] == trace


def test_verify_answers_are_cached_per_key_and_token(gateway: Gateway) -> None:
    headers = _auth(token=f"{GOOD_TOKEN}-{uuid.uuid4().hex}")
    before = len(gateway.upstream.verify_calls)
    first = httpx.get(f"{gateway.url}/v1/products/a", headers=headers)
    second = httpx.get(f"{gateway.url}/v1/products/b", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json()["headers"]["x-user-id"] == "user-1"   # identity survives a cache hit
    assert len(gateway.upstream.verify_calls) - before == 1
    other = httpx.get(f"{gateway.url}/v1/products/c", headers=_auth(token=f"{GOOD_TOKEN}-x2"))
    assert other.status_code == 200
    assert len(gateway.upstream.verify_calls) - before == 2      # another token, another check


def test_public_routes_need_no_token(gateway: Gateway) -> None:
    token = httpx.post(f"{gateway.url}/v1/auth/token", headers={"X-Api-Key": "k"},
                       json={"username": "u", "password": "p"})
    assert token.status_code == 200
    assert token.json()["headers"]["x-api-key"] == "k"
    assert httpx.get(f"{gateway.url}/.well-known/jwks.json").status_code == 200


def test_internal_is_403_from_outside_the_private_subnet(gateway: Gateway) -> None:
    _assert_problem(httpx.get(f"{gateway.url}/internal/products/SKU-1"), 403)
    _assert_problem(httpx.get(f"{gateway.url}/internal/verify", headers=_auth()), 403)


def test_unreachable_upstream_is_503_problem_worth_a_retry(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/v1/webhooks/deliveries", headers=_auth())
    _assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"


def test_auth_failure_is_503_problem(gateway: Gateway) -> None:
    _assert_problem(httpx.get(f"{gateway.url}/v1/orders", headers=_auth(key=DOWN_KEY)), 503)


def test_unknown_route_and_large_body_are_problems(gateway: Gateway) -> None:
    _assert_problem(httpx.get(f"{gateway.url}/nothing-here"), 404)
    big = httpx.post(f"{gateway.url}/v1/orders", headers=_auth(), content=b"x" * (2 << 20))
    _assert_problem(big, 413)


def test_access_log_is_json_lines(gateway: Gateway) -> None:
    httpx.get(f"{gateway.url}/v1/orders/42", headers={**_auth(), "X-Request-Id": "log-check"})
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in gateway.access_log.read_text().splitlines()
                 if line.startswith("{")]
        match = [doc for doc in lines if doc["request_id"] == "log-check"]
        if match or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert match, "no access log line for the request"
    assert match[0]["status"] == 200 and match[0]["user_id"] == "user-1"
    assert match[0]["service"] == "gateway" and match[0]["uri"] == "/v1/orders/42"


def test_internal_is_open_to_the_private_subnet(tmp_path: Path) -> None:
    with running_gateway(tmp_path, "127.0.0.0/8") as gw:
        resp = httpx.get(f"{gw.url}/internal/products/SKU-1",
                         headers={"X-User-Id": "forged"})
        assert resp.status_code == 200
        assert resp.json()["path"] == "/internal/products/SKU-1"
        assert "x-user-id" not in resp.json()["headers"]
