"""The contract documents, each registered where its builder is defined.

A contract is one committed JSON document in `mocks/contracts/`, built from the code:

>>> @contract("catalog", "catalog.openapi.json", kind="openapi")     # doctest: +SKIP
... def build() -> dict: ...
>>> sorted(CONTRACTS)                                                 # doctest: +SKIP
['auth', 'catalog', 'events', 'monolith', 'payments', 'public', 'webhooks']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Document = dict[str, Any]
Kind = Literal["openapi", "asyncapi"]


@dataclass(frozen=True)
class Contract:
    """One document: its name (a service, `public` or `events`), file, kind and builder."""

    name: str
    filename: str
    kind: Kind
    build: Callable[[], Document]


CONTRACTS: dict[str, Contract] = {}


def contract(name: str, filename: str, *, kind: Kind) -> Callable[[Callable[[], Document]],
                                                                 Callable[[], Document]]:
    """Register `build` as the builder of document `name` (an error on a duplicate name)."""

    def register(build: Callable[[], Document]) -> Callable[[], Document]:
        if name in CONTRACTS:
            raise ValueError(f"contract {name!r} is registered twice "
                             f"({CONTRACTS[name].build.__module__} and {build.__module__})")
        CONTRACTS[name] = Contract(name, filename, kind, build)
        return build

    return register
