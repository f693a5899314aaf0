"""payments: payments are made by the worker (from events); the API lists them per order."""

from __future__ import annotations

from ..plugins import ServicePlugin
from ..state import Collection


class PaymentsPlugin(ServicePlugin):
    name = "payments"
    base_url = "http://payments:8000"
    collections = (
        Collection("payments", key="id", lists=("GET /v1/payments",),
                   filters=(("order_id", "order_id"),), owner="customer_id"),
    )
