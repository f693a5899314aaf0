"""The README's first mock test, word for word (README.md, "Contracts and mocks")."""

import pytest

from services.monolith.orders import CatalogClient
from services.platform.problem import ProblemError


def test_an_order_is_priced_from_catalog(catalog_mock):
    catalog_mock.add("products", sku="SKU-1", name="Mug", price_cents=1250, stock=3)
    client = CatalogClient("http://catalog:8000")
    assert client.product("SKU-1")["price_cents"] == 1250
    catalog_mock.route("GET /internal/products/{sku}", sku="SKU-1").respond(503)
    with pytest.raises(ProblemError):
        client.product("SKU-1")
