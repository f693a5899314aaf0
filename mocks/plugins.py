"""The extension point: one small plug-in per service (``mocks/services/<name>.py``).

A plug-in says where the service lives, which operations create, read and list which
resource (``Collection``), and, when the API has behaviour beyond that, answers some
calls itself. It registers itself by being defined; a second plug-in of the same name
is an error.

    class CatalogPlugin(ServicePlugin):
        name = "catalog"
        base_url = "http://catalog:8000"
        collections = (Collection("products", key="sku", create="POST /v1/products",
                                  read=("GET /internal/products/{sku}",)),)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import MocksError
from .openapi import Operation
from .state import Collection, Store
from .validation import NO_BODY, Exchange


@dataclass
class Answer:
    """What a mock answers: a status, a JSON body (or none), headers."""

    status: int
    body: Any = NO_BODY
    headers: dict[str, str] = field(default_factory=dict)
    provider_state: str | None = None


@dataclass
class Call:
    """One request as a plug-in sees it, with the tools to answer it."""

    op: Operation
    request: Exchange
    store: Store
    generate: Callable[[int], Any]
    """``generate(status)``: a body for that status from the contract (seeded by the request)."""
    problem: Callable[[int, str], Answer]
    """``problem(status, detail)``: the service's problem+json answer."""

    @property
    def caller(self) -> str:
        """The gateway's ``X-User-Id`` on the request ("" when absent)."""
        return self.request.headers.get("x-user-id", "").strip()


class ServicePlugin:
    """A service's knowledge the contract does not hold. Subclasses register themselves."""

    name: ClassVar[str]
    base_url: ClassVar[str]
    collections: ClassVar[tuple[Collection, ...]] = ()
    registry: ClassVar[dict[str, type[ServicePlugin]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name in ServicePlugin.registry:
            raise MocksError(f"a mock plug-in named {cls.name!r} exists already "
                             f"({ServicePlugin.registry[cls.name].__module__}): rename one")
        ServicePlugin.registry[cls.name] = cls

    def answer(self, call: Call) -> Answer | None:
        """Answer ``call`` when the service does more than store and return (else None)."""
        return None

    def created(self, collection: Collection, call: Call, item: dict[str, Any]) -> dict[str, Any]:
        """Fill what the service derives in a new item (a total, a first status)."""
        return item


def plugin_for(name: str) -> ServicePlugin:
    """A new instance of the registered plug-in ``name``."""
    from . import services  # noqa: F401 - the plug-ins register on import

    if name not in ServicePlugin.registry:
        known = ", ".join(sorted(ServicePlugin.registry))
        raise MocksError(f"no mock plug-in named {name!r}; there are: {known}")
    return ServicePlugin.registry[name]()
