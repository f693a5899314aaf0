"""A webhook subscriber's endpoint, mocked: what the webhook gateway POSTs is checked
against the deliveries' contract.

    with SubscriberMock("https://shop.example/hooks") as subscriber:
        subscriber.route("POST /hooks").respond(503)   # the subscriber is down
        ... Dispatcher(...).deliver_due() ...
        subscriber.served[0].request.headers["webhook-signature"]

The deliveries' contract is the ``webhooks`` section (OpenAPI 3.1) of
``webhooks.openapi.json``, one webhook per event type; a document without one gives
way to ``events.asyncapi.json``: a delivery of each type the ``webhooks`` queue consumes
is a POST of that type's envelope naming its type in ``X-Sandbox-Event``, any 2xx answer
meaning delivered. The operation of a request is chosen by its ``X-Sandbox-Event``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .asyncapi import EventsContract
from .documents import EVENTS, load_document
from .engine import ServiceMock
from .errors import MocksError
from .openapi import Operation, ServiceContract
from .plugins import ServicePlugin

EVENT_HEADER = "x-sandbox-event"
SUBSCRIBER = "subscriber"
QUEUE = "webhooks"


class SubscriberPlugin(ServicePlugin):
    name = SUBSCRIBER
    base_url = "https://subscriber.example"


def delivery_contracts(path: str = "/", directory: Path | str | None = None,
                       provider: str = "webhooks") -> dict[str, ServiceContract]:
    """Event type → a contract whose one operation is ``POST path`` (that delivery)."""
    document = load_document(provider, directory)
    hooks = document.get("webhooks") or {}
    if hooks:
        return {name: ServiceContract(SUBSCRIBER, {**document, "paths": {path: item},
                                                   "webhooks": {}})
                for name, item in hooks.items()}
    events_doc = load_document(EVENTS, directory)
    events = EventsContract(events_doc)
    out = {}
    for name in events.consumed_by(QUEUE):
        item = {"post": {
            "operationId": f"deliver {name}",
            # the one header a delivery is known by (which webhook it is)
            "parameters": [{"name": "X-Sandbox-Event", "in": "header", "required": True,
                            "schema": {"type": "string", "const": name}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": events.types[name].schema}}},
            "responses": {"2XX": {"description": "delivered"},
                          "default": {"description": "not delivered: retried"}}}}
        out[name] = ServiceContract(SUBSCRIBER, {
            "openapi": "3.1.0", "info": {"title": f"delivery of {name}"},
            "paths": {path: item}, "components": events_doc.get("components") or {}})
    if not out:
        raise MocksError(f"no deliveries' contract: {provider}.openapi.json has no 'webhooks' "
                         f"section and no event is consumed by queue {QUEUE!r}")
    return out


class SubscriberMock(ServiceMock):
    """A subscriber endpoint at ``url`` (default ``https://subscriber.example/hooks``)."""

    def __init__(self, url: str = "https://subscriber.example/hooks", *, seed: int = 0,
                 contracts_dir: Path | str | None = None,
                 consumer: str | None = "webhooks") -> None:
        parts = urlsplit(url)
        self.url = url
        contracts = delivery_contracts(parts.path or "/", contracts_dir)
        self._by_event: dict[str, Operation] = {
            name: contract.operations[0] for name, contract in contracts.items()}
        super().__init__(SubscriberPlugin(), base_url=f"{parts.scheme}://{parts.netloc}",
                         seed=seed, contract=next(iter(contracts.values())), consumer=consumer)

    def _effect(self, request: httpx.Request, op: Operation | None) -> Any:
        chosen = self._by_event.get(request.headers.get(EVENT_HEADER, ""))
        return super()._effect(request, chosen or op)
