"""monolith HTTP API (Flask, served by gunicorn): customers and orders."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, jsonify, request

from services.platform.config import Settings
from services.platform.db import open_sync_pool
from services.platform.health import SyncCheck, add_flask_health, sync_db_check
from services.platform.identity import flask_identity
from services.platform.logging import get_logger
from services.platform.metrics import instrument_flask
from services.platform.problem import ProblemError, install_flask_handlers
from services.platform.secrets import SecretsClient

from . import orders
from .orders import CatalogClient

log = get_logger()


def create_app(settings: Settings, secrets: SecretsClient, *, pool: Any = None,
               catalog: CatalogClient | None = None, checks: dict[str, SyncCheck] | None = None) -> Flask:
    """The Flask app; `pool`, `catalog` and `checks` can be injected (tests)."""
    app = Flask("monolith")
    if pool is None:
        pool = open_sync_pool(settings, secrets.get("monolith/db_password"), max_size=4)
    if catalog is None:
        catalog = CatalogClient(settings.catalog_url)
    if checks is None:
        # the web process only talks to its database (and to catalog, per request); the
        # broker is the worker's, which relays the outbox
        checks = {"database": sync_db_check(pool)}
    install_flask_handlers(app)
    instrument_flask(app, "monolith")
    add_flask_health(app, lambda: checks)

    @app.post("/v1/orders")
    def orders_create() -> Any:
        identity = flask_identity()
        items = orders.validate_items(request.get_json(silent=True))
        priced = orders.price_items(items, catalog)  # outside the transaction: no lock held
        with pool.connection() as conn, conn.transaction():
            orders.ensure_customer(conn, identity.user_id, identity.client_id)
            order = orders.create_order(conn, identity.user_id, priced)
        log.info("order.placed", order_id=order["id"], customer_id=identity.user_id,
                 total_cents=order["total_cents"])
        return jsonify(order), 201

    @app.get("/v1/orders/<order_id>")
    def orders_get(order_id: str) -> Any:
        identity = flask_identity()
        try:
            uuid.UUID(order_id)
        except ValueError:
            raise ProblemError(404, "Not Found", "no such order") from None
        with pool.connection() as conn:
            order = orders.load_order(conn, order_id, identity.user_id)
        if order is None:
            raise ProblemError(404, "Not Found", "no such order")
        return jsonify(order)

    @app.get("/v1/customers/me")
    def customers_me() -> Any:
        identity = flask_identity()
        with pool.connection() as conn, conn.transaction():
            customer = orders.ensure_customer(conn, identity.user_id, identity.client_id)
        return jsonify(customer)

    return app
