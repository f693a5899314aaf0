import asyncio

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask

from services.platform.health import add_fastapi_health, add_flask_health, run_checks
from services.platform.identity import IdentityDep, identity_from_headers
from services.platform.metrics import instrument_fastapi, instrument_flask
from services.platform.problem import (
    ProblemError,
    classify_exception,
    install_fastapi_handlers,
    install_flask_handlers,
)
from services.platform.server_spans import trace_fastapi
from services.platform.tracing import FASTAPI_TELEMETRY


def fastapi_app():
    app = FastAPI(telemetry=FASTAPI_TELEMETRY)  # as create_app makes it
    install_fastapi_handlers(app)
    instrument_fastapi(app, "test")

    @app.get("/boom")
    async def boom():
        raise RuntimeError("secret internals")

    @app.get("/slow")
    async def slow():
        raise httpx.ReadTimeout("catalog")

    @app.get("/down")
    async def down():
        raise psycopg.OperationalError("connection refused")

    @app.get("/me")
    async def me(identity: IdentityDep):
        return {"user": identity.user_id, "roles": sorted(identity.roles)}

    trace_fastapi(app)
    return app


def test_fastapi_errors_are_problem_json():
    client = TestClient(fastapi_app(), raise_server_exceptions=False)
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {"type": "about:blank", "title": "Internal Server Error", "status": 500,
                        "detail": "unexpected error"}
    assert client.get("/slow").status_code == 504
    assert client.get("/down").status_code == 503
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_identity_comes_from_gateway_headers_or_401():
    client = TestClient(fastapi_app())
    r = client.get("/me")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/me", headers={"X-User-Id": "u1", "X-Client-Id": "c1",
                                   "X-User-Roles": "admin, user"})
    assert r.json() == {"user": "u1", "roles": ["admin", "user"]}


def test_require_role_is_403():
    ident = identity_from_headers({"X-User-Id": "u", "X-User-Roles": "user"})
    with pytest.raises(ProblemError) as err:
        ident.require_role("admin")
    assert err.value.status == 403


def test_metrics_count_requests_by_route_template_and_echo_trace():
    client = TestClient(fastapi_app(), raise_server_exceptions=False)
    parent = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    r = client.get("/me", headers={"X-User-Id": "u1", "traceparent": parent})
    assert r.headers["X-Trace-Id"] == "a" * 32
    client.get("/boom")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/me",service="test",status="200"}' in text
    assert 'route="/boom",service="test",status="500"' in text


def test_readiness_reports_each_check():
    async def ok():
        return None

    async def broken():
        raise ConnectionError("refused")

    async def hangs():
        await asyncio.sleep(10)

    ready, results = asyncio.run(run_checks({"db": ok, "broker": broken, "cache": hangs},
                                            timeout=0.05))
    assert not ready
    assert results["db"] == "ok" and "refused" in results["broker"]
    assert results["cache"].startswith("timeout")

    app = FastAPI()
    checks = {"db": ok}
    add_fastapi_health(app, lambda: checks)
    client = TestClient(app)
    assert client.get("/health/ready").status_code == 200
    checks["broker"] = broken
    r = client.get("/health/ready")
    assert r.status_code == 503 and r.json()["checks"]["db"] == "ok"
    assert client.get("/health/live").status_code == 200


def test_flask_handlers_and_health():
    app = Flask("t")
    install_flask_handlers(app)
    instrument_flask(app, "flask-test")

    def broken():
        raise ConnectionError("down")

    add_flask_health(app, lambda: {"broker": broken})

    @app.get("/boom")
    def boom():
        raise RuntimeError("x")

    @app.get("/conflict")
    def conflict():
        raise ProblemError(409, "Conflict", "exists")

    client = app.test_client()
    r = client.get("/boom")
    assert r.status_code == 500 and r.content_type == "application/problem+json"
    assert client.get("/conflict").get_json()["detail"] == "exists"
    assert client.get("/missing").get_json()["status"] == 404
    assert client.get("/health/ready").status_code == 503
    assert client.get("/health/live").status_code == 200
    assert 'service="flask-test",status="500"' in client.get("/metrics").get_data(as_text=True)


def test_classification_of_dependency_errors():
    assert classify_exception(httpx.ConnectError("x")).status == 503
    assert classify_exception(TimeoutError()).status == 504
    assert classify_exception(KeyError("x")).status == 500


@pytest.mark.parametrize("error", [
    psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
    psycopg.errors.NumericValueOutOfRange("bigint out of range"),
    UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
])
def test_input_the_database_cannot_take_is_a_422_not_a_500(error):
    problem = classify_exception(error)
    assert problem.status == 422 and "cannot be stored" in problem.detail


def test_a_405_names_every_method_of_the_path_in_allow():
    app = FastAPI()
    install_fastapi_handlers(app)

    @app.get("/things")
    async def things_list():
        return []

    @app.post("/things")
    async def things_create():
        return {}

    r = TestClient(app).put("/things")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST"}


def test_a_flask_405_keeps_its_allow_header():
    app = Flask("t")
    install_flask_handlers(app)

    @app.get("/things")
    def things_list():
        return "[]"

    r = app.test_client().put("/things")
    assert r.status_code == 405 and r.mimetype == "application/problem+json"
    assert "GET" in r.headers["Allow"]


def test_a_request_is_a_server_span_child_of_the_callers_traceparent(spans):
    client = TestClient(fastapi_app(), raise_server_exceptions=False)
    parent = "00-" + "c" * 32 + "-" + "d" * 16 + "-01"
    client.get("/me", headers={"X-User-Id": "u1", "traceparent": parent})
    client.get("/health/live")  # probes make no trace
    [server] = [s for s in spans.all() if s.kind.name == "SERVER"]
    assert server.name == "GET /me" and server.parent.span_id == int("d" * 16, 16)
    assert server.context.trace_id == int("c" * 32, 16)
    assert server.attributes["http.route"] == "/me"
    assert server.attributes["http.response.status_code"] == 200
    assert server.status.status_code.name == "UNSET"


def test_a_failed_request_is_an_error_span(spans):
    client = TestClient(fastapi_app(), raise_server_exceptions=False)
    parent = "00-" + "e" * 32 + "-" + "f" * 16 + "-01"
    r = client.get("/boom", headers={"traceparent": parent})
    assert r.status_code == 500
    [server] = [s for s in spans.all() if s.kind.name == "SERVER"]
    assert server.name == "GET /boom" and server.status.status_code.name == "ERROR"
    assert server.attributes["http.response.status_code"] == 500
    assert client.get("/down").status_code == 503
    assert [s.status.status_code.name for s in spans.all() if s.name == "GET /down"] == ["ERROR"]


def test_a_request_its_caller_did_not_sample_records_nothing_and_keeps_its_status(spans):
    """flags 00 (the load generator's unsampled arrivals): no span, and a 503 stays a 503
    (reading the status of the NonRecordingSpan once turned every 5xx into a 500)."""
    client = TestClient(fastapi_app(), raise_server_exceptions=False)
    unsampled = {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-00"}
    assert client.get("/down", headers=unsampled).status_code == 503
    assert client.get("/boom", headers=unsampled).status_code == 500
    assert client.get("/me", headers={**unsampled, "X-User-Id": "u1"}).status_code == 200
    assert [s for s in spans.all() if s.kind.name == "SERVER"] == []
