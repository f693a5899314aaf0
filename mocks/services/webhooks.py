"""webhooks: a caller's subscriptions, and the deliveries made for them."""

from __future__ import annotations

from ..plugins import ServicePlugin
from ..state import Collection


class WebhooksPlugin(ServicePlugin):
    name = "webhooks"
    base_url = "http://webhooks:8000"
    collections = (
        # the creation answers the secret; reads and lists never do (their shape has none)
        Collection("subscriptions", key="id", create="POST /v1/webhooks/subscriptions",
                   read=("GET /v1/webhooks/subscriptions/{subscription_id}",),
                   key_param="subscription_id",
                   lists=("GET /v1/webhooks/subscriptions",), owner="customer_id"),
        Collection("deliveries", key="id", lists=("GET /v1/webhooks/deliveries",),
                   filters=(("order_id", "order_id"), ("status", "status"),
                            ("subscription_id", "subscription_id")), owner="customer_id"),
    )
