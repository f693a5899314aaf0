"""Mocks of the sandbox's services, driven by their contracts (``mocks/contracts/``).

    from mocks import catalog
    with catalog as mock:                       # respx router at http://catalog:8000
        mock.route("GET /internal/products/{sku}").respond(503)
        ...

``catalog``, ``auth``, ``monolith``, ``payments`` and ``webhooks`` are ready mocks (call
one for other options: ``catalog(base_url="http://127.0.0.1:9", seed=7)``);
``BrokerDouble`` takes and feeds events; ``SubscriberMock`` plays a webhook subscriber;
``static_check()`` checks every recorded pact against the providers' contracts.
"""

from __future__ import annotations

from typing import Any

from .broker import BrokerDouble
from .engine import ServiceMock
from .errors import ContractMissing, ContractViolation, MocksError, UnknownOperation
from .plugins import Answer, Call, ServicePlugin
from .state import Collection
from .subscriber import SubscriberMock
from .verify import InteractionResult, PairResult, static_check

SERVICES = ("auth", "catalog", "monolith", "payments", "webhooks")

__all__ = [
    "SERVICES",
    "Answer",
    "BrokerDouble",
    "Call",
    "Collection",
    "ContractMissing",
    "ContractViolation",
    "InteractionResult",
    "MocksError",
    "PairResult",
    "ServiceMock",
    "ServicePlugin",
    "SubscriberMock",
    "UnknownOperation",
    "auth",
    "catalog",
    "monolith",
    "payments",
    "static_check",
    "webhooks",
]

_ready: dict[str, ServiceMock] = {}


def __getattr__(name: str) -> Any:
    """``mocks.catalog`` and the others, made on first use (they read their contract)."""
    if name in SERVICES:
        if name not in _ready:
            _ready[name] = ServiceMock(name)
        return _ready[name]
    raise AttributeError(f"module 'mocks' has no attribute {name!r}")
