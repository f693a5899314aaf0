"""The consumer histogram (metrics.py) and the sampled gauges (gauges.py): pools and outbox."""

import asyncio
import gc
import json

from prometheus_client import REGISTRY, generate_latest

from services.platform.broker import Broker, make_envelope
from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.gauges import BACKLOG_SQL, COUNT_CAP, OutboxBacklog, track_pool


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels)


class Message:
    def __init__(self, body):
        self.body, self.headers = body, {}
        self.content_type, self.message_id, self.type = "application/json", "m1", "x"
        self.redelivered, self.outcome = False, None

    async def ack(self):
        self.outcome = "ack"

    async def reject(self, requeue):
        self.outcome = ("reject", requeue)


def handle(queue, body, handler):
    msg = Message(body)
    asyncio.run(Broker(Settings(service="gauges-test"), "pw")._handle(None, queue, msg, handler, 3))
    return msg


def test_each_handled_message_is_timed_by_queue_type_and_outcome():
    async def slowish(env):
        await asyncio.sleep(0.03)

    body = json.dumps(make_envelope("stock.reserved", {}, trace_id="a" * 32)).encode()
    labels = {"service": "gauges-test", "queue": "timed", "type": "stock.reserved", "outcome": "ok"}
    before = sample("event_handling_duration_seconds_count", **labels) or 0
    assert handle("timed", body, slowish).outcome == "ack"
    assert sample("event_handling_duration_seconds_count", **labels) == before + 1
    assert sample("event_handling_duration_seconds_sum", **labels) >= 0.03
    assert sample("event_handling_duration_seconds_bucket", **labels, le="0.025") == 0
    assert sample("events_consumed_total", **labels) == before + 1


def test_a_message_that_is_no_envelope_is_counted_as_dead_lettered():
    async def never(env):
        raise AssertionError("not called")

    assert handle("bad", b"not json", never).outcome == ("reject", False)
    labels = {"service": "gauges-test", "queue": "bad", "type": "invalid", "outcome": "dead-lettered"}
    assert sample("event_handling_duration_seconds_count", **labels) == 1


class StatsPool:
    name = "svc-async"

    def get_stats(self):
        return {"pool_min": 1, "pool_max": 3, "pool_size": 2, "pool_available": 1,
                "requests_waiting": 4, "requests_num": 99}


def test_a_tracked_pool_is_reported_at_each_scrape_and_forgotten_when_dropped():
    pool = StatsPool()
    track_pool(pool, "pooltest")
    labels = {"service": "pooltest", "pool": "svc-async"}
    assert sample("db_pool_size", **labels) == 2
    assert sample("db_pool_available", **labels) == 1
    assert sample("db_pool_waiting", **labels) == 4
    assert sample("db_pool_max", **labels) == 3
    del pool
    gc.collect()
    assert sample("db_pool_size", **labels) is None
    assert b"# TYPE db_pool_size gauge" in generate_latest()  # the family stays, empty


def test_a_sync_pool_without_waiting_stats_reads_zero():
    class SyncPool(StatsPool):
        name = "svc-sync"

        def get_stats(self):
            return {"pool_max": 4, "pool_size": 1, "pool_available": 1}

    pool = SyncPool()
    track_pool(pool, "pooltest")
    assert sample("db_pool_waiting", service="pooltest", pool="svc-sync") == 0
    del pool


def test_the_backlog_query_is_bounded_and_uses_the_unpublished_index():
    assert "published_at IS NULL" in BACKLOG_SQL and f"LIMIT {COUNT_CAP}" in BACKLOG_SQL
    assert "ORDER BY id LIMIT 1" in BACKLOG_SQL  # the oldest: first row of the partial index


def test_the_outbox_backlog_sample_sets_the_gauges():
    pool = FakeAsyncPool([("FROM outbox", [{"unsent": 7, "oldest_age_s": 42.5}])])
    assert asyncio.run(OutboxBacklog(pool, "outboxtest").sample()) == (7, 42.5)
    assert sample("outbox_unsent_rows", service="outboxtest") == 7
    assert sample("outbox_oldest_unsent_age_seconds", service="outboxtest") == 42.5


def test_the_outbox_sampler_keeps_the_last_values_when_the_database_fails_and_stops_on_event():
    class FailingPool(FakeAsyncPool):
        def connection(self, timeout=None):
            raise ConnectionError("database down")

    async def go():
        stop = asyncio.Event()
        ok = OutboxBacklog(FakeAsyncPool([("FROM outbox", [{"unsent": 1, "oldest_age_s": 3.0}])]),
                           "outboxrun", interval=0.01)
        await ok.sample()
        task = asyncio.create_task(OutboxBacklog(FailingPool(), "outboxrun", interval=0.01).run(stop))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 1)

    asyncio.run(go())
    assert sample("outbox_oldest_unsent_age_seconds", service="outboxrun") == 3.0
