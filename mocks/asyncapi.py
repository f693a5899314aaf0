"""The broker's AsyncAPI 3.0 document read as event types: envelope schema, who publishes,
which queues consume.

An event type is found from, in order: the envelope's ``type`` (``const`` or a single
``enum``), the message's ``name``, the channel's ``address``. A service is an operation's
``x-service``, else its queue binding's name, else the first word of the operation id.

>>> doc = {"channels": {"order.created": {"address": "order.created", "messages": {
...     "m": {"payload": {"type": "object", "properties": {"data": {"type": "object"}}}}}}},
...   "operations": {"monolith.publish": {"action": "send",
...                                       "channel": {"$ref": "#/channels/order.created"}},
...                  "catalog.consume": {"action": "receive",
...                                      "channel": {"$ref": "#/channels/order.created"}}}}
>>> ev = EventsContract(doc).event("order.created")
>>> ev.publishers, ev.consumers
(('monolith',), ('catalog',))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .documents import EVENTS, load_document, resolve_ref
from .errors import UnknownOperation
from .schemas import SchemaChecker


@dataclass(frozen=True)
class EventType:
    """One routing key of exchange ``events``."""

    name: str
    schema: dict[str, Any]                 # of the whole envelope
    publishers: tuple[str, ...]
    consumers: tuple[str, ...]

    def where(self) -> str:
        return f"events {self.name}"


class EventsContract:
    """Every event type of the AsyncAPI document, and its schema checker."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.checker = SchemaChecker(document)
        self.types: dict[str, EventType] = {}
        by_channel: dict[str, list[str]] = {}
        schemas: dict[str, dict[str, Any]] = {}
        for channel_id, channel in (document.get("channels") or {}).items():
            channel = resolve_ref(document, channel)
            for message in (channel.get("messages") or {}).values():
                message = resolve_ref(document, message)
                payload = message.get("payload") or {}
                if "schema" in payload and "schemaFormat" in payload:  # multi-format payload
                    payload = payload["schema"]
                name = (self._type_const(payload) or message.get("name")
                        or channel.get("address") or channel_id)
                schemas[name] = payload
                by_channel.setdefault(channel_id, []).append(name)
        roles: dict[str, dict[str, set[str]]] = {n: {"send": set(), "receive": set()}
                                                 for n in schemas}
        for op_id, op in (document.get("operations") or {}).items():
            op = resolve_ref(document, op)
            channel_ref = (op.get("channel") or {}).get("$ref", "")
            channel_id = channel_ref.rsplit("/", 1)[-1].replace("~1", "/")
            service = self._service(op_id, op)
            names = by_channel.get(channel_id, [])
            wanted = [resolve_ref(document, m).get("name") for m in op.get("messages") or []]
            for name in names:
                if any(wanted) and name not in wanted:
                    continue
                roles[name][op.get("action", "send")].add(service)
        for name, schema in schemas.items():
            self.types[name] = EventType(name, schema, tuple(sorted(roles[name]["send"])),
                                         tuple(sorted(roles[name]["receive"])))

    @classmethod
    def load(cls, directory: Path | str | None = None) -> EventsContract:
        return cls(load_document(EVENTS, directory))

    def _type_const(self, payload: dict[str, Any]) -> str | None:
        schema = self.checker.resolve(payload)
        prop = self.checker.resolve((schema.get("properties") or {}).get("type") or {})
        if "const" in prop:
            return str(prop["const"])
        if len(prop.get("enum") or []) == 1:
            return str(prop["enum"][0])
        return None

    def _service(self, op_id: str, op: dict[str, Any]) -> str:
        for key in ("x-service", "x-sandbox-service"):
            if op.get(key):
                return str(op[key])
        queue = ((op.get("bindings") or {}).get("amqp") or {}).get("queue") or {}
        if queue.get("name"):
            return str(queue["name"])
        return re.split(r"[._:/ -]", op_id)[0]

    def event(self, name: str) -> EventType:
        if name not in self.types:
            raise UnknownOperation(f"events.asyncapi.json has no event type {name!r}; it has: "
                                   + ", ".join(sorted(self.types)))
        return self.types[name]

    def consumed_by(self, queue: str) -> list[str]:
        """The event types the queue ``queue`` consumes."""
        return sorted(n for n, t in self.types.items() if queue in t.consumers)
