"""SQL of the webhook gateway: subscriptions (with their signing secrets), deliveries, alerts.

A subscription's secrets are read only by ``subscription_secrets`` and ``claim_due`` (for
the worker to sign); ``SUB_COLUMNS``, what the API answers with, never holds them.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg.types.json import Jsonb

from services.platform.tracing import current_traceparent

SUB_COLUMNS = ("id, customer_id, url, events, created_at, status, disabled_at, disabled_reason, "
               "secret_rotated_at, previous_secret_expires_at")
OWNER_FIELD = "customer_id"
"""The payload field naming whose subscriptions an event goes to: without it, no delivery."""
DELIVERY_COLUMNS = ("id, subscription_id, event_id, event_type, order_id, url, status, attempts, "
                    "last_status_code, last_error, created_at, delivered_at, next_attempt_at")
DELIVERY_STATUSES = ("pending", "delivered", "dead")


def matches(patterns: list[str], event_type: str) -> bool:
    """A subscription pattern is an exact type, `*`, or a prefix ending in `.*`.

    >>> matches(["order.*"], "order.paid"), matches(["order.paid"], "order.created")
    (True, False)
    """
    for p in patterns:
        if p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1])):
            return True
    return False


async def create_subscription(conn: Any, customer_id: str, url: str, events: list[str],
                              secret: str) -> dict[str, Any]:
    cur = await conn.execute(
        f"INSERT INTO subscriptions (id, customer_id, url, events, secret) "
        f"VALUES (%s, %s, %s, %s, %s) RETURNING {SUB_COLUMNS}",
        (str(uuid.uuid4()), customer_id, url, events, secret))
    return await cur.fetchone()


async def list_subscriptions(conn: Any, customer_id: str) -> list[dict[str, Any]]:
    cur = await conn.execute(f"SELECT {SUB_COLUMNS} FROM subscriptions WHERE customer_id = %s "
                             "ORDER BY created_at", (customer_id,))
    return await cur.fetchall()


async def get_subscription(conn: Any, customer_id: str, subscription_id: str) -> dict[str, Any] | None:
    """The customer's subscription, or None (another customer's is None too)."""
    cur = await conn.execute(f"SELECT {SUB_COLUMNS} FROM subscriptions WHERE customer_id = %s "
                             "AND id = %s", (customer_id, subscription_id))
    return await cur.fetchone()


async def rotate_secret(conn: Any, customer_id: str, subscription_id: str, secret: str,
                        overlap_s: int) -> dict[str, Any] | None:
    """Make ``secret`` current; the one it replaces keeps signing for ``overlap_s`` seconds
    (0: not at all). None when the customer has no such subscription."""
    cur = await conn.execute(
        "UPDATE subscriptions SET previous_secret = CASE WHEN %s > 0 THEN secret END, "
        "previous_secret_expires_at = CASE WHEN %s > 0 "
        "THEN now() + make_interval(secs => %s) END, "
        "secret = %s, secret_rotated_at = now() WHERE customer_id = %s AND id = %s "
        f"RETURNING {SUB_COLUMNS}",
        (overlap_s, overlap_s, overlap_s, secret, customer_id, subscription_id))
    return await cur.fetchone()


async def disable_subscription(conn: Any, subscription_id: str, reason: str) -> None:
    """No more deliveries to it: disabled, and its pending deliveries dead."""
    await conn.execute(
        "UPDATE subscriptions SET status = 'disabled', disabled_at = now(), disabled_reason = %s "
        "WHERE id = %s AND status <> 'disabled'", (reason, subscription_id))
    await conn.execute(
        "UPDATE deliveries SET status = 'dead', last_error = %s "
        "WHERE subscription_id = %s AND status = 'pending'",
        (f"subscription disabled: {reason}", subscription_id))


async def create_deliveries(conn: Any, envelope: dict[str, Any]) -> int:
    """One pending delivery per subscription of the event's customer that matches its type."""
    data = envelope.get("data") or {}
    customer_id = data.get(OWNER_FIELD)
    if not customer_id:
        return 0
    subs = await list_subscriptions(conn, str(customer_id))
    count = 0
    for sub in subs:
        if sub.get("status", "active") != "active" or not matches(list(sub["events"]), envelope["type"]):
            continue
        await conn.execute(
            "INSERT INTO deliveries (id, subscription_id, customer_id, event_id, event_type, "
            "order_id, url, body, traceparent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (subscription_id, event_id) DO NOTHING",
            (str(uuid.uuid4()), sub["id"], str(customer_id), envelope["id"], envelope["type"],
             str(data["order_id"]) if data.get("order_id") else None, sub["url"], Jsonb(envelope),
             current_traceparent()),
        )
        count += 1
    return count


async def claim_due(conn: Any, limit: int, lease_s: float) -> list[dict[str, Any]]:
    """Lease due pending deliveries (SKIP LOCKED) by pushing their next attempt forward;
    each row with its subscription's status and the secrets that sign it now (the
    current one first, the previous one while the rotation's overlap lasts)."""
    cur = await conn.execute(
        "UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => %s) "
        "FROM subscriptions s WHERE s.id = d.subscription_id "
        "AND d.id IN (SELECT id FROM deliveries WHERE status = 'pending' "
        "AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) "
        "RETURNING d.id, d.subscription_id, d.event_type, d.url, d.body, d.attempts, "
        "d.traceparent, "
        "s.status AS subscription_status, s.secret, "
        "CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END "
        "AS previous_secret",
        (lease_s, limit),
    )
    return await cur.fetchall()


async def record_attempt(conn: Any, delivery_id: str, *, ok: bool, status_code: int | None,
                         error: str | None, give_up: bool, retry_in_s: float) -> None:
    """Store the outcome of one attempt: delivered, dead (given up: the dead-letter state),
    or retried in ``retry_in_s`` seconds."""
    status = "delivered" if ok else ("dead" if give_up else "pending")
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, status = %s, last_status_code = %s, "
        "last_error = %s, delivered_at = CASE WHEN %s THEN now() ELSE delivered_at END, "
        "next_attempt_at = now() + make_interval(secs => %s) WHERE id = %s",
        (status, status_code, error, ok, retry_in_s, delivery_id),
    )


async def get_delivery(conn: Any, customer_id: str, delivery_id: str) -> dict[str, Any] | None:
    """The customer's delivery with its subscription's status, or None."""
    cur = await conn.execute(
        f"SELECT {', '.join('d.' + c.strip() for c in DELIVERY_COLUMNS.split(','))}, "
        "s.status AS subscription_status FROM deliveries d "
        "JOIN subscriptions s ON s.id = d.subscription_id "
        "WHERE d.customer_id = %s AND d.id = %s", (customer_id, delivery_id))
    return await cur.fetchone()


async def redrive(conn: Any, customer_id: str, delivery_id: str) -> dict[str, Any] | None:
    """A dead delivery back to pending with a fresh round of attempts, due now (None when
    it is not dead, or not the customer's)."""
    cur = await conn.execute(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE customer_id = %s AND id = %s AND status = 'dead' "
        f"RETURNING {DELIVERY_COLUMNS}", (customer_id, delivery_id))
    return await cur.fetchone()


async def list_deliveries(conn: Any, customer_id: str, order_id: str | None,
                          status: str | None = None,
                          subscription_id: str | None = None) -> list[dict[str, Any]]:
    sql = f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE customer_id = %s"
    params: list[Any] = [customer_id]
    for column, value in (("order_id", order_id), ("status", status),
                          ("subscription_id", subscription_id)):
        if value:
            sql += f" AND {column} = %s"
            params.append(value)
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
