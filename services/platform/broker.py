"""RabbitMQ through aio-pika: JSON envelopes, confirmed persistent publishes, bounded retries.

Envelope (docs/architecture.md): `{"id", "type", "occurred_at", "trace_id", "data"}`; the
routing key is `type`, `message_id` is `id`. A consumer acks after its handler returns.
Traces: a publish is a PRODUCER span whose W3C `traceparent` travels in the message
headers; each handling of the message (first delivery, retry or redelivery: the headers
are kept) is a CONSUMER span, the publish span's child.
When the handler raises, the message is re-published to its queue with header
`x-sandbox-attempts` + 1 (after a short backoff) and the original is acked; after
`max_attempts` failures it is rejected without requeue, so the queue dead-letters it.
A failure of a dependency (its database or the broker unreachable, a timeout: see
`is_transient`) is not the message's fault: it is retried with backoff for as long as
the outage lasts, without counting towards `max_attempts`, so an outage loses nothing.
A handler gets `handler_timeout` seconds; past that it is cancelled (a transient failure).

>>> env = make_envelope("order.created", {"order_id": "o1"}, trace_id="ab" * 16)
>>> env["type"], env["trace_id"], env["data"]
('order.created', 'abababababababababababababababab', {'order_id': 'o1'})
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import redis.exceptions
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from opentelemetry.trace import SpanKind

from .config import Settings
from .logging import get_logger
from .metrics import EVENTS_PUBLISHED, observe_message
from .problem import classify_exception
from .tracing import ensure_trace_id, inject, mark_error, span_from

EXCHANGE = "events"
ATTEMPTS_HEADER = "x-sandbox-attempts"
OUTAGE_HEADER = "x-sandbox-outage-retries"
HANDLER_TIMEOUT_S = 30.0
# outages a consumer sees beyond those a web request reports as 503/504
OUTAGE_ERRORS = (OSError, aio_pika.exceptions.AMQPError,
                 redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Connecting while the broker boots: refused, timed out, or (through the link's proxy,
# which accepts before the broker listens) closed before the handshake's first frame,
# which aiormq raises as StopAsyncIteration.
CONNECT_ERRORS = (TimeoutError, OSError, aio_pika.exceptions.AMQPError, StopAsyncIteration)
Envelope = dict[str, Any]
Handler = Callable[[Envelope], Awaitable[None]]
log = get_logger()


def make_envelope(type_: str, data: dict[str, Any], *, trace_id: str | None = None,
                  message_id: str | None = None) -> Envelope:
    """A new event envelope; the trace id defaults to the current one."""
    return {
        "id": message_id or str(uuid.uuid4()),
        "type": type_,
        "occurred_at": datetime.now(UTC).isoformat(),
        "trace_id": trace_id or ensure_trace_id(),
        "data": data,
    }


def parse_envelope(body: bytes) -> Envelope:
    """Decode and validate a message body; raises ValueError when it is not an envelope."""
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ValueError("envelope is not a JSON object")  # noqa: TRY004 - a bad message
    missing = {"id", "type", "data"} - doc.keys()
    if missing:
        raise ValueError(f"envelope lacks {sorted(missing)}")
    if not isinstance(doc["data"], dict):
        raise ValueError("envelope data is not an object")  # noqa: TRY004
    return doc


def retry_delay(attempt: int, base: float = 0.2, cap: float = 5.0) -> float:
    """Exponential backoff before re-publishing a failed message (attempt starts at 1)."""
    return min(cap, base * (2 ** max(0, attempt - 1)))


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says a dependency is unavailable or slow, not that the message is bad:
    what a request would answer 503 or 504 for (``classify_exception``), and the broker's,
    the cache's and the sockets' own errors.

    >>> is_transient(TimeoutError()), is_transient(ConnectionResetError()), is_transient(KeyError())
    (True, True, False)
    """
    return classify_exception(exc).status in (503, 504) or isinstance(exc, OUTAGE_ERRORS)


def next_step(attempts_so_far: int, max_attempts: int) -> str:
    """After a failure: 'retry' while attempts remain, else 'dead-letter'."""
    return "retry" if attempts_so_far + 1 < max_attempts else "dead-letter"


class Broker:
    """One robust AMQP connection with a publisher-confirm channel and consumer channels."""

    def __init__(self, settings: Settings, password: str, *, connect_timeout: float = 5.0) -> None:
        self._settings = settings
        self._password = password
        self._timeout = connect_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: aio_pika.abc.AbstractRobustChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._consumers: list[str] = []

    async def connect(self, deadline: float = 120.0) -> None:
        """Connect (retrying until `deadline` seconds) and open the confirm channel."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        delay = 0.2
        while True:
            try:
                self._connection = await aio_pika.connect_robust(
                    host=self._settings.broker_host, port=self._settings.broker_port,
                    login=self._settings.broker_user, password=self._password,
                    timeout=self._timeout, client_properties={"connection_name": self._settings.service},
                )
                break
            except CONNECT_ERRORS as exc:
                if loop.time() + delay > end:
                    raise ConnectionError(f"broker {self._settings.broker_host} unreachable: {exc}") from exc
                log.warning("broker.connect_retry", error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)  # a refused connect is cheap: notice the broker soon
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._channel.get_exchange(EXCHANGE, ensure=True)
        log.info("broker.connected", host=self._settings.broker_host)

    def is_ready(self) -> bool:
        """True when the connection and the publish channel are open."""
        return bool(self._connection and not self._connection.is_closed
                    and self._channel and not self._channel.is_closed)

    @property
    def consuming(self) -> bool:
        """True once a consumer is attached."""
        return bool(self._consumers)

    async def publish(self, envelope: Envelope, *, timeout: float = 5.0) -> None:
        """Publish persistently to `events` with routing key = type; waits for the confirm."""
        if self._exchange is None:
            raise ConnectionError("broker not connected")
        with span_from(None, f"{EXCHANGE} publish", kind=SpanKind.PRODUCER, attributes={
                "messaging.system": "rabbitmq", "messaging.operation.type": "send",
                "messaging.destination.name": EXCHANGE, "messaging.message.id": envelope["id"],
                "messaging.rabbitmq.destination.routing_key": envelope["type"],
                "sandbox.event.type": envelope["type"]}):
            message = aio_pika.Message(
                json.dumps(envelope).encode(), content_type="application/json",
                message_id=envelope["id"], type=envelope["type"],
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers=inject({"trace_id": envelope.get("trace_id") or ""}),
            )
            await self._exchange.publish(message, routing_key=envelope["type"], timeout=timeout)
        EVENTS_PUBLISHED.labels(self._settings.service, envelope["type"]).inc()

    async def consume(self, queue_name: str, handler: Handler, *, max_attempts: int = 5,
                      prefetch: int = 4, handler_timeout: float = HANDLER_TIMEOUT_S) -> None:
        """Attach `handler` to a declared queue (manual ack, bounded retries, then DLQ)."""
        if self._connection is None:
            raise ConnectionError("broker not connected")
        channel = await self._connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.get_queue(queue_name, ensure=True)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await self._handle(channel, queue_name, message, handler, max_attempts,
                               handler_timeout)

        tag = await queue.consume(on_message, no_ack=False)
        self._consumers.append(tag)
        log.info("broker.consuming", queue=queue_name)

    async def _handle(self, channel: Any, queue_name: str, message: AbstractIncomingMessage,
                      handler: Handler, max_attempts: int,
                      handler_timeout: float = HANDLER_TIMEOUT_S) -> None:
        service = self._settings.service
        try:
            envelope = parse_envelope(message.body)
        except ValueError as exc:
            log.error("broker.bad_message", queue=queue_name, error=str(exc))
            observe_message(service, queue_name, "invalid", "dead-lettered", 0.0)
            await message.reject(requeue=False)
            return
        headers = message.headers or {}
        attempts = int(headers.get(ATTEMPTS_HEADER, 0) or 0)
        outages = int(headers.get(OUTAGE_HEADER, 0) or 0)
        with span_from(headers, f"{queue_name} process", kind=SpanKind.CONSUMER, attributes={
                "messaging.system": "rabbitmq", "messaging.operation.type": "process",
                "messaging.destination.name": queue_name, "messaging.message.id": envelope["id"],
                "sandbox.event.type": envelope["type"], "sandbox.attempt": attempts + 1,
                "sandbox.outage_retries": outages,
                "messaging.rabbitmq.redelivered": bool(message.redelivered)}) as span:
            started = time.perf_counter()  # event_handling_duration_seconds
            try:
                await asyncio.wait_for(handler(envelope), handler_timeout)
            except Exception as exc:  # noqa: BLE001 - every failure is judged: retry or DLQ
                transient = is_transient(exc)
                step = "outage-retry" if transient else next_step(attempts, max_attempts)
                mark_error(span, f"{type(exc).__name__}: {exc}"[:200])
                span.set_attribute("sandbox.next", step)
                report = log.warning if transient else log.exception
                report("broker.handler_failed", queue=queue_name, type=envelope["type"],
                       message_id=envelope["id"], attempt=attempts + 1, next=step,
                       error=f"{type(exc).__name__}: {exc}")
                observe_message(service, queue_name, envelope["type"], step,
                                time.perf_counter() - started)
                if step == "dead-letter":
                    await message.reject(requeue=False)
                    return
                if transient:
                    outages += 1
                    await asyncio.sleep(retry_delay(outages))
                else:
                    attempts += 1
                    await asyncio.sleep(retry_delay(attempts))
                retry = aio_pika.Message(
                    message.body, content_type=message.content_type, message_id=message.message_id,
                    type=message.type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers={**headers, ATTEMPTS_HEADER: attempts, OUTAGE_HEADER: outages},
                )
                try:
                    await channel.default_exchange.publish(retry, routing_key=queue_name, timeout=5)
                except Exception:  # noqa: BLE001 - could not re-publish: let the broker requeue
                    await message.nack(requeue=True)
                    return
                await message.ack()
                return
            observe_message(service, queue_name, envelope["type"], "ok",
                            time.perf_counter() - started)
            await message.ack()

    async def close(self) -> None:
        """Close the connection (consumers stop, unacked messages return to the queue)."""
        if self._connection is not None and not self._connection.is_closed:
            await self._connection.close()
