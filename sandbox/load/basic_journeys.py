"""Journeys of no particular system: one request to a path the arrival's data names.

    get     GET data["path"] with data.get("headers"); the answer's     step: get
            status one of data.get("expect") (default: any 2xx)

``Same(data)`` gives every arrival the same data (picklable, for worker processes).

>>> Same({"path": "/health"})(7)
{'path': '/health'}
"""

from __future__ import annotations

from typing import Any

from sandbox.load.journeys import JourneyContext, journey


class Same:
    """``data`` for ``run_load``: every arrival gets a copy of the same mapping."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __call__(self, user: int) -> dict[str, Any]:
        return dict(self.data)


@journey("get", weight=1)
async def get(ctx: JourneyContext) -> None:
    async with ctx.step("get"):
        ctx.expect(await ctx.http.get(ctx.data["path"], headers=ctx.data.get("headers")),
                   *ctx.data.get("expect", ()))
