"""A tap on the broker: a queue of our own bound to the events exchange with ``#``.

Every event any publisher sends while the tap is open is copied to it; ``drain()`` reads
them. It speaks RabbitMQ's management API from inside the broker's container (the console
is not published), and deletes its queue when closed; the queue also expires by itself
two minutes after its last use, should the process die first.
"""

from __future__ import annotations

import json
import shlex
import uuid
from dataclasses import dataclass
from typing import Any, Self

from .routes import Exec, ReplayFailed

EXCHANGE = "events"
EXPIRES_MS = 120_000


@dataclass(frozen=True)
class CapturedEvent:
    routing_key: str
    exchange: str
    payload: Any


class BrokerTap:
    def __init__(self, sandbox: Exec, container: str = "broker") -> None:
        self._sandbox = sandbox
        self._container = container
        self.queue = f"sandbox.contracts.live.{uuid.uuid4().hex[:12]}"

    def _api(self, method: str, path: str, body: Any = None) -> Any:
        command = (f'curl -sS -f -m 10 -u "sandbox:$(cat /run/secrets/broker/password)" -X {method} '
                   f"-H 'content-type: application/json' "
                   + (f"--data-binary {shlex.quote(json.dumps(body))} " if body is not None
                      else "")
                   + shlex.quote(f"http://127.0.0.1:15672/api/{path}"))
        code, out = self._sandbox.exec(self._container, ["sh", "-c", command])
        if code != 0:
            raise ReplayFailed(f"the broker's management API ({method} {path}): {out.strip()[:200]}")
        return json.loads(out) if out.strip() else None

    def __enter__(self) -> Self:
        self._api("PUT", f"queues/%2F/{self.queue}",
                  {"durable": False, "auto_delete": False,
                   "arguments": {"x-expires": EXPIRES_MS}})
        self._api("POST", f"bindings/%2F/e/{EXCHANGE}/q/{self.queue}", {"routing_key": "#"})
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._api("DELETE", f"queues/%2F/{self.queue}")
        except ReplayFailed:
            pass  # it expires by itself

    def drain(self, count: int = 500) -> list[CapturedEvent]:
        """The events copied to the tap since the last drain (each read once)."""
        got = self._api("POST", f"queues/%2F/{self.queue}/get",
                        {"count": count, "ackmode": "ack_requeue_false", "encoding": "auto"})
        events = []
        for message in got or []:
            raw = message.get("payload", "")
            try:
                payload = json.loads(raw) if message.get("payload_encoding") == "string" else raw
            except ValueError:
                payload = raw
            events.append(CapturedEvent(message.get("routing_key", ""),
                                        message.get("exchange", ""), payload))
        return events
