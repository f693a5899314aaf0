"""egress: the single door from the webhook gateway to the outside (an HTTP forward proxy).

::

    webhooks-worker ──link webhooks-worker->egress (toxiproxy)──► egress :3128 ──► subscriber
                      POST http://sub:9000/hook HTTP/1.1            │ resolve sub ONCE
                      CONNECT sub:443 HTTP/1.1                      │ refuse every sandbox
                                                                    │   network, loopback,
                                                                    │   link-local... (403)
                                                                    └ connect to that address

The webhooks worker sits on the private network only; egress sits on the private network
and on ``outside``, the simulated internet (where the test subscriber and the payment
provider live). It refuses every network of the sandbox (``SANDBOX_SUBNETS``: private and
public), loopback, link-local, unspecified, multicast and its own addresses, so on
``outside`` it reaches everything but itself (``guard``). It resolves a destination
once and connects to the very address it checked, so a name that resolves elsewhere a
moment later (DNS rebinding) cannot lead it into the sandbox. Health and metrics on 8001,
JSON logs.

Modules: ``settings`` (environment), ``request`` (parsing the request head),
``answers`` (the proxy's own responses), ``upstream`` (resolve, check, connect),
``relay`` (bytes both ways with an idle timeout), ``proxy`` (the server),
``__main__`` (``python3 -m services.egress``).
"""
