"""One order, one trace: the gateway, the monolith and its outbox, the events through the
broker, stock, the charge and the webhook through egress, each hop the previous one's
child (W3C traceparent over HTTP and in the AMQP headers)."""

from __future__ import annotations

import re

import pytest

from fixtures.waiting import eventually
from sandbox.telemetry import Span

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

SAGA_TIMEOUT_S = 60.0


def published(event_type: str, service: str) -> Span:
    """The PRODUCER span of one event, published by `service`'s outbox relay."""
    return Span(service=service, name="events publish", kind="producer",
                attrs={"sandbox.event.type": event_type, "messaging.system": "rabbitmq"})


def consumed(event_type: str, service: str, publisher: str) -> Span:
    """`service`'s CONSUMER span of one event: a child of the publish."""
    return Span(service=service, kind="consumer", attrs={"sandbox.event.type": event_type},
                child_of=published(event_type, publisher))


def through_egress(parent: Span) -> Span:
    """An outbound HTTP call of `parent`'s, and egress forwarding it."""
    return Span(service="egress", kind="server", name=re.compile(r"^egress POST"),
                child_of=Span(kind="client", name="POST", child_of=parent))


def test_one_order_is_one_trace_through_every_hop(sandbox, enrolled_client, product_factory,
                                                  webhook_subscriber):
    client = enrolled_client
    subscription = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": f"{webhook_subscriber.url}/hooks/traced", "events": ["order.paid"]})
    assert subscription.status_code == 201, subscription.text
    webhook_subscriber.trust(subscription.json()["secret"])
    product = product_factory(stock=3, price_cents=700)

    response = client.post("/v1/orders", json={"items": [{"sku": product["sku"], "quantity": 1}]})
    assert response.status_code == 201, response.text
    trace_id = response.headers["x-trace-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id), f"one X-Trace-Id, 32 hex: {trace_id!r}"
    order_id = response.json()["id"]
    eventually(lambda: client.get("/v1/webhooks/deliveries", params={"order_id": order_id})
               .json()["items"], timeout=SAGA_TIMEOUT_S,
               until=lambda items: any(d["status"] == "delivered" for d in items))

    gateway = Span(service="gateway", name="POST /v1/orders", kind="server", status="unset")
    monolith = Span(service="monolith", name="POST /v1/orders", kind="server", child_of=gateway)
    paying = consumed("stock.reserved", "payments", "catalog")
    delivering = Span(service="webhooks", name="webhook deliver",
                      child_of=consumed("order.paid", "webhooks", "monolith"))
    trace = sandbox.traces.wait_for(
        trace_id,
        # 1. the gateway, its verify call to auth, then the monolith
        gateway,
        Span(service="auth", name="GET /internal/verify", child_of=gateway),
        monolith,
        # 2. the monolith's price lookup at catalog, its database, and the outbox
        Span(service="catalog", kind="server", child_of=Span(kind="client", child_of=monolith)),
        Span(service="monolith", kind="client", name="INSERT", child_of=monolith),
        # 3. order.created, relayed from the outbox under the request's span
        Span(service="monolith", name="events publish", child_of=monolith,
             attrs={"sandbox.event.type": "order.created"}),
        # 4. catalog reserves the stock, and says so
        consumed("order.created", "catalog", "monolith"),
        published("stock.reserved", "catalog"),
        # 5. payments charges the provider, through egress
        paying,
        through_egress(paying),
        # 6. the order is paid: order.paid
        consumed("payment.succeeded", "monolith", "payments"),
        published("order.paid", "monolith"),
        # 7. the webhook is delivered, through egress
        delivering,
        through_egress(delivering),
        within=30.0,
    )
    assert not [s for s in trace.spans if s.status == "error"], sandbox.traces.waterfall(trace_id)
    # the logs of the trace carry its ids: one place to read what happened
    lines = sandbox.logs.for_trace(trace_id)
    assert {line.service for line in lines} >= {"monolith", "catalog", "payments"}, lines
    # each line of a service of ours names a span of the trace (the provider stands for the
    # outside: it continues the trace in its own logs, but exports nowhere of ours)
    span_ids, ours = {s.span_id for s in trace.spans}, {s.service for s in trace.spans}
    strays = [line for line in lines
              if line.span_id and line.service in ours and line.span_id not in span_ids]
    assert not strays, strays
