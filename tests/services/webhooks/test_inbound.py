"""The webhook gateway's inbound route for the payment provider's signed callbacks."""

import asyncio
import json
import time

import pytest
from fastapi.testclient import TestClient

from services.platform.config import Settings
from services.platform.fakes import FakeAsyncPool
from services.platform.resources import Resources
from services.provider.signing import new_secret, signed_headers
from services.webhooks import inbound
from services.webhooks.app import app

PATH = "/v1/inbound/payments"
SECRET = new_secret()
ORDER_ID = "0b6c4f4e-8d1c-4c55-9d2f-6a4c1b9b1f00"


class RecordingBroker:
    def __init__(self):
        self.published = []

    async def publish(self, envelope, *, timeout=5.0):
        self.published.append(envelope)


class Store:
    """The two tables the route writes: inbound_webhooks (claims) and outbox (relayed)."""

    def __init__(self):
        self.claimed = set()
        self.outbox = []

    def claim(self, params):
        if params[0] in self.claimed:
            return []
        self.claimed.add(params[0])
        return [{"webhook_id": params[0]}]

    def add(self, params):
        self.outbox.append({"id": len(self.outbox) + 1, "envelope": params[2].obj,
                            "published": False})
        return []

    def batch(self, params):
        return [r for r in self.outbox if not r["published"]]

    def mark(self, params):
        for row in self.outbox:
            if row["id"] in params[0]:
                row["published"] = True
        return []


@pytest.fixture()
def setup():
    db = Store()
    pool = FakeAsyncPool([("INSERT INTO inbound_webhooks", db.claim),
                          ("INSERT INTO outbox", db.add),
                          ("FROM outbox WHERE published_at IS NULL", db.batch),
                          ("UPDATE outbox SET published_at", db.mark)])
    broker = RecordingBroker()
    res = Resources(settings=Settings(service="webhooks"), secrets=None, pool=pool,
                    broker=broker)
    app.state.resources = res
    state = inbound.Inbound(res)
    state.secret = SECRET
    app.state.inbound = state
    return TestClient(app), db, broker, pool


def callback(status="succeeded", **data):
    charge = {"id": "ch_1", "idempotency_key": f"payments-order-{ORDER_ID}",
              "order_id": ORDER_ID, "amount_cents": 2500, "currency": "EUR", "status": status,
              "decline_reason": None if status == "succeeded" else "declined",
              "metadata": {"trace_id": "a" * 32}, **data}
    return json.dumps({"type": f"charge.{status}", "timestamp": "2026-01-01T00:00:00Z",
                       "data": charge}, separators=(",", ":")).encode()


def send(client, body, headers):
    return client.post(PATH, content=body, headers={"content-type": "application/json",
                                                    **headers})


def test_a_signed_callback_is_recorded_once_and_published(setup):
    client, db, broker, pool = setup
    body = callback()
    r = send(client, body, signed_headers(SECRET, "msg_1", body))
    assert r.status_code == 200, r.text
    assert r.json() == {"received": "msg_1"}
    assert db.claimed == {"msg_1"}
    [envelope] = broker.published
    assert envelope["type"] == "provider.charge.succeeded"
    assert envelope["trace_id"] == "a" * 32  # the saga's trace, echoed by the provider
    assert envelope["data"] == {
        "provider_event_id": "msg_1", "charge_id": "ch_1", "order_id": ORDER_ID,
        "amount_cents": 2500, "currency": "EUR", "status": "succeeded",
        "idempotency_key": f"payments-order-{ORDER_ID}"}
    # the claim and the outbox row commit together, before the publish
    assert pool.conn.events[:2] == ["begin", "commit"]


def test_a_declined_charge_becomes_provider_charge_declined(setup):
    client, _, broker, _ = setup
    body = callback("declined")
    assert send(client, body, signed_headers(SECRET, "msg_2", body)).status_code == 200
    [envelope] = broker.published
    assert envelope["type"] == "provider.charge.declined"
    assert envelope["data"]["decline_reason"] == "declined"


def problem_of(response, status=401):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["detail"]


def test_a_replayed_callback_is_refused(setup):
    client, db, broker, _ = setup
    body = callback()
    headers = signed_headers(SECRET, "msg_3", body)
    assert send(client, body, headers).status_code == 200
    assert "replay" in problem_of(send(client, body, headers))
    assert len(broker.published) == 1 and len(db.outbox) == 1


@pytest.mark.parametrize("forge", ["other-secret", "tampered-body", "tampered-id",
                                   "no-signature", "no-id", "no-timestamp", "v2-only",
                                   "not-base64", "no-comma", "empty-secret-bytes"])
def test_a_forged_callback_is_refused(setup, forge):
    client, db, broker, _ = setup
    body = callback()
    headers = signed_headers(SECRET, "msg_4", body)
    if forge == "other-secret":
        headers = signed_headers(new_secret(), "msg_4", body)
    elif forge == "tampered-body":
        body = callback(amount_cents=1)
    elif forge == "tampered-id":
        headers["webhook-id"] = "msg_5"
    elif forge.startswith("no-") and forge != "no-comma":
        headers.pop("webhook-" + forge[3:])
    elif forge == "v2-only":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    elif forge == "not-base64":
        headers["webhook-signature"] = "v1,@@@not base64@@@"
    elif forge == "no-comma":
        headers["webhook-signature"] = "v1"
    elif forge == "empty-secret-bytes":
        headers["webhook-signature"] = "v1,"
    problem_of(send(client, body, headers))
    assert db.claimed == set() and broker.published == []


@pytest.mark.parametrize("skew", [-301, 301, "soon", "1e400", "nan"])
def test_a_callback_outside_five_minutes_is_refused(setup, skew):
    client, db, _, _ = setup
    body = callback()
    if isinstance(skew, int):
        headers = signed_headers(SECRET, "msg_6", body, timestamp=int(time.time()) + skew)
    else:
        headers = {**signed_headers(SECRET, "msg_6", body), "webhook-timestamp": skew}
    detail = problem_of(send(client, body, headers))
    assert "refused" in detail
    assert db.claimed == set()


def test_a_callback_signed_by_one_of_several_secrets_passes(setup):
    """During a rotation the provider may sign with the old and the new secret."""
    client, _, _, _ = setup
    body = callback()
    old = signed_headers(new_secret(), "msg_7", body)["webhook-signature"]
    headers = signed_headers(SECRET, "msg_7", body)
    headers["webhook-signature"] = f"{old} {headers['webhook-signature']}"
    assert send(client, body, headers).status_code == 200


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"type":"charge.succeeded"}',
                                  b'{"type":"refund.created","timestamp":"t","data":{}}'])
def test_a_signed_body_that_is_no_callback_is_422(setup, body):
    client, db, _, _ = setup
    problem_of(send(client, body, signed_headers(SECRET, "msg_8", body)), 422)
    assert db.claimed == set()


def test_a_non_utf8_body_is_refused_not_a_500(setup):
    client, _, _, _ = setup
    body = b"\xff\xfe"
    headers = signed_headers(SECRET, "msg_9", b"x")
    problem_of(send(client, body, headers))


def test_an_oversized_body_or_id_is_refused(setup):
    client, _, _, _ = setup
    big = b"x" * (inbound.MAX_BODY_BYTES + 1)
    problem_of(send(client, big, signed_headers(SECRET, "msg_10", b"x")), 413)
    body = callback()
    problem_of(send(client, body, signed_headers(SECRET, "m" * 300, body)))


def test_without_its_secret_the_route_answers_503(setup):
    client, _, _, _ = setup

    class NoSecrets:
        def get(self, name):
            raise inbound.SecretsUnavailable(f"secret {name} not readable")

    app.state.inbound.secret = None
    app.state.resources.secrets = NoSecrets()
    body = callback()
    problem_of(send(client, body, signed_headers(SECRET, "msg_11", body)), 503)


def test_a_failed_publish_leaves_the_row_for_the_relay(setup):
    client, db, broker, _ = setup

    async def down(envelope, *, timeout=5.0):
        raise ConnectionError("broker down")

    app.state.inbound.relay._publish = down
    body = callback()
    assert send(client, body, signed_headers(SECRET, "msg_12", body)).status_code == 200
    assert [r["published"] for r in db.outbox] == [False]
    app.state.inbound.relay._publish = broker.publish
    asyncio.run(app.state.inbound.relay_now())
    assert [r["published"] for r in db.outbox] == [True]
    assert broker.published[0]["data"]["provider_event_id"] == "msg_12"


def test_the_route_is_documented_with_its_refusals():
    operation = app.openapi()["paths"][PATH]["post"]
    assert {"200", "401", "413", "422"} <= set(operation["responses"])
