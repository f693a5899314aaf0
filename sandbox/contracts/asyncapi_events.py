"""The broker's document (AsyncAPI 3.0), from the payload models and the broker definitions.

    services/<service>/events.py ──► who publishes each type, its payload schema
    compose/rabbitmq/definitions.json ──► which queue receives it (bindings on `events`)

Channels: one per event type (address = the routing key on the topic exchange
`events`), one per consumer queue (`queue.<name>`, the messages its bindings route to
it). Operations: `send_<type>` by the publishing service, `receive_<queue>` by its
consumer. Each message is the envelope (`services/platform/events.Envelope`) with
`type` fixed and `data` the type's payload model.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

from .registry import Document, contract
from .sources import BROKER_DEFINITIONS, ensure_services_importable

EXCHANGE = "events"
AMQP_BINDING_VERSION = "0.3.0"
PUBLISHERS = {
    # the module declaring a service's payloads; the service publishes them (outbox)
    "auth": "services.auth.events",
    "monolith": "services.monolith.events",
    "catalog": "services.catalog.events",
    "payments": "services.payments.events",
    # the provider's verified callbacks, published by the webhook gateway's inbound route
    "webhooks": "services.webhooks.inbound",
}
REF_TEMPLATE = "#/components/schemas/{model}"


def payload_models() -> dict[str, tuple[str, type]]:
    """Event type → (publishing service, payload model), from the services' `events` modules."""
    ensure_services_importable()
    from services.platform.events import EventPayload

    found: dict[str, tuple[str, type]] = {}
    for service, module_name in PUBLISHERS.items():
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, EventPayload)
                    and value.__module__ == module_name):
                found[value.event_type] = (service, value)
    return dict(sorted(found.items()))


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is one word, `#` zero or more.

    >>> topic_matches("order.#", "order.paid"), topic_matches("auth.*", "auth.a.b")
    (True, False)
    >>> topic_matches("#", "stock.reserved"), topic_matches("payment.failed", "payment.failed")
    (True, True)
    """
    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        head, rest = pattern[0], pattern[1:]
        if head == "#":
            return any(match(rest, words[i:]) for i in range(len(words) + 1))
        return bool(words) and head in ("*", words[0]) and match(rest, words[1:])

    return match(binding_key.split("."), routing_key.split("."))


def consumers(definitions: dict[str, Any], event_types: list[str]) -> dict[str, dict[str, Any]]:
    """Queue → {"queue": its definition, "bindings": keys, "types": event types routed to it}."""
    queues = {q["name"]: q for q in definitions.get("queues", [])}
    out: dict[str, dict[str, Any]] = {}
    for binding in definitions.get("bindings", []):
        if binding.get("source") != EXCHANGE or binding.get("destination_type") != "queue":
            continue
        name = binding["destination"]
        entry = out.setdefault(name, {"queue": queues.get(name, {"name": name}), "bindings": [],
                                      "types": []})
        entry["bindings"].append(binding["routing_key"])
        for event_type in event_types:
            if topic_matches(binding["routing_key"], event_type) and event_type not in entry["types"]:
                entry["types"].append(event_type)
    for entry in out.values():
        entry["types"].sort()
        entry["bindings"].sort()
    return dict(sorted(out.items()))


def _ident(event_type: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", event_type)


def _exchange_binding() -> dict[str, Any]:
    return {"amqp": {"is": "routingKey", "bindingVersion": AMQP_BINDING_VERSION,
                     "exchange": {"name": EXCHANGE, "type": "topic", "durable": True,
                                  "autoDelete": False, "vhost": "/"}}}


def _queue_binding(queue: dict[str, Any]) -> dict[str, Any]:
    return {"amqp": {"is": "queue", "bindingVersion": AMQP_BINDING_VERSION,
                     "queue": {"name": queue["name"], "durable": bool(queue.get("durable", True)),
                               "exclusive": False,
                               "autoDelete": bool(queue.get("auto_delete", False)),
                               "vhost": queue.get("vhost", "/")}}}


def build_document(models: dict[str, tuple[str, type]], definitions: dict[str, Any]) -> Document:
    """The AsyncAPI 3.0 document for these payload models and broker definitions."""
    from services.platform.events import envelope_model

    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event_type, (service, model) in models.items():
        envelope = envelope_model(model)
        schema = envelope.model_json_schema(ref_template=REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[envelope.__name__] = schema
        messages[event_type] = {
            "name": event_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": "application/json",
            "payload": {"$ref": REF_TEMPLATE.format(model=envelope.__name__)},
            "bindings": {"amqp": {"messageType": event_type, "deliveryMode": 2,
                                  "bindingVersion": AMQP_BINDING_VERSION}},
            "x-publisher": service,
        }
        channels[event_type] = {
            "address": event_type,
            "description": f"routing key {event_type!r} on the topic exchange {EXCHANGE!r}",
            "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
            "bindings": _exchange_binding(),
        }
        operations[f"send_{_ident(event_type)}"] = {
            "action": "send",
            "summary": f"{service} publishes {event_type} (outbox, publisher confirms, persistent)",
            "channel": {"$ref": f"#/channels/{event_type}"},
            "messages": [{"$ref": f"#/channels/{event_type}/messages/{event_type}"}],
            "x-service": service,
        }
    for name, entry in consumers(definitions, list(models)).items():
        channel_id = f"queue.{name}"
        queue = entry["queue"]
        dead_letter = (queue.get("arguments") or {}).get("x-dead-letter-routing-key")
        channels[channel_id] = {
            "address": name,
            "description": f"queue {name!r}, bound to {EXCHANGE!r} by "
                           f"{', '.join(entry['bindings'])}"
                           + (f"; dead letters to {dead_letter!r}" if dead_letter else ""),
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in entry["types"]},
            "bindings": _queue_binding(queue),
            "x-bindings": entry["bindings"],
        }
        operations[f"receive_{_ident(name)}"] = {
            "action": "receive",
            "summary": f"{name} consumes its queue (manual ack, retried, then dead-lettered)",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{t}"} for t in entry["types"]],
            "x-service": name,
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "sandbox events", "version": "0.1.0",
                 "description": "Every message on the broker: exchange `events` (topic), "
                                "routing key = the event type, a JSON envelope whose `data` "
                                "is the type's payload."},
        "defaultContentType": "application/json",
        "servers": {"broker": {"host": "broker:5672", "protocol": "amqp",
                               "protocolVersion": "0.9.1",
                               "description": "RabbitMQ on the sandbox's private network"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


@contract("events", "events.asyncapi.json", kind="asyncapi")
def build(definitions_path: Path = BROKER_DEFINITIONS) -> Document:
    """The events document of this checkout."""
    definitions = json.loads(definitions_path.read_text(encoding="utf-8"))
    return build_document(payload_models(), definitions)
