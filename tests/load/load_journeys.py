"""Journeys for the engine's tests, in a module of their own so that spawned worker
processes can import them by name (names start with ``t-`` so as not to meet real ones)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sandbox.load import JourneyContext, journey


@journey("t-get", weight=1)
async def get_root(ctx: JourneyContext) -> None:
    async with ctx.step("get /"):
        ctx.expect(await ctx.http.get("/"), 200)


@journey("t-two-steps", weight=3)
async def two_steps(ctx: JourneyContext) -> None:
    async with ctx.step("first"):
        ctx.expect(await ctx.http.get("/"))
    async with ctx.step("second"):
        ctx.expect(await ctx.http.get("/"))


@journey("t-slow", weight=1)
async def slow(ctx: JourneyContext) -> None:
    async with ctx.step("get /delay/300"):
        ctx.expect(await ctx.http.get("/delay/300"))


@journey("t-flaky")
async def flaky(ctx: JourneyContext) -> None:
    """503 for the arrivals meant to start in [0.5 s, 1.0 s), 200 otherwise."""
    path = "/status/503" if 0.5 <= ctx.at_s < 1.0 else "/"
    async with ctx.step("get"):
        ctx.expect(await ctx.http.get(path), 200)


@journey("t-raise-status")
async def raise_status(ctx: JourneyContext) -> None:
    async with ctx.step("get 503"):
        (await ctx.http.get("/status/503")).raise_for_status()


@journey("t-sleeper")
async def sleeper(ctx: JourneyContext) -> None:
    async with ctx.step("wait"):
        await asyncio.sleep(30)


@journey("t-hog")
async def hog(ctx: JourneyContext) -> None:
    """The first arrival holds the event loop for 1.3 s (CPU, no await): the scheduler falls
    behind and must drop what is more than its lateness bound late."""
    if ctx.user == 0:
        end = time.monotonic() + 1.3
        while time.monotonic() < end:
            pass
    async with ctx.step("get /"):
        ctx.expect(await ctx.http.get("/"))


@journey("t-echo-data")
async def echo_data(ctx: JourneyContext) -> None:
    """Fails unless ``ctx.data`` is what ``user_data`` gives this user."""
    if ctx.data != user_data(ctx.user):
        ctx.fail("wrong data")


def user_data(user: int) -> dict[str, Any]:
    return {"user": user, "email": f"user{user}@example.test"}
