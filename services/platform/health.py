"""Liveness and readiness. Ready runs real checks: `select 1`, broker channel, Redis ping.

A check is a zero-argument callable (async for FastAPI/workers, sync for Flask) that
raises when the dependency is not usable. Each check is bounded by a timeout.

>>> app = FastAPI()                                         # doctest: +SKIP
>>> add_fastapi_health(app, lambda: {"database": db_check(pool)})   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal

from pydantic import BaseModel, Field

AsyncCheck = Callable[[], Awaitable[None]]
SyncCheck = Callable[[], None]
CHECK_TIMEOUT_S = 2.0


async def run_checks(checks: Mapping[str, AsyncCheck], timeout: float = CHECK_TIMEOUT_S) -> tuple[bool, dict[str, str]]:
    """Run async checks concurrently; returns (all ok, {name: "ok" | error})."""

    async def one(check: AsyncCheck) -> str:
        try:
            await asyncio.wait_for(check(), timeout)
            return "ok"
        except TimeoutError:
            return f"timeout after {timeout:.0f}s"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return f"{type(exc).__name__}: {exc}"[:200]

    names = list(checks)
    outcomes = await asyncio.gather(*(one(checks[n]) for n in names))
    results = dict(zip(names, outcomes))
    return all(v == "ok" for v in results.values()), results


_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="health")


def run_sync_checks(checks: Mapping[str, SyncCheck], timeout: float = CHECK_TIMEOUT_S) -> tuple[bool, dict[str, str]]:
    """Run sync checks, each bounded by `timeout`; returns (all ok, {name: "ok" | error})."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        future = _executor.submit(check)
        try:
            future.result(timeout=timeout)
            results[name] = "ok"
        except FutureTimeout:
            results[name] = f"timeout after {timeout:.0f}s"
        except Exception as exc:  # noqa: BLE001
            results[name] = f"{type(exc).__name__}: {exc}"[:200]
    return all(v == "ok" for v in results.values()), results


class Liveness(BaseModel):
    """Answer of GET /health/live."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """Answer of GET /health/ready: 200 when every check is "ok", else 503."""

    status: Literal["ok", "unavailable", "starting"]
    checks: dict[str, str] = Field(description='each check\'s result: "ok" or what failed')


def db_check(pool: Any) -> AsyncCheck:
    """`select 1` through an async psycopg pool."""

    async def check() -> None:
        async with pool.connection(timeout=CHECK_TIMEOUT_S) as conn:
            await conn.execute("select 1")

    return check


def sync_db_check(pool: Any) -> SyncCheck:
    """`select 1` through a sync psycopg pool."""

    def check() -> None:
        with pool.connection(timeout=CHECK_TIMEOUT_S) as conn:
            conn.execute("select 1")

    return check


def broker_check(broker: Any) -> AsyncCheck:
    """The broker connection and channel are open (see `Broker.is_ready`)."""

    async def check() -> None:
        if not broker.is_ready():
            raise ConnectionError("broker channel is not open")

    return check


def redis_check(client: Any) -> AsyncCheck:
    """Redis answers PING (async redis client)."""

    async def check() -> None:
        if not await client.ping():
            raise ConnectionError("redis did not answer PING")

    return check


def add_fastapi_health(app: Any, checks: Callable[[], Mapping[str, AsyncCheck]]) -> None:
    """GET /health/live (process up) and /health/ready (200 or 503 with each check's result)."""
    from fastapi.responses import JSONResponse

    @app.get("/health/live", response_model=Liveness, tags=["health"])
    async def health_live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", response_model=Readiness, tags=["health"],
             responses={503: {"model": Readiness, "description": "not ready"}})
    async def health_ready() -> JSONResponse:
        try:
            current = checks()
        except Exception as exc:  # noqa: BLE001 - not started yet
            return JSONResponse({"status": "starting", "checks": {"startup": str(exc)}}, 503)
        ok, results = await run_checks(current)
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": results},
                            200 if ok else 503)


def add_flask_health(app: Any, checks: Callable[[], Mapping[str, SyncCheck]]) -> None:
    """Flask variant of `add_fastapi_health`."""
    from flask import jsonify

    # documented when the app is a flask-openapi3 one (it then has an API document)
    live_doc: dict[str, Any] = {}
    ready_doc: dict[str, Any] = {}
    if hasattr(type(app), "api_doc"):  # not the instance: the property would build the document
        from flask_openapi3 import Tag

        live_doc = {"responses": {200: Liveness}, "tags": [Tag(name="health")]}
        ready_doc = {"responses": {200: Readiness, 503: Readiness}, "tags": [Tag(name="health")]}

    @app.get("/health/live", **live_doc)
    def health_live() -> Any:
        return jsonify(status="ok")

    @app.get("/health/ready", **ready_doc)
    def health_ready() -> Any:
        try:
            current = checks()
        except Exception as exc:  # noqa: BLE001
            return jsonify(status="starting", checks={"startup": str(exc)}), 503
        ok, results = run_sync_checks(current)
        return jsonify(status="ok" if ok else "unavailable", checks=results), (200 if ok else 503)
