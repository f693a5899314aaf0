"""provider: the simulated external payment provider (a container of ours on the public network).

It stands in for the outside: payments charges orders through it (``POST /v1/charges``,
through the egress proxy), and it calls back the webhook gateway with signed events
(Standard Webhooks) once a charge is decided. Its state lives in memory: the run is its
lifetime.
"""
