"""catalog: products, created by admins, read back by the public and internal routes."""

from __future__ import annotations

from ..plugins import ServicePlugin
from ..state import Collection


class CatalogPlugin(ServicePlugin):
    name = "catalog"
    base_url = "http://catalog:8000"
    collections = (
        Collection("products", key="sku", create="POST /v1/products",
                   read=("GET /v1/products/{sku}", "GET /internal/products/{sku}"),
                   lists=("GET /v1/products",)),
    )
