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
# the gateway image's own nginx, unpacked by install.sh (sandbox/images/host_nginx.py),
# else one installed on this host
UNPACKED = Path(__file__).resolve().parents[1] / ".venv" / "nginx"
NGINX = next((str(p) for p in (UNPACKED / "usr/sbin/nginx", shutil.which("nginx"),
                                "/usr/sbin/nginx", "/usr/local/sbin/nginx")
              if p and os.access(p, os.X_OK)), None)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="no nginx: run install.sh (it unpacks the gateway image's nginx "
    "into .venv/nginx), or install nginx")
MODULES = (UNPACKED if NGINX and NGINX.startswith(str(UNPACKED)) else Path("/")) \
    / "usr/lib/nginx/modules"
PURGE_MODULE = MODULES / "ngx_http_cache_purge_module.so"

UPSTREAMS = ("AUTH_UPSTREAM", "MONOLITH_UPSTREAM", "CATALOG_UPSTREAM", "PAYMENTS_UPSTREAM",
             "WEBHOOKS_UPSTREAM")
GOOD_KEY, GOOD_TOKEN = "good-key", "good-token"
DOWN_KEY, THROTTLED_KEY, SLOW_KEY = "db-down-key", "throttled-key", "slow-key"
VERIFY_TIMEOUT_S = 1.0  # the test's read timeout for /_verify, in place of the image's 5 s
PROBLEM = "application/problem+json"
CUSTOMER = ("products:read,orders:read,orders:write,customers:read,payments:read,"
            "webhooks:read,webhooks:write")


@dataclass
class FakeUpstream:
    """Plays auth (`/internal/verify`, `/health/ready`, token) and every backend service."""

    verify_calls: list[dict[str, str]] = field(default_factory=list)
    requests: list[dict[str, object]] = field(default_factory=list)


def _client_of(token: str) -> str:
    """`good-token[-...]` is client-1's; `tok-<client>-...` is <client>'s."""
    return token.split("-")[1] if token.startswith("tok-") else "client-1"


def _handler(state: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True   # kept-alive connections from nginx: no 40 ms stalls
        wbufsize = -1                    # one write per answer

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

        def _verify(self, headers: dict[str, str]) -> None:
            state.verify_calls.append(headers)
            key, token = headers.get("x-api-key", ""), headers.get("authorization", "")
            if key == DOWN_KEY:
                return self._send(503, {"status": 503})
            if key == SLOW_KEY:  # auth hangs past the gateway's read timeout
                time.sleep(VERIFY_TIMEOUT_S + 0.5)
                return self._send(401, {"status": 401})
            if key == THROTTLED_KEY:
                return self._send(403, {"status": 403}, {"X-Auth-Denied": "throttled",
                                                         "Retry-After": "7"})
            token = token.removeprefix("Bearer ")
            if not key.startswith(GOOD_KEY) or not token.startswith((GOOD_TOKEN, "tok-")):
                return self._send(401, {"status": 401}, {"WWW-Authenticate": "Bearer"})
            needed = headers.get("x-required-permission", "")
            if needed and needed not in CUSTOMER.split(","):
                return self._send(403, {"status": 403, "detail": "lacks " + needed})
            return self._send(200, {}, {"X-User-Id": "user-1", "X-Client-Id": _client_of(token),
                                        "X-User-Roles": "customer,admin",
                                        "X-User-Permissions": CUSTOMER,
                                        "X-Identity-Proof": "v1.1.proof"})

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.path == "/internal/verify" and "x-original-uri" in headers:
                return self._verify(headers)
            if self.path == "/health/ready":
                return self._send(200, {"status": "ok"})
            state.requests.append({"method": self.command, "path": self.path,
                                   "headers": headers, "body_length": len(body)})
            return self._send(200, {"path": self.path, "headers": headers})

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

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
    consoles: dict[int, int] = field(default_factory=dict)
    """console (9090, ...) or metrics (9113) port of the image -> its port here"""
    syslog: socket.socket | None = None
    """where the gateway's span lines arrive (the trace store's syslog port in the image)"""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def render(tmp: Path, subnet: str, port: int, upstream_port: int, dead_port: int,
           consoles: dict[int, int] | None = None, syslog_port: int | None = None) -> Path:
    """Render the template as the image does, then apply the test-only changes."""
    text = (NGINX_DIR / "gateway.conf.template").read_text()
    templated = set(re.findall(r"\$\{(\w+)\}", text))
    assert templated == {"PRIVATE_SUBNET", *UPSTREAMS}, "only these are templated (entrypoint.sh)"
    text = text.replace("${PRIVATE_SUBNET}", subnet)
    for name in UPSTREAMS:  # the links, as the runtime sets them; here the fake upstream
        dead = name == "WEBHOOKS_UPSTREAM"
        text = text.replace(f"${{{name}}}", f"127.0.0.1:{dead_port if dead else upstream_port}")
    text = text.replace("listen 8080 default_server;", f"listen 127.0.0.1:{port} default_server;")
    consoles = {} if consoles is None else consoles
    listens = r"listen (9090|9093|15672|8474|16686|9113);"
    consoles.update({int(c): _free_port() for c in re.findall(listens, text)})
    text = re.sub(listens,
                  lambda m: f"listen 127.0.0.1:{consoles[int(m.group(1))]};", text)
    assert text.count("proxy_read_timeout 5s;") == 1, "the /_verify read timeout"
    text = text.replace("proxy_read_timeout 5s;", f"proxy_read_timeout {VERIFY_TIMEOUT_S:g}s;")
    assert text.count("syslog:server=tracestore:5514,") == 1, "the span lines' destination"
    text = text.replace("syslog:server=tracestore:5514,",
                        f"syslog:server=127.0.0.1:{syslog_port or _free_port()},")
    assert text.count("/dev/shm/nginx/") == 2, "the verify and product-read caches"
    text = text.replace("/dev/shm/nginx/", f"{tmp}/")
    if not PURGE_MODULE.exists():  # this host's nginx lacks Debian's cache purge module
        text = re.sub(r"\n *location ~ \"\^/internal/cache/.*?proxy_cache_purge[^;]*;\n *\}", "",
                      text, flags=re.DOTALL)
    temp_paths = "".join(f"{name}_temp_path {tmp / name};\n"
                         for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "gateway.conf").write_text(temp_paths + text)
    main_conf = (NGINX_DIR / "nginx.conf").read_text()
    modules = "include /etc/nginx/modules-enabled/*.conf;"
    assert main_conf.count(modules) == 1, "Debian's module list, in the image"
    if PURGE_MODULE.exists():  # here: the module itself, wherever this nginx has it
        main_conf = main_conf.replace(modules, f"load_module {PURGE_MODULE};")
    (tmp / "nginx.conf").write_text(main_conf)
    shutil.copy(NGINX_DIR / "routes.conf", tmp / "routes.conf")
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
    consoles: dict[int, int] = {}
    syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    syslog.bind(("127.0.0.1", 0))
    conf = render(tmp, subnet, port, server.server_address[1], _free_port(), consoles,
                  syslog.getsockname()[1])
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
        yield Gateway(url=url, upstream=state, access_log=log_path, consoles=consoles,
                      syslog=syslog)
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
        syslog.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("gateway"), "10.255.255.0/24") as gw:
        yield gw


FORGED = {"X-User-Id": "attacker", "X-Client-Id": "other", "X-User-Roles": "admin",
          "X-User-Permissions": "products:write", "X-Identity-Proof": "v1.9999999999.forged",
          "X-Forwarded-For": "10.1.2.3", "X-Real-IP": "10.1.2.3", "Forwarded": "for=10.1.2.3"}


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
    forged = {**_auth(), **FORGED, "X-User-Email": "a@b.c", "X-Request-Id": "req-123"}
    resp = httpx.get(f"{gateway.url}/v1/customers/me", headers=forged)
    assert resp.status_code == 200, resp.text
    seen = resp.json()["headers"]
    assert seen["x-user-id"] == "user-1"
    assert seen["x-client-id"] == "client-1"
    assert seen["x-user-roles"] == "customer,admin"
    assert seen["x-user-permissions"] == CUSTOMER
    assert seen["x-identity-proof"] == "v1.1.proof"
    assert "x-user-email" not in seen
    # the gateway is the edge: the address is its peer's, whatever the client claims
    assert seen["x-forwarded-for"] == seen["x-real-ip"] == "127.0.0.1"
    assert "forwarded" not in seen and "x-required-permission" not in seen
    assert seen["x-request-id"] == "req-123" and resp.headers["x-request-id"] == "req-123"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["x-trace-id"])


def test_traceparent_sets_the_trace_id(gateway: Gateway) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    resp = httpx.get(f"{gateway.url}/v1/payments?order_id=1",
                     headers={**_auth(), "traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert resp.json()["headers"]["x-trace-id"] == trace


def _span_lines_until(gateway: Gateway, request_id: str) -> list[dict[str, str]]:
    """The span lines that reach the trace store's port, up to ``request_id``'s own (the
    last): lines of earlier requests come first; each test's request id is its own."""
    assert gateway.syslog is not None
    gateway.syslog.settimeout(5)
    lines: list[dict[str, str]] = []
    while not lines or lines[-1]["request_id"] != request_id:
        frame = gateway.syslog.recv(65536).decode()
        match = re.fullmatch(r"<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d gateway: (\{.*\})", frame)
        assert match, f"not an RFC 3164 frame: {frame!r}"
        lines.append(json.loads(match.group(1)))
    return lines


def _span_line(gateway: Gateway, request_id: str) -> dict[str, str]:
    """The gateway's span line of one request, as the trace store receives it."""
    return _span_lines_until(gateway, request_id)[-1]


def test_the_gateway_is_a_span_parent_of_the_upstream_and_of_verify(gateway: Gateway) -> None:
    trace, client_span = "5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b7"
    request_id = f"span-{uuid.uuid4().hex}"
    before = len(gateway.upstream.verify_calls)
    resp = httpx.get(f"{gateway.url}/v1/orders/7", headers={
        **_auth(token=f"{GOOD_TOKEN}-{uuid.uuid4().hex}"), "X-Request-Id": request_id,
        "traceparent": f"00-{trace}-{client_span}-01"})
    upstream_parent = resp.json()["headers"]["traceparent"]
    version, trace_id, gw_span, flags = upstream_parent.split("-")
    assert (version, trace_id, flags) == ("00", trace, "01")
    assert re.fullmatch("[0-9a-f]{16}", gw_span) and gw_span != client_span
    [verify] = gateway.upstream.verify_calls[before:]
    assert verify["traceparent"] == upstream_parent
    line = _span_line(gateway, request_id)
    assert (line["trace_id"], line["span_id"], line["parent_span_id"]) == (trace, gw_span,
                                                                           client_span)
    assert line["route"] == "/v1/orders/{order_id}" and line["method"] == "GET"
    assert line["status"] == "200" and float(line["duration"]) >= 0 and float(line["time"]) > 0


def test_without_a_traceparent_the_gateway_starts_the_trace(gateway: Gateway) -> None:
    request_id = f"root-{uuid.uuid4().hex}"
    resp = httpx.get(f"{gateway.url}/v1/payments?order_id=1",
                     headers={**_auth(), "X-Request-Id": request_id, "traceparent": "garbage"})
    _v, trace_id, gw_span, _f = resp.json()["headers"]["traceparent"].split("-")
    assert resp.headers["x-trace-id"] == trace_id
    line = _span_line(gateway, request_id)
    assert (line["trace_id"], line["span_id"], line["parent_span_id"]) == (trace_id, gw_span, "")


def _access_lines_until(path: Path, request_id: str) -> list[dict]:
    """The access log's JSON lines, once the line of ``request_id`` is in (5 s at most)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in path.read_text().splitlines()
                 if line.startswith("{")]
        if any(doc["request_id"] == request_id for doc in lines):
            return lines
        assert time.monotonic() < deadline, f"no access log line for {request_id}"
        time.sleep(0.02)


def test_a_caller_that_does_not_sample_gets_no_span_and_no_log_line_unless_it_failed(
        gateway: Gateway) -> None:
    trace, parent = "6bf92f3577b34da6a3ce929d0e0e4738", "20f067aa0ba902b7"
    quiet, failed, loud = (f"{kind}-{uuid.uuid4().hex}" for kind in ("quiet", "failed", "loud"))
    headers = {**_auth(token=f"{GOOD_TOKEN}-{uuid.uuid4().hex}"), "X-Request-Id": quiet,
               "traceparent": f"00-{trace}-{parent}-00"}
    before = len(gateway.upstream.verify_calls)
    resp = httpx.get(f"{gateway.url}/v1/orders/7", headers=headers)
    assert resp.status_code == 200 and resp.headers["x-trace-id"] == trace
    # the decision goes on to the service and to auth: neither records a span of it
    forwarded = resp.json()["headers"]["traceparent"]
    assert forwarded.startswith(f"00-{trace}-") and forwarded.endswith("-00")
    [verify] = gateway.upstream.verify_calls[before:]
    assert verify["traceparent"] == forwarded
    # a failure is logged all the same: what people look for in the log
    refused = httpx.get(f"{gateway.url}/v1/orders/7", headers={
        "X-Request-Id": failed, "traceparent": f"00-{trace}-{parent}-00"})
    assert refused.status_code == 401
    httpx.get(f"{gateway.url}/v1/orders/7", headers={
        **_auth(), "X-Request-Id": loud, "traceparent": f"00-{trace}-{parent}-01"})
    logged = {doc["request_id"] for doc in _access_lines_until(gateway.access_log, loud)}
    assert failed in logged and quiet not in logged
    spans = {line["request_id"] for line in _span_lines_until(gateway, loud)}
    assert quiet not in spans and failed not in spans


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
    _assert_problem(httpx.get(f"{gateway.url}/v1/orders/1", headers=_auth(key=DOWN_KEY)), 503)


def test_auth_timeout_is_504_problem(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/v1/orders/1", headers=_auth(key=SLOW_KEY), timeout=10)
    _assert_problem(response, 504)
    assert "in time" in response.json()["detail"] and "x-request-id" in response.headers


def test_unknown_route_and_large_body_are_problems(gateway: Gateway) -> None:
    _assert_problem(httpx.get(f"{gateway.url}/nothing-here"), 404)
    big = httpx.post(f"{gateway.url}/v1/orders", headers=_auth(), content=b"x" * (2 << 20))
    _assert_problem(big, 413)


def test_access_log_is_json_lines(gateway: Gateway) -> None:
    httpx.get(f"{gateway.url}/v1/orders/42", headers={**_auth(), "X-Request-Id": "log-check"})
    match = [doc for doc in _access_lines_until(gateway.access_log, "log-check")
             if doc["request_id"] == "log-check"]
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


# --- authorization per route --------------------------------------------------------------
def test_verify_gets_the_routes_permission_and_the_callers_address(gateway: Gateway) -> None:
    before = len(gateway.upstream.verify_calls)
    resp = httpx.get(f"{gateway.url}/v1/products/SKU-1?x=1",
                     headers={**_auth(token=f"{GOOD_TOKEN}-{uuid.uuid4().hex}"), **FORGED})
    assert resp.status_code == 200, resp.text
    [call] = gateway.upstream.verify_calls[before:]
    assert call["x-required-permission"] == "products:read"
    assert call["x-real-ip"] == "127.0.0.1"
    assert call["x-original-method"] == "GET"
    assert call["x-original-uri"] == "/v1/products/SKU-1?x=1"
    for name in ("x-forwarded-for", "forwarded", "x-user-id", "x-client-id", "x-user-roles",
                 "x-user-permissions", "x-identity-proof"):
        assert name not in call, name


def test_a_token_without_the_routes_permission_is_403_problem(gateway: Gateway) -> None:
    before = len(gateway.upstream.requests)
    resp = httpx.post(f"{gateway.url}/v1/products", headers=_auth(), json={"sku": "x"})
    _assert_problem(resp, 403)
    assert "products:write" in resp.json()["detail"]
    assert len(gateway.upstream.requests) == before


def test_the_verify_cache_is_per_permission_and_keeps_no_403(gateway: Gateway) -> None:
    headers = _auth(token=f"{GOOD_TOKEN}-{uuid.uuid4().hex}")
    before = len(gateway.upstream.verify_calls)
    assert httpx.get(f"{gateway.url}/v1/products", headers=headers).status_code == 200
    assert httpx.get(f"{gateway.url}/v1/products/a", headers=headers).status_code == 200
    assert len(gateway.upstream.verify_calls) - before == 1      # same permission: cached
    assert httpx.get(f"{gateway.url}/v1/orders/1", headers=headers).status_code == 200
    assert len(gateway.upstream.verify_calls) - before == 2      # another permission
    for _ in range(2):
        assert httpx.post(f"{gateway.url}/v1/products", headers=headers).status_code == 403
    assert len(gateway.upstream.verify_calls) - before == 4      # 403 is never cached


def test_a_throttled_address_is_429_problem_with_auths_retry_after(gateway: Gateway) -> None:
    resp = httpx.get(f"{gateway.url}/v1/orders/1", headers=_auth(key=THROTTLED_KEY))
    _assert_problem(resp, 429)
    assert resp.headers["retry-after"] == "7"


@pytest.mark.parametrize(("method", "path", "status", "allow"), [
    ("GET", "/v1/nothing", 404, None), ("GET", "/v1/orders/1/lines", 404, None),
    ("GET", "/v1/auth/other", 404, None), ("PUT", "/v1/orders/1", 405, "GET"),
    ("DELETE", "/v1/products", 405, "GET, POST"), ("GET", "/v1/auth/token", 405, "POST"),
    ("POST", "/healthz", 405, "GET"),
])
def test_a_route_or_method_in_no_entry_is_refused_before_auth(gateway: Gateway, method, path,
                                                               status, allow) -> None:
    before = (len(gateway.upstream.verify_calls), len(gateway.upstream.requests))
    resp = httpx.request(method, f"{gateway.url}{path}", headers=_auth())
    _assert_problem(resp, status)
    assert resp.headers.get("allow") == allow
    assert (len(gateway.upstream.verify_calls), len(gateway.upstream.requests)) == before


def test_identity_headers_are_stripped_on_the_public_routes(gateway: Gateway) -> None:
    for path in ("/v1/auth/token", "/v1/auth/refresh", "/v1/auth/logout"):
        resp = httpx.post(f"{gateway.url}{path}", headers={"X-Api-Key": "k", **FORGED}, json={})
        assert resp.status_code == 200, resp.text
        seen = resp.json()["headers"]
        for name in ("x-user-id", "x-client-id", "x-user-roles", "x-user-permissions",
                     "x-identity-proof", "forwarded"):
            assert name not in seen, (path, name)
        assert seen["x-forwarded-for"] == "127.0.0.1"


def test_the_rate_limit_follows_the_verified_client_not_the_key(gateway: Gateway) -> None:
    """One client rotating 20 API keys is one bucket (100 r/s, burst 200); another client
    from the same address is not limited by it."""
    client = f"tok-c{uuid.uuid4().hex[:8]}"
    statuses: list[int] = []
    lock = threading.Lock()

    def burst(worker: int) -> None:
        with httpx.Client(base_url=gateway.url, timeout=10) as http:
            for i in range(100):
                key = f"{GOOD_KEY}-{(worker * 100 + i) % 20}"
                r = http.get(f"/v1/products/p{i}", headers=_auth(key=key, token=f"{client}-t"))
                with lock:
                    statuses.append(r.status_code)
                if r.status_code == 429:
                    _assert_problem(r, 429)
                    assert r.headers["retry-after"] == "1"

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 429} and statuses.count(429) > 0, statuses
    assert statuses.count(200) >= 200
    other = httpx.get(f"{gateway.url}/v1/products/x",
                      headers=_auth(token=f"tok-d{uuid.uuid4().hex[:8]}-t"))
    assert other.status_code == 200


# --- nginx's own errors, on a raw socket ---------------------------------------------------
def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while True:  # until the answer is whole (nginx may linger on an unread body)
            head, found, body = data.partition(b"\r\n\r\n")
            if found:
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip()
                           for k, _, v in (line.partition(":") for line in lines[1:])}
                if len(body) >= int(headers.get("content-length", "0")):
                    return int(lines[0].split()[1]), headers, body
            chunk = sock.recv(65536)
            assert chunk, f"the gateway closed before a whole answer: {data!r}"
            data += chunk


def _get(target: str, *extra: str) -> bytes:
    return ("\r\n".join([f"GET {target} HTTP/1.1", "Host: gateway", *extra,
                          "Connection: close", "", ""])).encode()


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost gateway\r\n\r\n", 400),
    (_get("/v1/products/" + "a" * 9000), 414),
    (_get("/v1/products", "X-Big: " + "b" * 9000), 431),
    (_get("/v1/products", *(f"X-H{i}: {'c' * 7000}" for i in range(6))), 431),
    (b"GET /v1/products HTTP/2.0\r\nHost: gateway\r\n\r\n", 505),
    (b"POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: x\r\n\r\n", 501),
    (b"TRACE /v1/products HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n", 405),
    (_get("/v1/orders", "Content-Length: 2000000").replace(b"GET", b"POST", 1), 413),
])
def test_nginx_own_errors_are_problems(gateway: Gateway, request_bytes: bytes, status: int) -> None:
    code, headers, body = _raw(gateway.port, request_bytes)
    assert code == status, body
    assert headers["content-type"] == PROBLEM
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"]
    assert b"127.0.0.1" not in body and b"nginx" not in body


@pytest.mark.parametrize(("target", "status"), [
    ("/internal/verify", 403), ("/%69nternal/verify", 403), ("/INTERNAL/verify", 404),
    ("//internal/verify", 404), ("/v1/../internal/verify", 404), ("/v1/%2e%2e/internal/verify", 404),
    ("/v1/products/..%2F..%2Finternal/verify", 404), ("/v1/products/x%2Fy", 404),
    ("/v1/./products", 404), ("/v1/products/x%5C..%5Cinternal", 404),
    ("/internal/products/../../v1/products", 404), ("/internal%2Fverify", 404),
])
def test_encoded_internal_paths_reach_nothing(gateway: Gateway, target: str, status: int) -> None:
    before = (len(gateway.upstream.verify_calls), len(gateway.upstream.requests))
    code, headers, body = _raw(gateway.port, _get(target, "X-Api-Key: good-key",
                                                  "Authorization: Bearer good-token"))
    assert code == status, body
    assert headers["content-type"] == PROBLEM
    assert (len(gateway.upstream.verify_calls), len(gateway.upstream.requests)) == before


def test_the_consoles_open_no_internal_path_and_take_no_alert(gateway: Gateway) -> None:
    for console in (9090, 9093, 15672, 8474):
        for target in ("/internal/alerts", "/%69nternal/alerts"):
            code, headers, _ = _raw(gateway.consoles[console], _get(target))
            assert code == 404 and headers["content-type"] == PROBLEM, (console, target)
    post = (b"POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            b"Connection: close\r\n\r\n[]")
    code, headers, _ = _raw(gateway.consoles[9093], post)
    assert code == 405 and headers["content-type"] == PROBLEM


def test_stub_status_has_its_own_port_for_the_exporter_alone(gateway: Gateway) -> None:
    port = gateway.consoles[9113]
    resp = httpx.get(f"http://127.0.0.1:{port}/stub_status")
    assert resp.status_code == 200 and resp.text.startswith("Active connections:")
    assert httpx.get(f"http://127.0.0.1:{port}/v1/orders").status_code == 404
    # an address outside the private network (and not loopback's 127.0.0.1) is refused
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
        assert other.get(f"http://127.0.0.1:{port}/stub_status").status_code == 403
    # and the API's port serves it no more
    code, _, body = _raw(gateway.port, _get("/internal/nginx-status"))
    assert code in (403, 404) and b"Active connections" not in body
