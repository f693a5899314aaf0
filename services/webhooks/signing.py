"""Delivery signing by the Standard Webhooks specification (https://www.standardwebhooks.com).

Every delivery carries three headers:

    webhook-id         the delivery's id: the same on every retry of it (subscribers dedupe on it)
    webhook-timestamp  the attempt's time, integer seconds since the epoch
    webhook-signature  ``v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``; during a
                       secret rotation's overlap one signature per valid secret, space-separated

Each subscription has its own secret, ``whsec_<base64 of 32 random bytes>``; the HMAC key is
the decoded bytes after the prefix (what the ``standardwebhooks`` library does).

>>> secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
>>> signature("msg_1", 1700000000, b'{"a":1}', secret)
'v1,tDnYFrCIK4MQWDoOot4FXQ7/xKQ3Ta7J5hEfw60KmoA='
>>> verify(b'{"a":1}', signature_headers("msg_1", 1700000000, b'{"a":1}', [secret]), secret,
...        now=1700000100)
True
>>> verify(b'{"a":2}', signature_headers("msg_1", 1700000000, b'{"a":1}', [secret]), secret,
...        now=1700000100)
False
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as _random
import time
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
TOLERANCE_S = 300
"""How old (or how far ahead) a delivery's timestamp may be when a subscriber checks it."""
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def canonical_body(event: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON with sorted keys."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), default=str).encode()


def new_secret() -> str:
    """A fresh subscription secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64 part, decoded).

    >>> secret_key("whsec_AAEC")
    b'\\x00\\x01\\x02'
    >>> secret_key("AAEC")
    Traceback (most recent call last):
    ValueError: a webhook secret starts with whsec_
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ and base64") from None
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def signature(msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """One ``v1,<base64>`` signature of ``body`` as delivery ``msg_id`` at ``timestamp``."""
    signed = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(msg_id: str, timestamp: int, body: bytes,
                      secrets: Iterable[str]) -> dict[str, str]:
    """The three Standard Webhooks headers, one signature per secret (the newest first)."""
    signatures = " ".join(signature(msg_id, timestamp, body, s) for s in secrets)
    if not signatures:
        raise ValueError("a delivery needs at least one secret to be signed with")
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(int(timestamp)),
            SIGNATURE_HEADER: signatures}


def verify(body: bytes, headers: Mapping[str, str], secret: str, *,
           now: float | None = None, tolerance_s: int = TOLERANCE_S) -> bool:
    """What a subscriber checks: a signature of ``secret`` among the header's, and a
    timestamp within ``tolerance_s`` of ``now`` (constant-time comparison).

    The test subscriber checks with the ``standardwebhooks`` library itself; this is the
    same rule without it.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp = lower.get(ID_HEADER), lower.get(TIMESTAMP_HEADER, "")
    if not msg_id or not stamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance_s:
        return False
    expected = signature(msg_id, int(stamp), body, secret)
    return any(hmac.compare_digest(expected, given)
               for given in lower.get(SIGNATURE_HEADER, "").split())
