"""The public document: the gateway's routes composed from the services' documents."""

import pytest

from sandbox import contracts
from sandbox.contracts.gateway_routes import parse_routes
from sandbox.contracts.public import compose


@pytest.fixture(scope="module")
def doc():
    return contracts.generate("public")


def test_public_paths_are_the_forwarded_ones_and_no_internal_route(doc):
    paths = set(doc["paths"])
    assert {"/v1/orders", "/v1/orders/{order_id}", "/v1/products/{sku}", "/v1/auth/token",
            "/v1/admin/clients", "/v1/webhooks/subscriptions", "/.well-known/jwks.json"} <= paths
    assert not [p for p in paths if p.startswith(("/internal", "/health/"))]
    assert doc["servers"] == [{"url": "/"}]


def test_identity_headers_are_removed_and_security_says_what_the_gateway_wants(doc):
    for path, method, op in contracts.operations(doc):
        names = {p["name"].lower() for p in op.get("parameters", [])}
        assert not names & {"x-user-id", "x-client-id", "x-user-roles", "x-api-key"}, path
    assert doc["paths"]["/v1/orders"]["post"]["security"] == [{"apiKey": [], "bearerAuth": []}]
    assert doc["paths"]["/v1/auth/token"]["post"]["security"] == [{"apiKey": []}]
    assert doc["paths"]["/.well-known/jwks.json"]["get"]["security"] == []
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiKey"]["name"] == "X-Api-Key" and schemes["bearerAuth"]["scheme"] == "bearer"


def test_gateway_answers_are_added(doc):
    create = doc["paths"]["/v1/orders"]["post"]["responses"]
    assert {"401", "403", "413", "429", "503", "504"} <= set(create)
    assert "1048576 bytes" in create["413"]["description"]  # client_max_body_size 1m
    assert create["429"]["headers"]["Retry-After"]["required"] is True
    assert "Retry-After" in create["503"]["headers"]
    assert "413" not in doc["paths"]["/v1/products/{sku}"]["get"]["responses"]  # no body


def test_schemas_are_the_services_own(doc):
    catalog = contracts.generate("catalog")
    assert doc["components"]["schemas"]["Product"] == catalog["components"]["schemas"]["Product"]


def test_a_schema_name_two_services_use_differently_is_prefixed():
    def service(prop):
        return {"paths": {f"/v1/{prop}": {"get": {"operationId": f"{prop}_read", "responses": {
            "200": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Item"}}}}}}}},
            "components": {"schemas": {"Item": {"type": "object", "properties": {
                prop: {"type": "string"}}}}}}

    config = parse_routes("server { location /v1/ { auth_request /_verify;"
                          " location /v1/a { proxy_pass http://$auth_upstream; }"
                          " location /v1/b { proxy_pass http://$catalog_upstream; } } }")
    doc = compose({"auth": service("a"), "catalog": service("b")}, config)
    assert set(doc["components"]["schemas"]) >= {"Item", "CatalogItem"}
    ref = doc["paths"]["/v1/b"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/CatalogItem"}


def test_the_deliveries_subscribers_receive_are_public_with_every_schema_they_name(doc):
    webhooks_doc = contracts.generate("webhooks")
    assert set(doc["webhooks"]) == set(webhooks_doc["webhooks"]) >= {"order.created"}
    schemas = doc["components"]["schemas"]
    from sandbox.contracts.public import _refs

    missing = _refs(doc["webhooks"]) - set(schemas)
    assert not missing, f"the public webhooks name schemas it does not carry: {missing}"
