"""SQL of the webhook gateway: subscriptions, deliveries, alerts."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg.types.json import Jsonb

SUB_COLUMNS = "id, customer_id, url, events, created_at"
OWNER_FIELD = "customer_id"
"""The payload field naming whose subscriptions an event goes to: without it, no delivery."""
DELIVERY_COLUMNS = ("id, subscription_id, event_id, event_type, order_id, url, status, attempts, "
                    "last_status_code, last_error, created_at, delivered_at")


def matches(patterns: list[str], event_type: str) -> bool:
    """A subscription pattern is an exact type, `*`, or a prefix ending in `.*`.

    >>> matches(["order.*"], "order.paid"), matches(["order.paid"], "order.created")
    (True, False)
    """
    for p in patterns:
        if p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1])):
            return True
    return False


async def create_subscription(conn: Any, customer_id: str, url: str, events: list[str]) -> dict[str, Any]:
    cur = await conn.execute(
        f"INSERT INTO subscriptions (id, customer_id, url, events) VALUES (%s, %s, %s, %s) "
        f"RETURNING {SUB_COLUMNS}", (str(uuid.uuid4()), customer_id, url, events))
    return await cur.fetchone()


async def list_subscriptions(conn: Any, customer_id: str) -> list[dict[str, Any]]:
    cur = await conn.execute(f"SELECT {SUB_COLUMNS} FROM subscriptions WHERE customer_id = %s "
                             "ORDER BY created_at", (customer_id,))
    return await cur.fetchall()


async def create_deliveries(conn: Any, envelope: dict[str, Any]) -> int:
    """One pending delivery per subscription of the event's customer that matches its type."""
    data = envelope.get("data") or {}
    customer_id = data.get(OWNER_FIELD)
    if not customer_id:
        return 0
    subs = await list_subscriptions(conn, str(customer_id))
    count = 0
    for sub in subs:
        if not matches(list(sub["events"]), envelope["type"]):
            continue
        await conn.execute(
            "INSERT INTO deliveries (id, subscription_id, customer_id, event_id, event_type, "
            "order_id, url, body) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (subscription_id, event_id) DO NOTHING",
            (str(uuid.uuid4()), sub["id"], str(customer_id), envelope["id"], envelope["type"],
             str(data["order_id"]) if data.get("order_id") else None, sub["url"], Jsonb(envelope)),
        )
        count += 1
    return count


async def claim_due(conn: Any, limit: int, lease_s: float) -> list[dict[str, Any]]:
    """Lease due pending deliveries (SKIP LOCKED) by pushing their next attempt forward."""
    cur = await conn.execute(
        "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => %s) "
        "WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' "
        "AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) "
        "RETURNING id, event_type, url, body, attempts",
        (lease_s, limit),
    )
    return await cur.fetchall()


async def record_attempt(conn: Any, delivery_id: str, *, ok: bool, status_code: int | None,
                         error: str | None, give_up: bool, retry_in_s: float) -> None:
    """Store the outcome of one attempt: delivered, failed for good, or retried later."""
    status = "delivered" if ok else ("failed" if give_up else "pending")
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, status = %s, last_status_code = %s, "
        "last_error = %s, delivered_at = CASE WHEN %s THEN now() ELSE delivered_at END, "
        "next_attempt_at = now() + make_interval(secs => %s) WHERE id = %s",
        (status, status_code, error, ok, retry_in_s, delivery_id),
    )


async def list_deliveries(conn: Any, customer_id: str, order_id: str | None) -> list[dict[str, Any]]:
    sql = f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE customer_id = %s"
    params: list[Any] = [customer_id]
    if order_id:
        sql += " AND order_id = %s"
        params.append(order_id)
    cur = await conn.execute(sql + " ORDER BY created_at LIMIT 200", params)
    return await cur.fetchall()


async def store_alerts(conn: Any, payload: dict[str, Any]) -> int:
    """Store each alert of an Alertmanager webhook payload."""
    alerts = payload.get("alerts") or []
    for alert in alerts:
        labels = alert.get("labels") or {}
        await conn.execute(
            "INSERT INTO alerts (alertname, status, labels, annotations, starts_at, receiver) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (labels.get("alertname"), alert.get("status") or payload.get("status"),
             Jsonb(labels), Jsonb(alert.get("annotations") or {}), alert.get("startsAt"),
             payload.get("receiver")),
        )
    return len(alerts)


async def list_alerts(conn: Any, limit: int, alertname: str | None) -> list[dict[str, Any]]:
    sql = ("SELECT id, received_at, alertname, status, labels, annotations, starts_at, receiver "
           "FROM alerts")
    params: list[Any] = []
    if alertname:
        sql += " WHERE alertname = %s"
        params.append(alertname)
    cur = await conn.execute(sql + " ORDER BY id DESC LIMIT %s", [*params, limit])
    return await cur.fetchall()
