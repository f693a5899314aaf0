"""Live verification's engine without Docker: shapes, states, replay, judging."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mocks.documents import PACTS_DIR
from mocks.pacts import load_pacts
from sandbox.contracts.cli import live_table
from sandbox.contracts.live import engine
from sandbox.contracts.live.broker_tap import CapturedEvent
from sandbox.contracts.live.routes import ROUTES, curl_command, parse_answer
from sandbox.contracts.live.shapes import shape_problems
from sandbox.contracts.live.states import UnknownState, overridden, plugin_for

PACTS = load_pacts(PACTS_DIR)


def interactions(consumer: str, provider: str) -> list[dict[str, Any]]:
    pact = next(p for p in PACTS if (p["consumer"]["name"], p["provider"]["name"])
                == (consumer, provider))
    return pact["interactions"]


def recorded_with_state(consumer: str, provider: str, state: str) -> dict[str, Any]:
    return next(i for i in interactions(consumer, provider)
                if [s["name"] for s in i.get("providerStates") or []] == [state])


@pytest.mark.parametrize("expected, actual, problem", [
    ({"a": 1}, {"a": 2, "extra": True}, None),
    ({"a": 1}, {"a": 2.0}, None),
    ({"a": 1}, {"a": 2.5}, "body.a: a fraction (2.5) where the consumer saw a whole number"),
    ({"a": 1}, {"a": True}, "body.a: a boolean where the consumer saw a number"),
    ({"a": "x"}, {"a": None}, "body.a: a null where the consumer saw a string"),
    ({"a": [{"b": 1}]}, {"a": [{"b": 1}, {}]}, "body.a[1].b: missing (the consumer saw a number)"),
    ({"a": [{"b": 1}]}, {"a": []}, None),
    ({"a": {"b": "x"}}, {"a": "x"}, "body.a: a string where the consumer saw an object"),
])
def test_a_live_value_keeps_the_recorded_shape_or_says_where_not(expected, actual, problem):
    assert shape_problems(expected, actual) == ([problem] if problem else [])


def test_every_recorded_provider_state_has_a_plugin():
    names = {s["name"] for p in PACTS for i in p["interactions"]
             for s in i.get("providerStates") or []}
    assert names
    for name in names:
        plugin_for(name)  # raises UnknownState


def test_stubbed_failures_are_override_and_data_states_are_not():
    assert overridden(["GET /internal/products/{sku} answers 503"])
    assert overridden(["GET /internal/products/{sku} fails (read)"])
    assert overridden(["products SKU-A exists"]) is None
    assert overridden(["GET /internal/products/{sku} for sku=GONE answers 404"]) is None
    with pytest.raises(UnknownState, match="add one in sandbox/contracts/live/states.py"):
        plugin_for("the moon is full")


def test_the_replay_command_quotes_what_the_shell_would_read():
    command = curl_command(ROUTES[("monolith", "catalog")],
                           {"method": "POST", "path": "/x/it's", "query": {"q": ["a b"]},
                            "body": {"content": {"n": "$(reboot)"}}},
                           {"x-note": "a'b"})
    assert '"$CATALOG_URL"' in command
    assert "'/x/it'\"'\"'s?q=a+b'" in command
    assert "$(reboot)" in command and "'{\"n\": \"$(reboot)\"}'" in command
    assert "'x-note: a'\"'\"'b'" in command


def test_curls_answer_is_parsed_past_a_100_continue():
    answer = parse_answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
                          "Content-Type: application/problem+json\r\n\r\n"
                          '{"status": 404}')
    assert (answer.status, answer.header("content-type"), answer.body) == (
        404, "application/problem+json", {"status": 404})


class FakeSandbox:
    """Answers every replay with ``status`` and ``body`` (curl -i's output)."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json"):
        self.answer = (f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n\r\n"
                       + json.dumps(body))
        self.commands: list[str] = []

    def exec(self, service: str, cmd: list[str]) -> tuple[int, str]:
        self.commands.append(cmd[-1])
        return 0, self.answer


class FakeFlows:
    def __init__(self) -> None:
        self.products: list[dict[str, Any]] = []

    def create_product(self, fields: dict[str, Any]) -> None:
        self.products.append(fields)

    def issue_token(self) -> tuple[str, str]:
        return "sk_live", "live.token"

    def create_order(self, sku: str) -> None:
        pass


def test_a_provider_that_answers_what_was_recorded_is_verified_and_its_state_set_up():
    interaction = recorded_with_state("monolith", "catalog", "products SKU-MUG exists")
    flows = FakeFlows()
    live = {"sku": "SKU-MUG", "name": "Other name", "price_cents": 99, "stock": 1}
    result = engine.verify_http(FakeSandbox(200, live), flows, "monolith", "catalog",
                                interaction)
    assert (result.outcome, result.detail) == ("verified", "")
    assert flows.products[0]["sku"] == "SKU-MUG"
    assert flows.products[0]["price_cents"] == interaction["response"]["body"]["content"][
        "price_cents"]


@pytest.mark.parametrize("status, body, problem", [
    (200, {"sku": "SKU-MUG", "name": "Mug", "price_cents": 1250},
     "body.stock: missing (the consumer saw a number)"),
    (200, {"sku": "SKU-MUG", "name": "Mug", "price_cents": "12.50", "stock": 1},
     "body.price_cents: a string where the consumer saw a number"),
    (404, {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "x"},
     "status 404 where the consumer recorded 200"),
])
def test_a_provider_that_drifted_fails_naming_the_first_difference(status, body, problem):
    interaction = recorded_with_state("monolith", "catalog", "products SKU-MUG exists")
    result = engine.verify_http(FakeSandbox(status, body), FakeFlows(), "monolith", "catalog",
                                interaction)
    assert (result.outcome, result.detail) == ("failed", problem)


def test_an_answer_outside_the_providers_contract_fails_even_in_the_recorded_shape():
    interaction = recorded_with_state("monolith", "catalog", "products SKU-MUG exists")
    live = {"sku": "SKU-MUG", "name": "Mug", "price_cents": -5, "stock": 1}
    result = engine.verify_http(FakeSandbox(200, live), FakeFlows(), "monolith", "catalog",
                                interaction)
    assert result.outcome == "failed" and result.detail.startswith("live answer: "), result


def test_the_token_state_puts_the_live_key_and_token_in_the_request():
    interaction = recorded_with_state(
        "gateway", "auth", "a token was issued to client 7b0c6f4e-1d2a-4c3b-8e9f-0a1b2c3d4e5f")
    sandbox = FakeSandbox(200, {})
    engine.verify_http(sandbox, FakeFlows(), "gateway", "auth", interaction)
    assert "'x-api-key: sk_live'" in sandbox.commands[0]
    assert "'authorization: Bearer live.token'" in sandbox.commands[0]


def test_events_are_judged_by_the_live_event_of_their_type():
    interaction = interactions("catalog", "monolith")[0]
    recorded = interaction["contents"]["content"]
    same = CapturedEvent("order.created", "events", json.loads(json.dumps(recorded)))
    assert engine.judge_event(interaction, [same], "monolith", "catalog") == []
    broken = json.loads(json.dumps(recorded))
    del broken["data"]["total_cents"]
    problems = engine.judge_event(
        interaction, [CapturedEvent("order.created", "events", broken)], "monolith", "catalog")
    assert problems == ["payload.data.total_cents: missing (the consumer saw a number)"]
    assert engine.judge_event(interaction, [], "monolith", "catalog")[0].startswith(
        "no order.created event on the events exchange")


def test_the_report_counts_each_outcome_and_names_each_failure():
    pair = engine.LivePair("monolith", "catalog", (
        engine.LiveResult("a", "verified"), engine.LiveResult("b", "override", "stub"),
        engine.LiveResult("c", "failed", "status 500 where the consumer recorded 200")))
    lines = live_table([pair])
    assert lines[0].split() == ["CONSUMER", "PROVIDER", "LIVE", "OVERRIDE", "NOT", "LIVE",
                                "FAILED"]
    assert lines[1].split() == ["monolith", "catalog", "1", "1", "0", "1"]
    assert lines[2] == ("FAILED monolith → catalog: c: status 500 where the consumer "
                        "recorded 200")
