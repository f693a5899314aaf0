"""Where the webhook gateway may deliver: never into the private subnet.

The guard itself lives with the egress proxy (``services/egress/guard.py``), the single
door from the webhook gateway to the outside, which checks every delivery's destination
and connects to the very address it checked. The webhooks service uses the same guard
when a subscription is made (a refused URL is a 422, feedback to the user), and the
worker before each delivery when it has no egress proxy (``EGRESS_PROXY_URL`` unset).

>>> guard = EgressGuard("172.30.0.0/16")
>>> guard.refusal(["172.30.0.7"])
'172.30.0.7 is in a private network of the sandbox'
"""

from __future__ import annotations

from services.egress.guard import (
    ALWAYS_FORBIDDEN,
    DestinationRefused,
    DestinationUnresolved,
    EgressGuard,
    Resolver,
    resolve,
)

__all__ = [
    "ALWAYS_FORBIDDEN", "DestinationRefused", "DestinationUnresolved", "EgressGuard", "Resolver",
    "resolve",
]
