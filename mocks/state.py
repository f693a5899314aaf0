"""What a stateful mock remembers: collections of items, keyed as the API keys them.

A plug-in declares each resource once (which operation creates it, which read it back or
list it); the engine does the rest, so a POST then a GET returns what was created.

>>> products = Collection("products", key="sku", create="POST /v1/products",
...                       read=("GET /internal/products/{sku}",), lists=("GET /v1/products",))
>>> store = Store()
>>> store.put(products, {"sku": "SKU-1", "name": "Mug"})
>>> store.get(products, "SKU-1")["name"], [p["sku"] for p in store.items(products)]
('Mug', ['SKU-1'])
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Collection:
    """A resource of the API: created by one operation, read back or listed by others.

    ``key`` is the item's field naming it, ``key_param`` the path parameter carrying it
    in reads (default: ``key``); ``filters`` map query parameters of the list operations
    to item fields; ``owner`` is the item field holding the caller (``X-User-Id``): items
    of other callers are neither listed nor read.
    """

    name: str
    key: str
    create: str | None = None
    read: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    key_param: str | None = None
    list_field: str = "items"
    filters: tuple[tuple[str, str], ...] = ()
    owner: str | None = None

    def role_of(self, op_key: str) -> str | None:
        """"create", "read", "list", or None for an operation not about this collection."""
        if op_key == self.create:
            return "create"
        if op_key in self.read:
            return "read"
        if op_key in self.lists:
            return "list"
        return None


class Store:
    """Items per collection, in insertion order; values are copied in and out."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, dict[str, Any]]] = {}

    def put(self, collection: Collection, item: dict[str, Any]) -> None:
        self._items.setdefault(collection.name, {})[str(item[collection.key])] = copy.deepcopy(item)

    def get(self, collection: Collection, key: str) -> dict[str, Any] | None:
        item = self._items.get(collection.name, {}).get(str(key))
        return copy.deepcopy(item) if item is not None else None

    def items(self, collection: Collection) -> list[dict[str, Any]]:
        return [copy.deepcopy(i) for i in self._items.get(collection.name, {}).values()]

    def clear(self) -> None:
        self._items.clear()


def merge(generated: Any, given: Any) -> Any:
    """``given`` laid over ``generated``: only fields the generated value has (the response
    schema's), lists item by item (the first generated item is the template of extra ones).

    >>> merge({"id": "x", "items": [{"sku": "g", "price_cents": 5}]},
    ...       {"items": [{"sku": "A"}, {"sku": "B"}], "unknown": 1})
    {'id': 'x', 'items': [{'sku': 'A', 'price_cents': 5}, {'sku': 'B', 'price_cents': 5}]}
    """
    if isinstance(generated, dict) and isinstance(given, dict):
        return {k: (merge(v, given[k]) if k in given else v) for k, v in generated.items()}
    if isinstance(generated, list) and isinstance(given, list):
        if not generated:
            return copy.deepcopy(given)
        return [merge(generated[i] if i < len(generated) else generated[0], g)
                for i, g in enumerate(given)]
    return copy.deepcopy(given)
