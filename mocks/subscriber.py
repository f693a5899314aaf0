"""A webhook subscriber's endpoint, mocked: what the webhook gateway POSTs is checked
against the ``webhooks`` section (OpenAPI 3.1) of ``webhooks.openapi.json``.

    with SubscriberMock("https://shop.example/hooks") as subscriber:
        subscriber.route("POST /hooks").respond(503)   # the subscriber is down
        ... Dispatcher(...).deliver_due() ...
        subscriber.served[0].request.headers["x-sandbox-signature"]

The webhook operation is chosen by the request's ``X-Sandbox-Event`` (a webhook named
after the event type), else the document's first webhook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .documents import load_document
from .engine import ServiceMock
from .errors import MocksError
from .openapi import Operation, ServiceContract
from .plugins import ServicePlugin

EVENT_HEADER = "x-sandbox-event"


class SubscriberPlugin(ServicePlugin):
    name = "subscriber"
    base_url = "https://subscriber.example"


class SubscriberMock(ServiceMock):
    """A subscriber endpoint at ``url`` (default ``https://subscriber.example/hooks``)."""

    def __init__(self, url: str = "https://subscriber.example/hooks", *, seed: int = 0,
                 contracts_dir: Path | str | None = None, consumer: str | None = "webhooks",
                 provider: str = "webhooks") -> None:
        parts = urlsplit(url)
        self.url = url
        document = load_document(provider, contracts_dir)
        hooks = document.get("webhooks") or {}
        if not hooks:
            raise MocksError(f"{provider}.openapi.json has no 'webhooks' section: the "
                             "deliveries' contract belongs there (OpenAPI 3.1 webhooks)")
        self._by_event: dict[str, Operation] = {}
        first: ServiceContract | None = None
        for name, item in hooks.items():
            doc = {**document, "paths": {parts.path or "/": item}, "webhooks": {}}
            contract = ServiceContract("subscriber", doc)
            first = first or contract
            for op in contract.operations:
                self._by_event[name] = op
        assert first is not None
        super().__init__(SubscriberPlugin(), base_url=f"{parts.scheme}://{parts.netloc}",
                         seed=seed, contract=first, consumer=consumer)

    def _effect(self, request: httpx.Request, op: Operation | None) -> Any:
        chosen = self._by_event.get(request.headers.get(EVENT_HEADER, ""))
        return super()._effect(request, chosen or op)
