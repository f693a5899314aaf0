"""FastAPI app factory and server entry point shared by the async services.

`create_app(service, setup)` gives an app with problem+json handlers, trace context,
request metrics, the identity proof key (secret `gateway/identity_key`), a deadline on every request (504 problem past it), `/metrics`,
`/health/live` and `/health/ready` (database, broker, and any check `setup` adds). `setup(resources)` runs in the lifespan after the resources are open.

>>> async def setup(res): res.extra["redis"] = ...          # doctest: +SKIP
>>> app = create_app("catalog", setup=setup)               # doctest: +SKIP
>>> serve(app)                                             # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from .config import Settings
from .deadline import REQUEST_DEADLINE_S, RequestDeadline
from .health import add_fastapi_health
from .identity import IDENTITY_KEY_SECRET, install_identity_key
from .logging import configure_logging, get_logger
from .metrics import instrument_fastapi
from .private_routes import PrivateRoutes
from .problem import install_fastapi_handlers, problem_responses
from .resources import Resources
from .server_spans import trace_fastapi
from .tracing import FASTAPI_TELEMETRY, setup_tracing, shutdown_tracing

Setup = Callable[[Resources], Awaitable[None]]
log = get_logger()


def create_app(service: str, *, setup: Setup | None = None, database: bool = True,
               broker: bool = True, settings: Settings | None = None,
               deadline: float = REQUEST_DEADLINE_S, identity: bool = True) -> FastAPI:
    """A FastAPI app whose lifespan opens `Resources` into `app.state.resources`.

    `identity=False` is for a service outside the sandbox's trust (the simulated payment
    provider): it takes no identity from the gateway and reads no secret of the sandbox."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg = settings or Settings.from_env()
        res = await Resources.open(cfg, database=database, broker=broker, pool_max=3)
        try:
            if identity:  # identity headers are trusted only with the gateway's proof
                install_identity_key(res.secrets.get(IDENTITY_KEY_SECRET))
            if setup is not None:
                await setup(res)
        except BaseException:
            # close the pools, whose threads would otherwise keep a failed process alive
            await res.close()
            raise
        app.state.resources = res
        log.info("service.started", port=cfg.http_port)
        try:
            yield
        finally:
            await res.close()
            log.info("service.stopped")

    # every route can answer 503 (a dependency down) and 504 (one slow, or the deadline)
    app = FastAPI(title=service, lifespan=lifespan, docs_url=None, redoc_url=None,
                  telemetry=FASTAPI_TELEMETRY,  # FastAPI's own off: server_spans.py
                  responses=problem_responses(503, 504))
    install_fastapi_handlers(app)
    instrument_fastapi(app, service)
    app.add_middleware(RequestDeadline, seconds=deadline)
    app.add_middleware(PrivateRoutes)  # /internal/ only from the private network
    add_fastapi_health(app, lambda: app.state.resources.checks)
    trace_fastapi(app)  # outermost: the span is active in every other middleware
    return app


def answers(model: type[BaseModel] | None, *problems: int, status: int = 200,
            description: str | None = None) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=`: its success body `model` at `status`, and the problems it answers.

    The body is documented, not filtered: use with `response_model=None`.

    >>> sorted(answers(None, 404, 409, status=201))
    [201, 404, 409]
    """
    ok: dict[str, Any] = {"description": description or "Successful Response"}
    if model is not None:
        ok["model"] = model
    return {status: ok, **problem_responses(*problems)}


def resources(request: Request) -> Resources:
    """FastAPI dependency: the app's open Resources."""
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(resources)]
"""FastAPI parameter type: `res: ResourcesDep`."""


def serve(app_path: str) -> None:
    """Run `module:attr` with uvicorn (1 process, uvloop's event loop and httptools' parser)
    on HTTP_PORT, JSON logs, graceful SIGTERM."""
    import uvicorn

    settings = Settings.from_env()
    configure_logging(settings.service, settings.log_level)
    setup_tracing(settings.service)  # before the app's pools exist: they are traced
    try:
        uvicorn.run(app_path, host="0.0.0.0", port=settings.http_port, workers=1,
                    loop="uvloop", http="httptools",
                    log_config=None, access_log=False, timeout_graceful_shutdown=10)
    finally:
        shutdown_tracing()
