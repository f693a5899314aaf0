"""Alerts that fire when the system degrades and resolve when it recovers, routed by
Alertmanager to the team's sink (compose/prometheus/alerts.yml, docs/metrics-and-alerts.md).

Each scenario holds the fault lock (``link_faults``): no other test's traffic or faults
meanwhile. The traffic is the scenario's own, at a steady rate, for as long as it waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from fixtures.gateway_client import GatewayClient
from sandbox.chaos.traffic import SteadyTraffic

pytestmark = [pytest.mark.docker, pytest.mark.chaos]

# the rules' windows plus their `for:` and a scrape and an evaluation or two (5 s each),
# and Alertmanager's group_wait before the sink hears of it (alerts.yml says each bound)
FIRE_WITHIN_S = 120.0
RESOLVE_WITHIN_S = 120.0


@contextmanager
def traffic(send, rate: float = 4.0, deadline: float = 15.0) -> Iterator[SteadyTraffic]:
    with SteadyTraffic(send, rate=rate, deadline=deadline) as running:
        yield running


def product_list(client: GatewayClient):
    """The product list: read from catalog's database on every request."""

    def send() -> tuple[int, str, object]:
        response = client.get("/v1/products", params={"limit": 5}, timeout=15)
        return response.status_code, response.headers.get("content-type", ""), None

    return send


def order_one(client: GatewayClient, sku: str):
    def send() -> tuple[int, str, object]:
        response = client.post("/v1/orders", json={"items": [{"sku": sku, "quantity": 1}]},
                               timeout=15)
        return response.status_code, response.headers.get("content-type", ""), None

    return send


def test_a_slow_catalog_database_fires_high_latency_which_resolves_after_the_fault(
    sandbox, enrolled_client, link_faults
):
    catalog = {"service": "catalog"}
    sandbox.alerts.resolved("HighLatency", labels=catalog, within=RESOLVE_WITHIN_S,
                            notified=False)  # a clean start: not left over from earlier
    link = link_faults.proxy("catalog->postgres")
    with traffic(product_list(enrolled_client)) as running:
        link.add_toxic(name="slow-db", type="latency", stream="downstream",
                       attributes={"latency": 1000, "jitter": 0})
        firing = sandbox.alerts.wait_for("HighLatency", labels=catalog, within=FIRE_WITHIN_S)
        assert firing.notification is not None and firing.notification.status == "firing"
        assert "catalog" in firing.prometheus["annotations"]["summary"]
        link.destroy_toxic("slow-db")
        resolved = sandbox.alerts.resolved("HighLatency", labels=catalog,
                                           within=RESOLVE_WITHIN_S)
    assert resolved.notification is not None and resolved.notification.status == "resolved"
    slow = [o for o in running.outcomes if o.elapsed >= 1.0]
    assert slow, "the fault made no request slow: the alert had nothing to see"


def test_a_worker_cut_from_the_broker_fires_the_backlog_alert(
    sandbox, enrolled_client, product_factory, link_faults
):
    payments = {"queue": "payments"}
    sandbox.alerts.resolved("QueueNoConsumer", labels=payments, within=RESOLVE_WITHIN_S,
                            notified=False)
    product = product_factory(stock=10_000, price_cents=100)
    link = link_faults.proxy("payments-worker->broker")
    with traffic(order_one(enrolled_client, product["sku"]), rate=2.0):
        link.disable()
        firing = sandbox.alerts.wait_for("QueueNoConsumer", labels=payments,
                                         within=FIRE_WITHIN_S)
        assert firing.notification is not None
        link.enable()
        sandbox.alerts.resolved("QueueNoConsumer", labels=payments, within=RESOLVE_WITHIN_S)
