import asyncio
import json

import pytest

from services.platform import broker as broker_mod
from services.platform.broker import (
    ATTEMPTS_HEADER,
    OUTAGE_HEADER,
    Broker,
    make_envelope,
    next_step,
    parse_envelope,
    retry_delay,
)
from services.platform.config import Settings


def test_envelope_has_the_documented_fields():
    env = make_envelope("order.created", {"order_id": "o1"}, trace_id="a" * 32)
    assert set(env) == {"id", "type", "occurred_at", "trace_id", "data"}
    assert parse_envelope(json.dumps(env).encode()) == env


@pytest.mark.parametrize("body", [b"[]", b'{"id": "x"}', b'{"id":"x","type":"t","data":[]}'])
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(ValueError):
        parse_envelope(body)


def test_retry_policy_is_bounded():
    assert [next_step(n, 3) for n in range(3)] == ["retry", "retry", "dead-letter"]
    assert retry_delay(1) == 0.2 and retry_delay(50) == 5.0


class FakeMessage:
    def __init__(self, body, headers=None):
        self.body = body
        self.headers = headers or {}
        self.content_type = "application/json"
        self.message_id = "m1"
        self.type = "order.created"
        self.redelivered = False
        self.outcome = None

    async def ack(self):
        self.outcome = "ack"

    async def reject(self, requeue):
        self.outcome = ("reject", requeue)

    async def nack(self, requeue):
        self.outcome = ("nack", requeue)


class FakeExchange:
    def __init__(self):
        self.published = []

    async def publish(self, message, routing_key, timeout=None):
        self.published.append((routing_key, message))


class FakeChannel:
    def __init__(self):
        self.default_exchange = FakeExchange()


def run_handle(headers, handler, max_attempts=3, handler_timeout=30.0):
    b = Broker(Settings(service="catalog"), "pw")
    msg = FakeMessage(json.dumps(make_envelope("order.created", {}, trace_id="f" * 32)).encode(),
                      headers)
    channel = FakeChannel()
    asyncio.run(b._handle(channel, "catalog", msg, handler, max_attempts, handler_timeout))
    return msg, channel


def test_successful_handler_acks(monkeypatch):
    seen = []

    async def handler(env):
        seen.append(env["trace_id"])

    msg, channel = run_handle({}, handler)
    assert msg.outcome == "ack" and seen == ["f" * 32]
    assert channel.default_exchange.published == []


def test_failed_handler_republishes_with_attempt_count(monkeypatch):
    monkeypatch.setattr(broker_mod, "retry_delay", lambda attempt: 0)

    async def handler(env):
        raise RuntimeError("boom")

    msg, channel = run_handle({ATTEMPTS_HEADER: 1}, handler)
    assert msg.outcome == "ack"
    [(key, retry)] = channel.default_exchange.published
    assert key == "catalog" and retry.headers[ATTEMPTS_HEADER] == 2


def test_last_failure_is_dead_lettered(monkeypatch):
    async def handler(env):
        raise RuntimeError("boom")

    msg, channel = run_handle({ATTEMPTS_HEADER: 2}, handler, max_attempts=3)
    assert msg.outcome == ("reject", False)
    assert channel.default_exchange.published == []


def test_invalid_message_is_dead_lettered():
    b = Broker(Settings(service="catalog"), "pw")
    msg = FakeMessage(b"not json at all {")

    async def handler(env):
        raise AssertionError("not called")

    with pytest.raises(json.JSONDecodeError):
        parse_envelope(msg.body)
    asyncio.run(b._handle(FakeChannel(), "catalog", msg, handler, 3))
    assert msg.outcome == ("reject", False)


@pytest.mark.parametrize("outage", [ConnectionRefusedError("db down"), TimeoutError("slow")])
def test_an_outage_is_retried_without_counting_towards_the_dead_letter(monkeypatch, outage):
    delays = []
    monkeypatch.setattr(broker_mod, "retry_delay", lambda n: delays.append(n) or 0)

    async def handler(env):
        raise outage

    # already at the last attempt: a bad message would be dead-lettered now
    msg, channel = run_handle({ATTEMPTS_HEADER: 2, OUTAGE_HEADER: 7}, handler, max_attempts=3)
    assert msg.outcome == "ack"
    [(key, retry)] = channel.default_exchange.published
    assert key == "catalog"
    assert (retry.headers[ATTEMPTS_HEADER], retry.headers[OUTAGE_HEADER]) == (2, 8)
    assert delays == [8]  # the backoff grows with the outage, capped by retry_delay


def test_a_handler_that_hangs_is_cancelled_and_retried(monkeypatch):
    monkeypatch.setattr(broker_mod, "retry_delay", lambda n: 0)
    cancelled = []

    async def handler(env):
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    msg, channel = run_handle({}, handler, handler_timeout=0.05)
    assert cancelled == [True] and msg.outcome == "ack"
    [(_, retry)] = channel.default_exchange.published
    assert retry.headers[OUTAGE_HEADER] == 1 and retry.headers[ATTEMPTS_HEADER] == 0


def test_psycopg_and_pool_failures_are_outages_and_bugs_are_not():
    import psycopg
    import psycopg_pool

    assert broker_mod.is_transient(psycopg.OperationalError("server closed the connection"))
    assert broker_mod.is_transient(psycopg_pool.PoolTimeout("no connection in 5 s"))
    assert not broker_mod.is_transient(KeyError("order_id"))
    assert not broker_mod.is_transient(psycopg.errors.UniqueViolation("dup"))


PARENT = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"


def test_each_handling_is_a_consumer_span_child_of_the_publish(spans):
    async def handler(env):
        pass

    run_handle({"traceparent": PARENT}, handler)
    [span] = spans.all()
    assert span.name == "catalog process" and span.kind.name == "CONSUMER"
    assert span.parent.span_id == int("b" * 16, 16) and span.context.trace_id == int("a" * 32, 16)
    assert span.attributes["sandbox.attempt"] == 1


def test_a_retry_keeps_the_publishers_traceparent_and_the_failure_is_an_error(monkeypatch, spans):
    monkeypatch.setattr(broker_mod, "retry_delay", lambda attempt: 0)

    async def handler(env):
        raise RuntimeError("boom")

    _msg, channel = run_handle({"traceparent": PARENT}, handler)
    [(_key, retry)] = channel.default_exchange.published
    assert retry.headers["traceparent"] == PARENT
    [span] = spans.all()
    assert span.status.status_code.name == "ERROR" and span.attributes["sandbox.next"] == "retry"


@pytest.mark.parametrize("early", [ConnectionRefusedError("refused"), TimeoutError(),
                                   StopAsyncIteration()])
def test_connect_retries_while_the_broker_boots(monkeypatch, early):
    """Refused, timed out, or closed before the handshake's first frame (the link's proxy
    accepts before the broker listens): retried, and the next attempt connects."""
    attempts = []

    class Connection:
        is_closed = False

        async def channel(self, publisher_confirms):
            class Channel:
                is_closed = False

                async def get_exchange(self, name, ensure):
                    return FakeExchange()
            return Channel()

    async def connect_robust(**kwargs):
        attempts.append(kwargs["host"])
        if len(attempts) == 1:
            raise early
        return Connection()

    async def no_pause(_):
        return None

    monkeypatch.setattr(broker_mod.aio_pika, "connect_robust", connect_robust)
    monkeypatch.setattr(broker_mod.asyncio, "sleep", no_pause)
    b = Broker(Settings(service="catalog"), "pw")
    asyncio.run(b.connect(deadline=5.0))
    assert len(attempts) == 2 and b.is_ready()
