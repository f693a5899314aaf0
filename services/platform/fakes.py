"""Recording fakes of psycopg pools and connections, for unit tests without a database.

A fake connection answers each `execute` from `rules`: (substring of the SQL, rows or a
callable(params) -> rows); the first rule whose substring occurs in the SQL wins, else no
rows. Everything executed is recorded in `executed`, transactions in `events`.

>>> pool = FakeAsyncPool([("SELECT 1", [{"one": 1}])])
>>> import asyncio
>>> async def demo():
...     async with pool.connection() as conn:
...         return await (await conn.execute("SELECT 1")).fetchone()
>>> asyncio.run(demo())
{'one': 1}
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

Rows = list[dict[str, Any]] | Callable[[Any], list[dict[str, Any]]]


class FakeCursor:
    """Rows of one statement; sync and async fetch methods."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = list(rows)

    def _one(self) -> dict[str, Any] | None:
        return self._rows.pop(0) if self._rows else None

    def _all(self) -> list[dict[str, Any]]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> dict[str, Any] | None:
        return self._one()

    async def fetchall(self) -> list[dict[str, Any]]:
        return self._all()


class SyncFakeCursor(FakeCursor):
    """A cursor whose fetch methods are synchronous (for FakeSyncPool)."""

    def fetchone(self) -> dict[str, Any] | None:  # type: ignore[override]
        return self._one()

    def fetchall(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self._all()


class _Recorder:
    def __init__(self, rules: list[tuple[str, Rows]] | None = None) -> None:
        self.rules = list(rules or [])
        self.executed: list[tuple[str, Any]] = []
        self.events: list[str] = []

    def answer(self, sql: str, params: Any) -> list[dict[str, Any]]:
        self.executed.append((sql, params))
        for needle, rows in self.rules:
            if needle in sql:
                return rows(params) if callable(rows) else [dict(r) for r in rows]
        return []

    def sql_matching(self, needle: str) -> list[tuple[str, Any]]:
        """The executed statements containing `needle`."""
        return [(s, p) for s, p in self.executed if needle in s]


class FakeAsyncConnection(_Recorder):
    """An async psycopg connection stand-in."""

    async def execute(self, sql: str, params: Any = None) -> FakeCursor:
        return FakeCursor(self.answer(sql, params))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self.events.append("begin")
        try:
            yield
        except BaseException:
            self.events.append("rollback")
            raise
        self.events.append("commit")


class FakeAsyncPool:
    """An AsyncConnectionPool stand-in handing out one shared FakeAsyncConnection."""

    def __init__(self, rules: list[tuple[str, Rows]] | None = None) -> None:
        self.conn = FakeAsyncConnection(rules)

    @contextlib.asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[FakeAsyncConnection]:
        yield self.conn


class FakeSyncConnection(_Recorder):
    """A sync psycopg connection stand-in."""

    def execute(self, sql: str, params: Any = None) -> SyncFakeCursor:
        return SyncFakeCursor(self.answer(sql, params))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.events.append("begin")
        try:
            yield
        except BaseException:
            self.events.append("rollback")
            raise
        self.events.append("commit")


class FakeSyncPool:
    """A ConnectionPool stand-in handing out one shared FakeSyncConnection."""

    def __init__(self, rules: list[tuple[str, Rows]] | None = None) -> None:
        self.conn = FakeSyncConnection(rules)

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[FakeSyncConnection]:
        yield self.conn
