"""One difference between two versions of a contract."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Change:
    """`where: what`, e.g. `catalog GET /v1/products/{sku}: response 200 field 'price_cents' removed`.

    >>> str(Change(True, "catalog GET /v1/products", "operation removed"))
    'catalog GET /v1/products: operation removed'
    """

    breaking: bool
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"
