"""Delivery signing: `X-Sandbox-Signature: sha256=<hex HMAC-SHA256 of the body>`.

>>> sig = sign(b'{"a":1}', "s3cret")
>>> sig.startswith("sha256=") and verify(b'{"a":1}', "s3cret", sig)
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def canonical_body(event: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON with sorted keys."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), default=str).encode()


def sign(body: bytes, secret: str) -> str:
    """The signature header value of `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    """Constant-time check of a signature header (what a subscriber does)."""
    return hmac.compare_digest(sign(body, secret), header or "")
