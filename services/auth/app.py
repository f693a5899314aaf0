"""The auth FastAPI app: platform app (health, metrics, problem+json) + auth routes.

Its only dependency is its database: the web app writes `auth.*` events to the outbox
and the worker relays them, so the gateway's hot path never waits on the broker.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.platform.app import create_app
from services.platform.resources import Resources

from .routes import router
from .state import start_auth


async def _setup(res: Resources) -> None:
    res.extra["auth"] = await start_auth(res.secrets, res.pool)


def build_app() -> FastAPI:
    """The app `python3 -m services.auth` serves."""
    app = create_app("auth", setup=_setup, broker=False)
    app.include_router(router)
    return app


app = build_app()
