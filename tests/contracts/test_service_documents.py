"""What the services' documents say, checked against the services' behaviour."""

import pytest

from sandbox import contracts


@pytest.fixture(scope="module")
def docs():
    return contracts.generate_all()


def op(docs, name, method, path):
    return docs[name]["paths"][path][method]


def test_service_documents_include_health_and_internal_routes_but_not_metrics(docs):
    for name in contracts.SERVICES:
        paths = docs[name]["paths"]
        assert {"/health/live", "/health/ready"} <= set(paths), name
        assert "/metrics" not in paths and "/openapi.json" not in paths
    assert "/internal/products/{sku}" in docs["catalog"]["paths"]
    assert "/internal/verify" in docs["auth"]["paths"]


def test_identity_headers_are_gateway_set_parameters_and_401_without_them(docs):
    create = op(docs, "catalog", "post", "/v1/products")
    headers = {p["name"]: p for p in create["parameters"] if p["in"] == "header"}
    assert set(headers) == {"X-User-Id", "X-Client-Id", "X-User-Roles", "X-User-Permissions",
                            "X-Identity-Proof"}
    assert headers["X-User-Id"]["required"] is True
    assert "gateway" in headers["X-User-Id"]["description"]
    assert {"401", "403", "409", "422", "503", "504"} <= set(create["responses"])
    assert "401" in op(docs, "monolith", "post", "/v1/orders")["responses"]


def test_a_route_that_cannot_fail_validation_documents_no_422(docs):
    assert "422" not in op(docs, "catalog", "get", "/health/live")["responses"]
    assert "422" not in op(docs, "monolith", "get", "/v1/customers/me")["responses"]
    assert "422" in op(docs, "catalog", "get", "/v1/products")["responses"]  # limit bounds


def test_operation_ids_are_the_handler_names(docs):
    assert op(docs, "catalog", "get", "/v1/products/{sku}")["operationId"] == "product_get"
    assert op(docs, "monolith", "post", "/v1/orders")["operationId"] == "orders_create"
    assert op(docs, "auth", "get", "/internal/verify")["operationId"] == "verify_get"
    assert op(docs, "auth", "head", "/internal/verify")["operationId"] == "verify_head"


def test_monolith_request_schema_is_the_model_that_validates_it(docs):
    from services.monolith.orders import MAX_ITEMS, MAX_QUANTITY

    body = op(docs, "monolith", "post", "/v1/orders")["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/OrderRequest"}
    schema = docs["monolith"]["components"]["schemas"]["OrderRequest"]
    assert schema["properties"]["items"]["maxItems"] == MAX_ITEMS
    item = docs["monolith"]["components"]["schemas"]["OrderItemIn"]
    assert item["properties"]["quantity"]["maximum"] == MAX_QUANTITY


def test_verify_documents_the_identity_headers_it_answers(docs):
    answer = op(docs, "auth", "get", "/internal/verify")["responses"]["200"]
    assert set(answer["headers"]) == {"X-User-Id", "X-Client-Id", "X-User-Roles",
                                      "X-User-Permissions", "X-Identity-Proof"}
    assert "content" not in answer
