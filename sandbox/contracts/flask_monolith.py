"""The monolith's document: flask-openapi3's `app.api_doc`, shaped (`openapi_shape`).

The app is built with stand-ins for its database pool and catalog client, which the
document never touches: building it opens no connection.
"""

from __future__ import annotations

from typing import Any

from .openapi_shape import handler_names, shape
from .registry import Document, contract
from .sources import ensure_services_importable


class _NotOpened:
    """A dependency the document does not need; any use of it is a bug here."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the monolith's document was built without a database or catalog "
                           f"({name!r} used)")


def monolith_app() -> Any:
    """The monolith's Flask app (flask-openapi3), without its database or catalog."""
    ensure_services_importable()
    from services.monolith.app import create_app
    from services.platform.config import Settings

    return create_app(Settings(service="monolith"), secrets=None,  # type: ignore[arg-type]
                      pool=_NotOpened(), catalog=_NotOpened(), checks={})  # type: ignore[arg-type]


@contract("monolith", "monolith.openapi.json", kind="openapi")
def build() -> Document:
    """The shaped OpenAPI 3.1 document of the monolith."""
    raw = monolith_app().api_doc
    return shape(raw, service="monolith", operation_ids=handler_names(raw))
