"""Standard Webhooks signing of the provider's callbacks (``standardwebhooks`` on PyPI).

Headers: ``webhook-id`` (the same for every attempt of one event), ``webhook-timestamp``
(unix seconds of the attempt) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of
id.timestamp.body>`` with the secret's bytes: ``whsec_<base64>``).

The example of the Standard Webhooks specification:

>>> headers = signed_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
...                          "msg_p5jXN8AQM9LWM0D4loKWxJek", b'{"test": 2432232314}', 1614265330)
>>> headers["webhook-signature"]
'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
"""

from __future__ import annotations

import base64
import secrets as _random
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(24)).decode()


def signed_headers(secret: str, message_id: str, body: bytes,
                   timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers of ``body`` sent as ``message_id`` at ``timestamp``."""
    when = int(time.time()) if timestamp is None else timestamp
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(when, tz=UTC),
                                     body.decode())
    return {"webhook-id": message_id, "webhook-timestamp": str(when),
            "webhook-signature": signature}
