"""Live verification: every recorded pact replayed against the running providers.

For each interaction of each pact (``mocks/pacts/``):
- HTTP: its provider states are set up for real (``states``), the request is sent from
  the consumer's container along the consumer's own link (``routes``), and the live
  answer must have the recorded status, the recorded headers, a body of the recorded
  shape (``shapes``), and keep the provider's contract (the static check's judge);
- messages: order flows are driven through the gateway while a tap on the broker copies
  every event (``broker_tap``); a live event of each recorded type must have the recorded
  shape and keep the events contract;
- interactions recorded against a stubbed failure are ``override``: judged by the static
  check alone; pairs whose provider is outside the system are ``not live``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mocks.verify import check_interaction

from .broker_tap import BrokerTap, CapturedEvent
from .routes import OUTSIDE, ROUTES, Exec, LiveAnswer, ReplayFailed, replay
from .shapes import shape_problems
from .states import LiveSystem, UnknownState, overridden, set_up

Outcome = Literal["verified", "override", "not live", "failed"]
EVENTS_WITHIN_S = 60.0

# order flows whose events cover what consumers record: paid, out of stock, declined
FLOWS = ({"price_cents": 1250, "stock": 5},
         {"price_cents": 1250, "stock": 0},
         {"price_cents": 2_000_000, "stock": 5})


@dataclass(frozen=True)
class LiveResult:
    description: str
    outcome: Outcome
    detail: str = ""   # the first problem of a failure, an override's reason


@dataclass(frozen=True)
class LivePair:
    consumer: str
    provider: str
    results: tuple[LiveResult, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def ok(self) -> bool:
        return not self.count("failed")


class Flows(LiveSystem, Protocol):
    """What the engine drives through the gateway: products, clients, orders."""

    def create_order(self, sku: str) -> None: ...


def _lower(headers: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): (v[-1] if isinstance(v, list) else v) for k, v in headers.items()}


def judge_answer(interaction: dict[str, Any], answer: LiveAnswer, provider: str,
                 consumer: str) -> list[str]:
    """How the live answer breaks what the consumer recorded, or the provider's contract."""
    recorded = interaction.get("response") or {}
    problems: list[str] = []
    status = int(recorded.get("status", 200))
    if answer.status != status:
        problems.append(f"status {answer.status} where the consumer recorded {status}")
    for name, value in _lower(recorded.get("headers") or {}).items():
        live = answer.header(name)
        if live is None:
            problems.append(f"header {name}: missing (the consumer recorded {value!r})")
        elif name == "content-type" and live.split(";")[0] != value.split(";")[0]:
            problems.append(f"content-type {live!r} where the consumer recorded {value!r}")
    if "body" in recorded:
        problems += shape_problems(recorded["body"].get("content"), answer.body)
    if not problems:  # the live answer as an interaction: the static check's judge
        live = {**interaction, "response": {
            "status": answer.status,
            "headers": {k: [v] for k, v in answer.headers.items()
                        if k.lower() in _lower(recorded.get("headers") or {})},
            **({"body": {"content": answer.body}} if answer.body is not None else {})}}
        problems += [f"live answer: {p}" for p in
                     check_interaction(provider, consumer, live).problems]
    return problems


def verify_http(sandbox: Exec, live: LiveSystem, consumer: str, provider: str,
                interaction: dict[str, Any]) -> LiveResult:
    description = interaction.get("description", "")
    states = [s["name"] for s in interaction.get("providerStates") or []]
    try:
        why = overridden(states)
        if why:
            return LiveResult(description, "override", why)
        edit = set_up(live, interaction)
    except (UnknownState, ReplayFailed) as exc:
        return LiveResult(description, "failed", str(exc))
    request = interaction.get("request") or {}
    headers = {**_lower(request.get("headers") or {}), **edit.headers}
    try:
        answer = replay(sandbox, ROUTES[(consumer, provider)], request, headers)
    except ReplayFailed as exc:
        return LiveResult(description, "failed", str(exc))
    problems = judge_answer(interaction, answer, provider, consumer)
    return LiveResult(description, "failed" if problems else "verified",
                      problems[0] if problems else "")


def judge_event(interaction: dict[str, Any], events: list[CapturedEvent], provider: str,
                consumer: str) -> list[str]:
    """How the live events of the recorded type break the recorded message (empty: one of
    them keeps its shape and the events contract)."""
    key = (interaction.get("metadata") or {}).get("routingKey", "")
    exchange = (interaction.get("metadata") or {}).get("exchange", "events")
    same = [e for e in events if e.routing_key == key and e.exchange == exchange]
    if not same:
        return [(f"no {key} event on the {exchange} exchange within {EVENTS_WITHIN_S:g} s "
                "of order flows")]
    expected = (interaction.get("contents") or {}).get("content")
    best: list[str] = []
    for event in same:
        problems = shape_problems(expected, event.payload, "payload")
        if not problems:
            live = {**interaction, "contents": {"content": event.payload}}
            problems = [f"live event: {p}" for p in
                        check_interaction(provider, consumer, live).problems]
        if not problems:
            return []
        best = best or problems
    return best


def capture_events(sandbox: Exec, flows: Flows, wanted: set[str],
                   progress: Callable[[str], None]) -> list[CapturedEvent]:
    """Drive ``FLOWS`` while the tap is open, until every ``wanted`` routing key has been
    seen or ``EVENTS_WITHIN_S`` have passed."""
    captured: list[CapturedEvent] = []
    with BrokerTap(sandbox) as tap:
        progress(f"driving {len(FLOWS)} order flows; waiting for {', '.join(sorted(wanted))}")
        flows.issue_token()
        for spec in FLOWS:
            sku = f"LIVE-{uuid.uuid4().hex[:10].upper()}"
            flows.create_product({"sku": sku, "name": f"Live check {sku}", **spec})
            flows.create_order(sku)
        deadline = time.monotonic() + EVENTS_WITHIN_S
        while True:
            captured += tap.drain()
            missing = wanted - {e.routing_key for e in captured}
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # polling the tap between reads
        progress(f"captured {len(captured)} events"
                 + (f"; never seen: {', '.join(sorted(missing))}" if missing else ""))
    return captured


def verify_live(sandbox: Exec, flows: Flows, pacts: Iterable[dict[str, Any]],
                progress: Callable[[str], None] = lambda _: None) -> list[LivePair]:
    """Every pact's interactions against the live providers, one result per pair."""
    pacts = list(pacts)
    wanted = {(i.get("metadata") or {}).get("routingKey", "")
              for p in pacts if p["provider"]["name"] not in OUTSIDE
              for i in p.get("interactions") or [] if i.get("type") == "Asynchronous/Messages"}
    events = capture_events(sandbox, flows, wanted, progress) if wanted else []
    pairs = []
    for pact in sorted(pacts, key=lambda p: (p["consumer"]["name"], p["provider"]["name"])):
        consumer, provider = pact["consumer"]["name"], pact["provider"]["name"]
        progress(f"{consumer} → {provider}: {len(pact.get('interactions') or [])} interactions")
        results = []
        for interaction in pact.get("interactions") or []:
            description = interaction.get("description", "")
            if provider in OUTSIDE:
                results.append(LiveResult(description, "not live", OUTSIDE[provider]))
            elif interaction.get("type") == "Asynchronous/Messages":
                problems = judge_event(interaction, events, provider, consumer)
                results.append(LiveResult(description, "failed" if problems else "verified",
                                          problems[0] if problems else ""))
            elif (consumer, provider) not in ROUTES:
                results.append(LiveResult(description, "failed",
                                          f"no live route from {consumer} to {provider}: add "
                                          "one to ROUTES in sandbox/contracts/live/routes.py"))
            else:
                results.append(verify_http(sandbox, flows, consumer, provider, interaction))
        pairs.append(LivePair(consumer, provider, tuple(results)))
    return pairs
