"""The provider's copy of the merchant's endpoint secret (``whsec_...``), to sign callbacks.

The provider stands in for the outside: it sits on the public and outside networks and
cannot reach the sandbox's secrets emulator, which answers only on the private network
(the merchant's side, the webhook gateway, reads the same secret there:
``provider/webhook_secret``). Like a real provider configured out of band, it is given
the secret at start: a file named by ``PROVIDER_WEBHOOK_SECRET_FILE`` (in the topology,
``/run/secrets/provider/webhook_secret``, a file on tmpfs) when set, else
``PROVIDER_WEBHOOK_SECRET``.

>>> webhook_secret({"PROVIDER_WEBHOOK_SECRET": "whsec_c2VjcmV0"})
'whsec_c2VjcmV0'
>>> webhook_secret({"PROVIDER_WEBHOOK_SECRET": "plain"})
Traceback (most recent call last):
RuntimeError: PROVIDER_WEBHOOK_SECRET is not a whsec_ secret: give the provider the value of secret provider/webhook_secret
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .signing import SECRET_PREFIX


def webhook_secret(environ: Mapping[str, str] | None = None) -> str:
    """The endpoint secret; a RuntimeError naming the fix when it is missing or malformed."""
    e = os.environ if environ is None else environ
    path = e.get("PROVIDER_WEBHOOK_SECRET_FILE", "")
    name = "PROVIDER_WEBHOOK_SECRET_FILE" if path else "PROVIDER_WEBHOOK_SECRET"
    value = Path(path).read_text().strip() if path else e.get("PROVIDER_WEBHOOK_SECRET", "")
    if not value.startswith(SECRET_PREFIX) or len(value) <= len(SECRET_PREFIX):
        raise RuntimeError(f"{name} is not a whsec_ secret: give the provider the value of "
                           "secret provider/webhook_secret")
    return value
