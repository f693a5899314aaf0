"""monolith: a caller's orders (pending when placed, priced per item) and its customer."""

from __future__ import annotations

from typing import Any

from ..plugins import Answer, Call, ServicePlugin
from ..state import Collection

ORDERS = Collection("orders", key="id", create="POST /v1/orders",
                    read=("GET /v1/orders/{order_id}",), key_param="order_id",
                    owner="customer_id")


class MonolithPlugin(ServicePlugin):
    name = "monolith"
    base_url = "http://monolith:8000"
    collections = (ORDERS,)

    def created(self, collection: Collection, call: Call, item: dict[str, Any]) -> dict[str, Any]:
        if collection is ORDERS:
            item["status"] = "pending"
            if "payment_id" in item:
                item["payment_id"] = None
            item["total_cents"] = sum(int(i.get("price_cents", 0)) * int(i.get("quantity", 1))
                                      for i in item.get("items") or [])
        return item

    def answer(self, call: Call) -> Answer | None:
        if call.op.key == "GET /v1/customers/me" and call.caller:
            body = call.generate(200)
            body.update({k: v for k, v in (("id", call.caller),
                        ("client_id", call.request.headers.get("x-client-id", "")))
                         if k in body})
            return Answer(200, body)
        return None
