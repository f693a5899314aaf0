"""Idempotent order placement: the `Idempotency-Key` header of POST /v1/orders.

A key belongs to one customer and lives for `KEY_TTL_HOURS`. The first request with a
key stores the answer it got; the same key with the same request (compared by a
fingerprint of the validated body, so `2` and `2.0` are one request) gets that answer
again, marked `Idempotent-Replayed: true`; the same key with another request is a 422
problem. Two requests racing with one key are serialised by the table's primary key:
the second waits for the first to commit, then replays it.

>>> fingerprint({"items": [{"sku": "A", "quantity": 2}]}) == fingerprint(
...     {"items": [{"quantity": 2, "sku": "A"}]})
True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from services.platform.problem import ProblemError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
KEY_TTL_HOURS = 24

_FIND = (
    "SELECT request_hash, response FROM idempotency_keys "
    "WHERE customer_id = %s AND key = %s AND response IS NOT NULL "
    f"AND created_at > now() - interval '{KEY_TTL_HOURS} hours'"
)
# claims the key; an expired row of the same key is taken over, a live one is not
_CLAIM = (
    "INSERT INTO idempotency_keys (customer_id, key, request_hash) VALUES (%s, %s, %s) "
    "ON CONFLICT (customer_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, "
    "response = NULL, created_at = now() "
    f"WHERE idempotency_keys.created_at <= now() - interval '{KEY_TTL_HOURS} hours' "
    "RETURNING key"
)
_STORE = "UPDATE idempotency_keys SET response = %s WHERE customer_id = %s AND key = %s"


def fingerprint(request: dict[str, Any]) -> str:
    """SHA-256 of the validated request as canonical JSON."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Replay:
    """The answer a key already got."""

    response: dict[str, Any]


def _judge(row: dict[str, Any], request_hash: str) -> Replay:
    if row["request_hash"] != request_hash:
        raise ProblemError(422, "Unprocessable Content",
                           f"this {HEADER} was used for a different request: "
                           "send a new key for a new order")
    return Replay(row["response"])


def find(conn: Any, customer_id: str, key: str, request_hash: str) -> Replay | None:
    """The stored answer of `key`, None when the key is new; 422 when it named another request."""
    row = conn.execute(_FIND, (customer_id, key)).fetchone()
    return None if row is None else _judge(row, request_hash)


def claim(conn: Any, customer_id: str, key: str, request_hash: str) -> Replay | None:
    """Inside the order's transaction: claim `key` (None), or the answer a concurrent
    request with the same key committed meanwhile (after waiting for it)."""
    if conn.execute(_CLAIM, (customer_id, key, request_hash)).fetchone() is not None:
        return None
    replay = find(conn, customer_id, key, request_hash)
    if replay is None:  # the other request rolled back after all: nothing to replay
        raise ProblemError(409, "Conflict",
                           f"a request with this {HEADER} is still in progress: retry shortly")
    return replay


def store(conn: Any, customer_id: str, key: str, response: dict[str, Any]) -> None:
    """Keep the answer of a claimed key (same transaction as the order)."""
    conn.execute(_STORE, (Jsonb(response), customer_id, key))
