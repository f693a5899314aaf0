"""The worker's handler records each `auth.*` event once, even when redelivered."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from services.auth.worker import record_event
from services.platform.broker import make_envelope


class FakeConnection:
    """Records statements; `processed_messages` claims conflict like the primary key does."""

    def __init__(self, claimed: set[str], statements: list[tuple[str, Any]]) -> None:
        self._claimed = claimed
        self._statements = statements

    async def execute(self, sql: str, params: Any = None) -> Any:
        self._statements.append((sql, params))
        row = None
        if "INSERT INTO processed_messages" in sql and params[0] not in self._claimed:
            self._claimed.add(params[0])
            row = {"message_id": params[0]}

        async def fetchone() -> Any:
            return row

        return SimpleNamespace(fetchone=fetchone)

    @asynccontextmanager
    async def transaction(self) -> Any:
        yield


class FakePool:
    def __init__(self) -> None:
        self.claimed: set[str] = set()
        self.statements: list[tuple[str, Any]] = []

    @asynccontextmanager
    async def connection(self) -> Any:
        yield FakeConnection(self.claimed, self.statements)


def test_duplicate_delivery_records_one_audit_row() -> None:
    pool = FakePool()
    res = SimpleNamespace(pool=pool)
    envelope = make_envelope("auth.token_issued",
                             {"user_id": "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11",
                              "client_id": "c-not-uuid", "roles": ["admin"]}, trace_id="ab" * 16)

    async def deliver_twice() -> None:
        await record_event(res, envelope)
        await record_event(res, envelope)

    asyncio.run(deliver_twice())
    audits = [params for sql, params in pool.statements if "INSERT INTO audit_events" in sql]
    assert len(audits) == 1
    message_id, type_, _, trace_id, user_id, client_id, _ = audits[0]
    assert (message_id, type_, trace_id) == (envelope["id"], "auth.token_issued", "ab" * 16)
    assert user_id == "6f1d3f0e-2b7c-4a53-9a49-6a1f0c1e0a11" and client_id is None
