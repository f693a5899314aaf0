"""Where the webhook gateway may deliver: never to an address of the sandbox.

The guard itself lives with the egress proxy (``services/egress/guard.py``), the single
door from the webhook gateway to the outside, which checks every delivery's destination
and connects to the very address it checked. The webhooks service uses the same guard
when a subscription is made (a refused URL is a 422, feedback to the user), and the
worker before each delivery when it has no egress proxy (``EGRESS_PROXY_URL`` unset).

The networks refused are ``SANDBOX_SUBNETS`` (compose: the private and the public
subnet), with loopback, link-local, unspecified, multicast and broadcast, in every
spelling; refusals never name the address.

>>> guard = EgressGuard("172.30.0.0/16 172.31.0.0/16")
>>> guard.refusal(["172.31.0.7"])
'an address of the sandbox'
"""

from __future__ import annotations

from services.egress.guard import (
    ALWAYS_FORBIDDEN,
    DestinationRefused,
    DestinationUnresolved,
    EgressGuard,
    Resolver,
    resolve,
    url_problem,
)

__all__ = [
    "ALWAYS_FORBIDDEN", "DestinationRefused", "DestinationUnresolved", "EgressGuard", "Resolver",
    "resolve", "url_problem",
]
