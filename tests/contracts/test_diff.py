"""The breaking-change engine on small hand-made documents."""

import copy

from sandbox.contracts import diff_asyncapi, diff_openapi, diff_schemas


def api(product=None, body=None, params=None):
    product = product or {"type": "object", "required": ["sku", "price_cents"], "properties": {
        "sku": {"type": "string", "maxLength": 64}, "price_cents": {"type": "number"}}}
    body = body or {"type": "object", "required": ["sku"], "properties": {
        "sku": {"type": "string", "maxLength": 64}, "price_cents": {"type": "number"},
        "kind": {"type": "string"}}}
    return {
        "paths": {
            "/v1/products/{sku}": {"get": {
                "operationId": "product_get",
                "parameters": params if params is not None else [
                    {"name": "sku", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Product"}}}}}}},
            "/v1/products": {"post": {
                "operationId": "product_create",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ProductIn"}}}},
                "responses": {"201": {"description": "created"}}}},
        },
        "components": {"schemas": {"Product": product, "ProductIn": body}},
    }


def lines(changes, breaking=True):
    return [str(c) for c in changes if c.breaking is breaking]


def test_unchanged_document_has_no_changes():
    assert diff_openapi(api(), api(), "catalog") == []


def test_removed_response_field_is_breaking_and_named():
    new = api()
    del new["components"]["schemas"]["Product"]["properties"]["price_cents"]
    new["components"]["schemas"]["Product"]["required"] = ["sku"]
    assert lines(diff_openapi(api(), new, "catalog")) == [
        "catalog GET /v1/products/{sku}: response 200 field 'price_cents' removed"]


def test_removed_route_and_removed_operation_are_breaking():
    new = api()
    del new["paths"]["/v1/products"]
    assert lines(diff_openapi(api(), new, "catalog")) == [
        "catalog POST /v1/products: route removed"]
    new = api()
    new["paths"]["/v1/products"] = {"get": new["paths"]["/v1/products"].pop("post")}
    assert "catalog POST /v1/products: operation removed" in lines(diff_openapi(api(), new, "catalog"))


def test_narrowed_request_types_are_breaking():
    new = api()
    props = new["components"]["schemas"]["ProductIn"]["properties"]
    props["price_cents"]["type"] = "integer"
    props["sku"]["maxLength"] = 32
    props["kind"]["enum"] = ["mug", "plate"]
    assert lines(diff_openapi(api(), new, "catalog")) == [
        "catalog POST /v1/products: request body field 'sku' maxLength lowered 64 → 32",
        "catalog POST /v1/products: request body field 'price_cents' type narrowed number → integer",
        "catalog POST /v1/products: request body field 'kind' new enum restriction ['mug', 'plate']",
    ]


def test_widened_response_type_is_breaking_but_narrowed_one_is_not():
    wider = api()
    wider["components"]["schemas"]["Product"]["properties"]["sku"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "response 200 field 'sku' type widened string → null|string" in " ".join(
        lines(diff_openapi(api(), wider, "catalog")))
    narrower = api()
    narrower["components"]["schemas"]["Product"]["properties"]["price_cents"]["type"] = "integer"
    changes = diff_openapi(api(), narrower, "catalog")
    assert lines(changes) == [] and lines(changes, breaking=False)


def test_new_required_request_field_and_parameter_are_breaking():
    new = api()
    body = new["components"]["schemas"]["ProductIn"]
    body["properties"]["stock"] = {"type": "integer"}
    body["required"] = ["sku", "stock"]
    params = [*api()["paths"]["/v1/products/{sku}"]["get"]["parameters"],
              {"name": "X-Region", "in": "header", "required": True, "schema": {"type": "string"}}]
    new["paths"]["/v1/products/{sku}"]["get"]["parameters"] = params
    assert sorted(lines(diff_openapi(api(), new, "catalog"))) == [
        "catalog GET /v1/products/{sku}: new required header parameter 'X-Region'",
        "catalog POST /v1/products: request body field 'stock' added (required)",
    ]


def test_new_optional_field_and_new_route_are_listed_as_not_breaking():
    new = api()
    new["components"]["schemas"]["ProductIn"]["properties"]["note"] = {"type": "string"}
    new["components"]["schemas"]["Product"]["properties"]["name"] = {"type": "string"}
    new["paths"]["/v1/stock"] = {"get": {"operationId": "stock_get", "responses": {}}}
    changes = diff_openapi(api(), new, "catalog")
    assert lines(changes) == []
    assert sorted(lines(changes, breaking=False)) == [
        "catalog GET /v1/products/{sku}: response 200 field 'name' added (optional)",
        "catalog GET /v1/stock: new route",
        "catalog POST /v1/products: request body field 'note' added (optional)",
    ]


def test_refs_are_resolved_recursively():
    schema = {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"},
                                               "name": {"type": "string"}}}
    old_doc = {"components": {"schemas": {"Node": schema}}}
    new_doc = copy.deepcopy(old_doc)
    del new_doc["components"]["schemas"]["Node"]["properties"]["name"]
    changes = diff_schemas({"$ref": "#/components/schemas/Node"},
                           {"$ref": "#/components/schemas/Node"}, direction="response",
                           where="x", context="payload", old_root=old_doc, new_root=new_doc)
    assert [str(c) for c in changes] == ["x: payload field 'name' removed"]


def events(reason=True, types=("payment.failed",)):
    data = {"type": "object", "required": ["order_id"], "properties": {
        "order_id": {"type": "string"}}}
    if reason:
        data["properties"]["reason"] = {"type": "string"}
        data["required"].append("reason")
    return {"components": {
        "messages": {t: {"name": t, "payload": {"$ref": "#/components/schemas/Env"}}
                     for t in types},
        "schemas": {"Env": {"type": "object", "required": ["id", "data"], "properties": {
            "id": {"type": "string"}, "data": {"$ref": "#/components/schemas/Data"}}},
            "Data": data}}}


def test_removed_event_type_and_payload_field_are_breaking():
    assert lines(diff_asyncapi(events(types=("payment.failed", "order.paid")), events(),
                               "events")) == ["events order.paid: event type removed"]
    assert lines(diff_asyncapi(events(), events(reason=False), "events")) == [
        "events payment.failed: payload field 'data.reason' removed"]
    added = diff_asyncapi(events(), events(types=("payment.failed", "order.paid")), "events")
    assert lines(added) == [] and lines(added, breaking=False) == [
        "events order.paid: new event type"]


def test_an_operation_that_stops_receiving_a_type_is_breaking():
    old, new = events(types=("a.b", "c.d")), events(types=("a.b", "c.d"))
    channel = {"messages": {t: {"$ref": f"#/components/messages/{t}"} for t in ("a.b", "c.d")}}
    old["channels"] = {"q": channel}
    new["channels"] = {"q": channel}
    old["operations"] = {"receive_q": {"action": "receive", "channel": {"$ref": "#/channels/q"},
                                       "messages": [{"$ref": "#/channels/q/messages/a.b"},
                                                    {"$ref": "#/channels/q/messages/c.d"}]}}
    new["operations"] = {"receive_q": {**old["operations"]["receive_q"],
                                       "messages": [{"$ref": "#/channels/q/messages/a.b"}]}}
    assert lines(diff_asyncapi(old, new, "events")) == [
        "events operation receive_q: no longer receives c.d"]


def hooks(*, signature_required=True, total="integer", answers=("2XX", "default")):
    """A document with one webhook: what a subscriber receives and may answer."""
    return {"webhooks": {"order.paid": {"post": {
        "operationId": "deliver_order_paid",
        "parameters": [
            {"name": "X-Sandbox-Signature", "in": "header", "required": signature_required,
             "schema": {"type": "string"}},
            {"name": "X-Sandbox-Event", "in": "header", "required": True,
             "schema": {"type": "string", "const": "order.paid"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["order_id", "total"], "properties": {
                "order_id": {"type": "string"}, "total": {"type": total}}}}}},
        "responses": {code: {"description": code} for code in answers}}}}}


def test_webhooks_are_judged_as_their_subscribers_receive_them():
    assert diff_openapi(hooks(), hooks(), "webhooks") == []
    assert lines(diff_openapi(hooks(), hooks(signature_required=False), "webhooks")) == [
        "webhooks webhook order.paid POST: header 'X-Sandbox-Signature' no longer always sent"]
    # what the body says widened is breaking for a subscriber (a request would be narrowed)
    assert lines(diff_openapi(hooks(), hooks(total="number"), "webhooks")) == [
        "webhooks webhook order.paid POST: body field 'total' type widened integer → number"]
    assert lines(diff_openapi(hooks(total="number"), hooks(), "webhooks")) == []
    new = hooks()
    del new["webhooks"]["order.paid"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["properties"]["total"]
    new["webhooks"]["order.paid"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["required"] = ["order_id"]
    assert lines(diff_openapi(hooks(), new, "webhooks")) == [
        "webhooks webhook order.paid POST: body field 'total' removed"]


def test_webhook_answers_and_removals():
    assert lines(diff_openapi(hooks(), hooks(answers=("200", "default")), "webhooks")) == [
        "webhooks webhook order.paid POST: answer 2XX no longer counted as it was"]
    assert lines(diff_openapi(hooks(), hooks(answers=("2XX", "410", "default")), "webhooks"),
                 breaking=False) == ["webhooks webhook order.paid POST: new answer 410"]
    assert lines(diff_openapi(hooks(), {"webhooks": {}}, "webhooks")) == [
        "webhooks webhook order.paid POST: webhook removed"]
    assert lines(diff_openapi({}, hooks(), "webhooks"), breaking=False) == [
        "webhooks webhook order.paid POST: new webhook"]
