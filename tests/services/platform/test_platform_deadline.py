"""Every request of an async service ends by its deadline: a hung dependency gives 504."""

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.platform.deadline import RequestDeadline
from services.platform.problem import PROBLEM_CONTENT_TYPE


def app_with(seconds: float, cancelled: list) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestDeadline, seconds=seconds)

    @app.get("/hangs")
    async def hangs():
        try:
            await asyncio.sleep(30)  # a dependency that never answers
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    @app.get("/quick")
    async def quick():
        return {"ok": True}

    return app


def test_a_hung_request_is_cancelled_and_answered_504_problem_at_the_deadline():
    cancelled = []
    with TestClient(app_with(0.2, cancelled)) as client:
        response = client.get("/hangs")
    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["status"] == 504 and "0.2 s" in response.json()["detail"]
    assert cancelled == [True]


def test_a_request_within_its_deadline_is_untouched():
    with TestClient(app_with(5.0, [])) as client:
        response = client.get("/quick")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_the_services_deadline_is_inside_the_gateways():
    import re
    from pathlib import Path

    from services.platform.deadline import REQUEST_DEADLINE_S

    template = (Path(__file__).resolve().parents[3] / "compose/nginx/gateway.conf.template")
    gateway_s = float(re.search(r"^\s*proxy_read_timeout (\d+)s;", template.read_text(),
                                re.MULTILINE).group(1))
    assert REQUEST_DEADLINE_S < gateway_s
