"""Small contract documents of a made-up shop, written to a folder for the mocks' unit tests
(so they do not change when the services' generated contracts do)."""

from __future__ import annotations

import json
from pathlib import Path

PROBLEM = {"type": "object", "required": ["type", "title", "status", "detail"],
           "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                          "status": {"type": "integer"}, "detail": {"type": "string"}}}
PRODUCT = {"type": "object", "required": ["sku", "name", "price_cents", "stock"],
           "properties": {"sku": {"type": "string"}, "name": {"type": "string"},
                          "price_cents": {"type": "integer", "minimum": 0},
                          "stock": {"type": "integer", "minimum": 0}}}
PRODUCT_IN = {"type": "object", "required": ["sku", "name", "price_cents", "stock"],
              "properties": {"sku": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"},
                             "name": {"type": "string", "minLength": 1},
                             "price_cents": {"type": "integer", "minimum": 0},
                             "stock": {"type": "integer", "minimum": 0}}}
IDENTITY = [{"name": "X-User-Id", "in": "header", "required": False,
             "schema": {"type": "string"}}]


def _problems(*codes: int) -> dict:
    return {str(c): {"description": "problem", "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for c in codes}


def _json(schema: dict, status: str = "200") -> dict:
    return {status: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


CATALOG = {
    "openapi": "3.1.0", "info": {"title": "catalog", "version": "1"},
    "paths": {
        "/internal/products/{sku}": {"get": {
            "operationId": "internal_product_get",
            "parameters": [{"name": "sku", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {**_json({"$ref": "#/components/schemas/Product"}),
                          **_problems(404, 503, 504)}}},
        "/v1/products": {
            "get": {"operationId": "products_list", "parameters": [*IDENTITY, {
                "name": "limit", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                "responses": {**_json({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array",
                              "items": {"$ref": "#/components/schemas/Product"}}}}),
                    **_problems(401, 422)}},
            "post": {"operationId": "product_create", "parameters": IDENTITY,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/ProductIn"}}}},
                     "responses": {**_json({"$ref": "#/components/schemas/Product"}, "201"),
                                   **_problems(401, 409, 422)}}},
    },
    "components": {"schemas": {"Problem": PROBLEM, "Product": PRODUCT, "ProductIn": PRODUCT_IN}},
}


def _envelope(type_: str, payload: str) -> dict:
    return {"type": "object", "required": ["id", "type", "occurred_at", "trace_id", "data"],
            "properties": {"id": {"type": "string", "format": "uuid"},
                           "type": {"type": "string", "const": type_},
                           "occurred_at": {"type": "string", "format": "date-time"},
                           "trace_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                           "data": {"$ref": f"#/components/schemas/{payload}"}}}


EVENTS = {
    "asyncapi": "3.0.0", "info": {"title": "events", "version": "1"},
    "channels": {
        "order.created": {"address": "order.created", "messages": {
            "order.created": {"$ref": "#/components/messages/order.created"}}},
        "queue.catalog": {"address": "catalog", "messages": {
            "order.created": {"$ref": "#/components/messages/order.created"}}},
    },
    "operations": {
        "send_order_created": {"action": "send", "x-service": "monolith",
                               "channel": {"$ref": "#/channels/order.created"}},
        "receive_catalog": {"action": "receive", "x-service": "catalog",
                            "channel": {"$ref": "#/channels/queue.catalog"},
                            "messages": [{"$ref": "#/channels/queue.catalog/messages/order.created"}]},
    },
    "components": {
        "messages": {"order.created": {"name": "order.created", "payload": {
            "$ref": "#/components/schemas/OrderCreatedEnvelope"}}},
        "schemas": {
            "OrderCreatedEnvelope": _envelope("order.created", "OrderCreated"),
            "OrderCreated": {"type": "object", "additionalProperties": False,
                             "required": ["order_id", "total_cents"],
                             "properties": {"order_id": {"type": "string", "format": "uuid"},
                                            "total_cents": {"type": "integer", "minimum": 0}}},
        },
    },
}


def write(directory: Path, **changed: dict) -> Path:
    """The documents into ``directory`` (``catalog=`` / ``events=`` replace one)."""
    directory.mkdir(parents=True, exist_ok=True)
    docs = {"catalog.openapi.json": changed.get("catalog", CATALOG),
            "events.asyncapi.json": changed.get("events", EVENTS)}
    for name, doc in docs.items():
        (directory / name).write_text(json.dumps(doc, indent=2))
    return directory
