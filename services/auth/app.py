"""The auth FastAPI app: platform app (health, metrics, problem+json) + auth routes.

Its only dependency is its database: the web app writes `auth.*` events to the outbox
and the worker relays them, so the gateway's hot path never waits on the broker.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.platform.app import create_app
from services.platform.resources import Resources

from .admin_routes import router as admin_router
from .routes import router
from .state import start_auth
from .verify import REVOCATION_BOUND_S

DESCRIPTION = (
    "Enrolled clients and API keys, users, roles, permissions and nested groups; RS256 "
    "access and refresh tokens; the gateway's verify. Revocation bound: a disabled user, a "
    "revoked API key, a revoked token (by jti) or a retired signing key is refused through "
    f"the gateway within {REVOCATION_BOUND_S:.0f} s (auth reloads its revocations at most "
    "1 s old; the gateway caches a verify 200 for 5 s). Login lockout: 5 failures of a "
    "username in 5 min lock it 5 min; 50 failures on existing usernames from an address (per "
    "client) in 5 min lock it 5 min (429 + Retry-After). Verify throttle: 300 refused requests from an address in "
    "1 min block it 1 min (403, X-Auth-Denied: throttled, Retry-After).")


async def _setup(res: Resources) -> None:
    state = res.extra["auth"] = await start_auth(res.secrets, res.pool)
    if state.watch is not None:
        await state.watch.check()  # what the service started with
        state.watch.start()


def build_app() -> FastAPI:
    """The app `python3 -m services.auth` serves."""
    app = create_app("auth", setup=_setup, broker=False)
    app.description = DESCRIPTION
    app.include_router(router)
    app.include_router(admin_router)
    return app


app = build_app()
