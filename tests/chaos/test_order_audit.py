"""audit_orders: every accepted order ends paid and is charged exactly once, or the audit
names the ones that did not, read back through a (fake) gateway."""

from __future__ import annotations

import pytest

from sandbox.chaos.order_flow import accepted_orders, audit_orders, order_sender
from sandbox.chaos.traffic import Outcome
from tests.chaos.chaos_fakes import FakeResponse


class Shop:
    """Orders by id: (status, number of payments); ``None`` status answers 500."""

    def __init__(self, orders: dict[str, tuple[str | None, int]]) -> None:
        self.orders = orders
        self.posted: list[dict] = []

    def get(self, url, params=None, timeout=None):
        if url == "/v1/payments":
            _, count = self.orders[params["order_id"]]
            return FakeResponse(200, {"items": [{"order_id": params["order_id"]}] * count})
        if url.startswith("/v1/products/"):
            return FakeResponse(200, {"sku": url.rsplit("/", 1)[-1]})
        status, _ = self.orders[url.rsplit("/", 1)[-1]]
        return FakeResponse(500, None, "text/html") if status is None else \
            FakeResponse(200, {"status": status})  # fmt: skip

    def post(self, url, json=None, timeout=None):
        self.posted.append(json)
        return FakeResponse(201, {"id": "new", "status": "pending"})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.1  # each look at the clock: a tenth of a second
        return self.now


def audit(orders, timeout=1.0):
    return audit_orders(Shop(orders), list(orders), timeout=timeout, interval=0.001, clock=Clock())


def test_orders_paid_once_make_a_clean_audit():
    result = audit({"a": ("paid", 1), "b": ("paid", 1)})
    assert result.clean and result.accepted == 2 and result.statuses == {"paid": 2}
    assert "2 accepted" in result.describe()


@pytest.mark.parametrize(
    "orders, field",
    [
        ({"a": ("paid", 2)}, "charged_twice"),
        ({"a": ("pending", 0)}, "lost"),
        ({"a": (None, 0)}, "lost"),
        ({"a": ("payment_failed", 0)}, "unpaid"),
        ({"a": ("paid", 0)}, "unaccounted"),
    ],
)
def test_each_way_an_order_can_go_wrong_is_named(orders, field):
    result = audit(orders)
    assert not result.clean and getattr(result, field) == ["a"]
    assert "e.g. ['a']" in result.describe()


def test_the_audit_waits_no_longer_than_its_timeout():
    clock = Clock()
    audit_orders(Shop({"a": ("pending", 0)}), ["a"], timeout=2.0, interval=0.001, clock=clock)
    assert clock.now < 3.0


def test_the_order_flow_views_the_product_then_orders_one_unit_and_keeps_the_201s():
    shop = Shop({})
    status, _, body = order_sender(shop, "SKU-1", deadline=5)()
    assert (status, body["id"]) == (201, "new")
    assert shop.posted == [{"items": [{"sku": "SKU-1", "quantity": 1}]}]
    outcomes = [Outcome(0, 0.1, 201, body={"id": "x"}), Outcome(0, 0.1, 503, body={"id": "y"}),
                Outcome(0, 0.1, None, error="deadline")]  # fmt: skip
    assert accepted_orders(outcomes) == ["x"]
