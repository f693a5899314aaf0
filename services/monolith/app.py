"""monolith HTTP API (Flask + flask-openapi3, served by gunicorn): customers and orders.

The request models (`orders.OrderRequest`, the gateway's `GatewayIdentity` headers, the
path) validate each request and are the API document's schemas: a bad body is a 422
problem naming the field, a request without the gateway's identity a 401 problem.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify
from flask_openapi3 import Info, OpenAPI
from pydantic import BaseModel, Field

from services.platform.config import Settings
from services.platform.db import open_sync_pool
from services.platform.health import SyncCheck, add_flask_health, sync_db_check
from services.platform.identity import GatewayIdentity
from services.platform.logging import get_logger
from services.platform.metrics import instrument_flask
from services.platform.problem import (
    Problem,
    ProblemError,
    ValidationProblem,
    flask_validation_response,
    install_flask_handlers,
)
from services.platform.secrets import SecretsClient

from . import idempotency, orders
from .orders import CatalogClient, Customer, Order, OrderPlaced, OrderRequest

log = get_logger()


class OrderPath(BaseModel):
    order_id: str


class OrderHeaders(GatewayIdentity):
    """The gateway's identity, and the client's optional `Idempotency-Key`."""

    idempotency_key: str | None = Field(
        None, alias=idempotency.HEADER, pattern=idempotency.KEY_PATTERN,
        description="makes a retry safe: the same key with the same body returns the first "
        f"order (with `{idempotency.REPLAYED_HEADER}: true`), with another body a 422; "
        f"1 to 255 visible ASCII characters, kept {idempotency.KEY_TTL_HOURS} hours per customer")


def answers(model: type[BaseModel], *problems: int, status: int = 200) -> dict[int, Any]:
    """flask-openapi3 `responses=`: the success body at `status` and the problems answered."""
    return {status: model, **{code: Problem for code in problems}}


def create_app(settings: Settings, secrets: SecretsClient, *, pool: Any = None,
               catalog: CatalogClient | None = None, checks: dict[str, SyncCheck] | None = None) -> OpenAPI:
    """The Flask app; `pool`, `catalog` and `checks` can be injected (tests)."""
    app = OpenAPI("monolith", info=Info(title="monolith", version="0.1.0"), doc_ui=False,
                  # every route can answer 503 (a dependency down) and 504 (one slow)
                  responses={503: Problem, 504: Problem},
                  validation_error_status=422, validation_error_model=ValidationProblem,
                  validation_error_callback=flask_validation_response)
    if pool is None:
        pool = open_sync_pool(settings, secrets.get("monolith/db_password"), max_size=8)
    if catalog is None:
        catalog = CatalogClient(settings.catalog_url)
    if checks is None:
        # the web process only talks to its database (and to catalog, per request); the
        # broker is the worker's, which relays the outbox
        checks = {"database": sync_db_check(pool)}
    install_flask_handlers(app)
    instrument_flask(app, "monolith")
    add_flask_health(app, lambda: checks)

    @app.post("/v1/orders", responses=answers(OrderPlaced, 401, 409, 422, status=201))
    def orders_create(header: OrderHeaders, body: OrderRequest) -> Any:
        """Place an order: priced from catalog, stored with its `order.created` event.

        With an `Idempotency-Key`, a retry of the same request returns the first order."""
        identity = header.identity()
        key = header.idempotency_key
        request_hash = idempotency.fingerprint(body.model_dump())
        if key is not None:
            with pool.connection() as conn:
                replay = idempotency.find(conn, identity.user_id, key, request_hash)
            if replay is not None:
                return _replayed(replay)
        items = [item.model_dump() for item in body.items]
        priced = orders.price_items(items, catalog)  # outside the transaction: no lock held
        with pool.connection() as conn, conn.transaction():
            orders.ensure_customer(conn, identity.user_id, identity.client_id)
            if key is not None:
                replay = idempotency.claim(conn, identity.user_id, key, request_hash)
                if replay is not None:
                    return _replayed(replay)
            order = orders.create_order(conn, identity.user_id, priced)
            if key is not None:
                idempotency.store(conn, identity.user_id, key, order)
        log.info("order.placed", order_id=order["id"], customer_id=identity.user_id,
                 total_cents=order["total_cents"], idempotency_key=key is not None)
        return jsonify(order), 201

    @app.get("/v1/orders/<order_id>", responses=answers(Order, 401, 404))
    def orders_get(header: GatewayIdentity, path: OrderPath) -> Any:
        """One of the caller's orders (another customer's order is not found)."""
        identity = header.identity()
        try:
            uuid.UUID(path.order_id)
        except ValueError:
            raise ProblemError(404, "Not Found", "no such order") from None
        with pool.connection() as conn:
            order = orders.load_order(conn, path.order_id, identity.user_id)
        if order is None:
            raise ProblemError(404, "Not Found", "no such order")
        return jsonify(order)

    @app.get("/v1/customers/me", responses=answers(Customer, 401))
    def customers_me(header: GatewayIdentity) -> Any:
        """The caller as a customer, created on first use."""
        identity = header.identity()
        with pool.connection() as conn, conn.transaction():
            customer = orders.ensure_customer(conn, identity.user_id, identity.client_id)
        return jsonify(customer)

    return app


def _replayed(replay: idempotency.Replay) -> Any:
    log.info("order.replayed", order_id=replay.response.get("id"))
    return jsonify(replay.response), 201, {idempotency.REPLAYED_HEADER: "true"}
