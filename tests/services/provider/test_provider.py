"""The simulated payment provider: charges with idempotency keys, signed callbacks."""

import asyncio
import doctest
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from services.platform.config import Settings
from services.platform.resources import Resources
from services.provider import app as app_module
from services.provider import callbacks, charges, decisions, secret, signing
from services.provider.callbacks import Notifier
from services.provider.charges import ChargeBook, ChargeRequest
from services.provider.signing import new_secret

SECRET = new_secret()
KEY = {"Idempotency-Key": "payments-order-o1"}


@pytest.mark.parametrize("module", [callbacks, charges, decisions, secret, signing])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


class Recorder:
    """A merchant endpoint answering each callback attempt with the next status."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status)


def notifier(endpoint, **kwargs):
    client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    return Notifier("http://webhooks:8000/v1/inbound/payments", SECRET, client=client,
                    delay=lambda attempt: 0, **kwargs)


@pytest.fixture()
def api():
    note = notifier(Recorder())
    res = Resources(settings=Settings(service="provider"), secrets=None,
                    extra={"charges": ChargeBook(limit_cents=10_000), "notifier": note})
    app_module.app.state.resources = res
    return TestClient(app_module.app), note


def test_a_charge_is_decided_once_and_its_retry_gets_the_same_charge(api):
    client, note = api
    body = {"order_id": "o1", "amount_cents": 2500, "metadata": {"trace_id": "a" * 32}}
    first = client.post("/v1/charges", json=body, headers=KEY)
    assert first.status_code == 201, first.text
    charge = first.json()
    assert (charge["status"], charge["decline_reason"]) == ("succeeded", None)
    assert charge["id"].startswith("ch_") and charge["metadata"] == {"trace_id": "a" * 32}
    again = client.post("/v1/charges", json=body, headers=KEY)
    assert again.status_code == 200 and again.json() == charge
    assert len(note.sent) == 1  # one event per charge, however often it is asked
    assert client.get(f"/v1/charges/{charge['id']}").json() == charge


def test_a_key_reused_for_another_charge_is_422(api):
    client, _ = api
    assert client.post("/v1/charges", json={"order_id": "o1", "amount_cents": 1},
                       headers=KEY).status_code == 201
    r = client.post("/v1/charges", json={"order_id": "o1", "amount_cents": 2}, headers=KEY)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_decision_is_deterministic(api):
    client, _ = api
    over = client.post("/v1/charges", json={"order_id": "o2", "amount_cents": 10_001},
                       headers={"Idempotency-Key": "k2"}).json()
    assert (over["status"], over["decline_reason"]) == ("declined",
                                                        "amount exceeds limit of 10000 cents")
    zero = client.post("/v1/charges", json={"order_id": "o3", "amount_cents": 0},
                       headers={"Idempotency-Key": "k3"}).json()
    assert zero["status"] == "declined"


@pytest.mark.parametrize("headers,body", [
    ({}, {"order_id": "o1", "amount_cents": 1}),                        # no key
    ({"Idempotency-Key": "with space"}, {"order_id": "o1", "amount_cents": 1}),
    ({"Idempotency-Key": "k" * 256}, {"order_id": "o1", "amount_cents": 1}),
    (KEY, {"order_id": "", "amount_cents": 1}),
    (KEY, {"order_id": "o1", "amount_cents": 10**13}),
    (KEY, {"order_id": "o1", "amount_cents": 1, "currency": "euro"}),
    (KEY, {"order_id": "o1"}),
])
def test_a_bad_request_is_422_problem(api, headers, body):
    client, _ = api
    r = client.post("/v1/charges", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_charge_is_404(api):
    client, _ = api
    assert client.get("/v1/charges/ch_nope").status_code == 404


def test_the_events_sent_are_listed_per_order(api):
    client, _ = api
    client.post("/v1/charges", json={"order_id": "o4", "amount_cents": 5},
                headers={"Idempotency-Key": "k4"})
    client.post("/v1/charges", json={"order_id": "o5", "amount_cents": 5},
                headers={"Idempotency-Key": "k5"})
    [event] = client.get("/v1/events", params={"order_id": "o4"}).json()["items"]
    assert event["type"] == "charge.succeeded" and event["webhook_id"].startswith("msg_")
    assert json.loads(event["body"])["data"]["order_id"] == "o4"


def charge(amount=5):
    made, _ = ChargeBook().charge("k", ChargeRequest("o1", amount))
    return made


def test_a_callback_is_signed_by_standard_webhooks():
    endpoint = Recorder(200)
    note = notifier(endpoint)
    event = note.notify(charge())
    asyncio.run(note.deliver(event))
    [request] = endpoint.requests
    body = Webhook(SECRET).verify(request.content, dict(request.headers))
    assert body["type"] == "charge.succeeded" and body["data"]["order_id"] == "o1"
    assert request.headers["webhook-id"] == event.webhook_id
    assert event.state == "delivered"


def test_a_callback_is_retried_with_its_id_and_a_fresh_signature():
    endpoint = Recorder(httpx.ConnectError("down"), 503, 429, 204)
    note = notifier(endpoint)
    event = note.notify(charge())
    asyncio.run(note.deliver(event))
    assert [a["status"] for a in event.attempts] == [None, 503, 429, 204]
    assert {r.headers["webhook-id"] for r in endpoint.requests} == {event.webhook_id}
    for request in endpoint.requests:
        Webhook(SECRET).verify(request.content, dict(request.headers))
    assert event.state == "delivered"


def test_a_refused_callback_is_not_retried_and_a_lost_one_gives_up():
    refused = Recorder(401)
    note = notifier(refused)
    event = note.notify(charge())
    asyncio.run(note.deliver(event))
    assert (len(refused.requests), event.state) == (1, "refused")
    lost = Recorder(*[500] * 10)
    note = notifier(lost, max_attempts=3)
    event = note.notify(charge())
    asyncio.run(note.deliver(event))
    assert (len(lost.requests), event.state) == (3, "failed")


def test_queued_callbacks_are_sent_in_the_background():
    endpoint = Recorder()

    async def scenario():
        note = notifier(endpoint)
        note.start()
        note.notify(charge())
        for _ in range(100):
            if endpoint.requests:
                break
            await asyncio.sleep(0.01)
        await note.aclose()

    asyncio.run(scenario())
    assert len(endpoint.requests) == 1


def test_the_secret_is_read_from_a_file_first(tmp_path):
    path = tmp_path / "webhook_secret"
    path.write_text(SECRET + "\n")
    assert secret.webhook_secret({"PROVIDER_WEBHOOK_SECRET_FILE": str(path),
                                  "PROVIDER_WEBHOOK_SECRET": "whsec_other"}) == SECRET
    with pytest.raises(RuntimeError, match="PROVIDER_WEBHOOK_SECRET is not"):
        secret.webhook_secret({})


def test_a_charge_id_names_its_key_and_the_book_stays_bounded(monkeypatch):
    monkeypatch.setattr(charges, "MAX_CHARGES", 2)
    book = ChargeBook()
    made = [book.charge(f"k{i}", ChargeRequest("o", 1))[0] for i in range(3)]
    assert made[0].id == charges.charge_id("k0")
    assert book.get(made[0].id) is None and book.get(made[2].id) is made[2]
