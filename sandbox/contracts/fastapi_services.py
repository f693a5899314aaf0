"""The FastAPI services' documents: `app.openapi()`, shaped (`openapi_shape`).

Importing an app opens nothing: its database, broker and cache are opened in its
lifespan, which never runs here.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from typing import Any

from .openapi_shape import METHODS, operations, shape
from .registry import Document, contract
from .sources import ensure_services_importable

APPS = {
    "auth": "services.auth.app",
    "catalog": "services.catalog.app",
    "payments": "services.payments.app",
    "webhooks": "services.webhooks.app",
}


def fastapi_app(service: str) -> Any:
    """The FastAPI app object a service serves (`services.<service>.app:app`)."""
    ensure_services_importable()
    return importlib.import_module(APPS[service]).app


def operation_ids(doc: Document) -> dict[tuple[str, str], str]:
    """(path, method) → the handler's name; `<name>_<method>` for a multi-method handler.

    FastAPI's default operation id is the handler's name, the path (non-word characters
    as `_`) and one of the route's methods: the name is what precedes that tail.

    >>> doc = {"paths": {"/v1/x/{id}": {"get": {"operationId": "x_get_v1_x__id__get"}}}}
    >>> operation_ids(doc)
    {('/v1/x/{id}', 'get'): 'x_get'}
    """
    names: dict[tuple[str, str], str] = {}
    for path, method, op in operations(doc):
        raw = str(op.get("operationId") or "")
        tail = re.sub(r"\W", "_", path)
        found = re.fullmatch(rf"(.+){re.escape(tail)}_(?:{'|'.join(METHODS)})", raw)
        names[(path, method)] = found.group(1) if found else raw
    uses = Counter((path, name) for (path, _), name in names.items())
    return {(path, method): f"{name}_{method}" if uses[(path, name)] > 1 else name
            for (path, method), name in names.items()}


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
    return shape(raw, service=service, operation_ids=operation_ids(raw))


def _register(service: str) -> None:
    contract(service, f"{service}.openapi.json", kind="openapi")(lambda: build(service))


for _service in APPS:
    _register(_service)
