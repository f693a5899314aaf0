import asyncio

from services.platform.fakes import FakeAsyncPool, FakeSyncConnection
from services.platform.inbox import process_once
from services.platform.outbox import OutboxRelay, add_event_sync


def test_event_is_written_into_the_callers_transaction():
    conn = FakeSyncConnection()
    env = add_event_sync(conn, "order.created", {"order_id": "o1"}, trace_id="a" * 32)
    [(sql, params)] = conn.executed
    assert sql.startswith("INSERT INTO outbox")
    assert params[0] == env["id"] and params[1] == "order.created"
    assert params[2].obj == env  # Jsonb wrapper around the whole envelope


def rows(*ids):
    return [{"id": i, "envelope": {"id": f"m{i}", "type": "order.created"}} for i in ids]


def test_relay_publishes_in_order_and_marks_with_skip_locked():
    pool = FakeAsyncPool([("FOR UPDATE SKIP LOCKED", rows(1, 2, 3))])
    published = []

    async def publish(env):
        published.append(env["id"])

    assert asyncio.run(OutboxRelay(pool, publish).relay_once()) == 3
    assert published == ["m1", "m2", "m3"]
    [(_sql, params)] = pool.conn.sql_matching("UPDATE outbox")
    assert params == ([1, 2, 3],)
    select_sql = pool.conn.sql_matching("FOR UPDATE SKIP LOCKED")[0][0]
    assert "ORDER BY id" in select_sql and pool.conn.events == ["begin", "commit"]


def test_relay_stops_at_first_failure_and_keeps_the_rest_unpublished():
    pool = FakeAsyncPool([("FOR UPDATE SKIP LOCKED", rows(1, 2, 3))])

    async def publish(env):
        if env["id"] == "m2":
            raise ConnectionError("no confirm")

    assert asyncio.run(OutboxRelay(pool, publish).relay_once()) == 1
    assert pool.conn.sql_matching("UPDATE outbox")[0][1] == ([1],)


def test_relay_run_stops_on_event():
    pool = FakeAsyncPool()

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(OutboxRelay(pool, None, poll_interval=0.01).run(stop))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 1)

    asyncio.run(go())
    assert len(pool.conn.sql_matching("SKIP LOCKED")) >= 1


def test_inbox_runs_the_effect_once_per_message_id():
    seen: set[str] = set()

    def claim(params):
        if params[0] in seen:
            return []
        seen.add(params[0])
        return [{"message_id": params[0]}]

    pool = FakeAsyncPool([("INSERT INTO processed_messages", claim)])
    effects = []

    async def effect(conn, env):
        effects.append(env["id"])

    env = {"id": "11111111-1111-1111-1111-111111111111", "type": "stock.reserved", "data": {}}
    assert asyncio.run(process_once(pool, env, effect)) is True
    assert asyncio.run(process_once(pool, env, effect)) is False
    assert effects == [env["id"]]


def test_inbox_failure_rolls_back_the_claim_too():
    pool = FakeAsyncPool([("INSERT INTO processed_messages", [{"message_id": "x"}])])

    async def effect(conn, env):
        raise RuntimeError("effect failed")

    env = {"id": "x", "type": "t", "data": {}}
    try:
        asyncio.run(process_once(pool, env, effect))
    except RuntimeError:
        pass
    assert pool.conn.events == ["begin", "rollback"]
