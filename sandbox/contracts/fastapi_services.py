"""The FastAPI services' documents: `app.openapi()`, shaped (`openapi_shape`).

Importing an app opens nothing: its database, broker and cache are opened in its
lifespan, which never runs here. A service that also sends requests of its own adds
them here (`COMPLETIONS`): the webhooks document gains its deliveries to subscribers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .openapi_shape import handler_names, shape
from .registry import Document, contract
from .sources import ensure_services_importable
from .webhook_deliveries import with_deliveries

APPS = {
    "auth": "services.auth.app",
    "catalog": "services.catalog.app",
    "payments": "services.payments.app",
    "provider": "services.provider.app",
    "webhooks": "services.webhooks.app",
}
COMPLETIONS: dict[str, Callable[[Document], Document]] = {
    # OpenAPI 3.1 `webhooks`: the signed POSTs the webhooks worker makes to subscribers
    "webhooks": with_deliveries,
}


def fastapi_app(service: str) -> Any:
    """The FastAPI app object a service serves (`services.<service>.app:app`)."""
    ensure_services_importable()
    return importlib.import_module(APPS[service]).app


def build(service: str) -> Document:
    """The shaped OpenAPI 3.1 document of one FastAPI service."""
    import warnings

    app = fastapi_app(service)
    app.openapi_schema = None  # built afresh: the app may have gained routes since
    with warnings.catch_warnings():
        # FastAPI warns of the duplicate ids it gives multi-method handlers; ours are unique
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        raw = app.openapi()
    app.openapi_schema = None
    doc = shape(raw, service=service, operation_ids=handler_names(raw))
    complete = COMPLETIONS.get(service)
    return complete(doc) if complete else doc


def _register(service: str) -> None:
    contract(service, f"{service}.openapi.json", kind="openapi")(lambda: build(service))


for _service in APPS:
    _register(_service)
