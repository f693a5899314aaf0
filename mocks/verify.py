"""The static check: every recorded consumer interaction against the provider's committed
contract, request and answer, with no running service.

    for pair in static_check():
        print(pair.summary())
    # monolith → catalog (catalog.openapi.json): 4 interactions, ok
    # catalog → monolith (events.asyncapi.json): 1 of 2 interactions broken
    #   t: order.created: data.total_cents: not in the provider's schema (...)

A consumer relies on every field of the answers it recorded: a field the provider's
schema no longer documents breaks it, as does a status, header or type that changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .asyncapi import EventsContract
from .documents import EVENTS, PACTS_DIR, contracts_dir, document_path, load_document
from .errors import ContractMissing, UnknownOperation
from .openapi import ServiceContract, json_schema
from .pacts import load_pacts
from .schemas import SchemaChecker, field_path
from .validation import NO_BODY, Exchange, needs_identity, request_problems, response_problems

SUBSCRIBER = "subscriber"


@dataclass(frozen=True)
class InteractionResult:
    """One recorded interaction judged: ``problems`` empty means the provider keeps it."""

    description: str
    operation: str          # "GET /internal/products/{sku}", "order.created", or "" (none)
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PairResult:
    """A consumer→provider pair: its pact file, the contract it was checked against."""

    consumer: str
    provider: str
    pact: str                       # file name in mocks/pacts/
    contracts: tuple[str, ...]      # documents of mocks/contracts/ it was checked against
    interactions: tuple[InteractionResult, ...]

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.interactions)

    @property
    def failures(self) -> tuple[InteractionResult, ...]:
        return tuple(i for i in self.interactions if not i.ok)

    def summary(self) -> str:
        head = f"{self.consumer} → {self.provider} ({', '.join(self.contracts)}): "
        if self.ok:
            return head + f"{len(self.interactions)} interactions, ok"
        lines = [head + f"{len(self.failures)} of {len(self.interactions)} interactions broken"]
        lines += [f"  {i.description}: {p}" for i in self.failures for p in i.problems]
        return "\n".join(lines)


def static_check(pacts_dir: Path | str | None = None,
                 contracts: Path | str | None = None) -> list[PairResult]:
    """Every pact of ``pacts_dir`` (default ``mocks/pacts``) checked against the contracts
    of ``contracts`` (default ``mocks/contracts``), one result per pair, sorted."""
    results = [check_pact(doc, contracts)
               for doc in load_pacts(Path(pacts_dir) if pacts_dir else PACTS_DIR)]
    return sorted(results, key=lambda r: (r.consumer, r.provider))


def check_pact(pact: dict[str, Any], contracts: Path | str | None = None) -> PairResult:
    """One pact file's interactions, each against the provider's contract of its kind."""
    consumer = pact["consumer"]["name"]
    provider = pact["provider"]["name"]
    checker = _Checker(provider, consumer, contracts)
    results = tuple(checker.check(i) for i in pact.get("interactions") or [])
    return PairResult(consumer, provider, f"{consumer}-{provider}.json",
                      tuple(sorted(checker.used)), results)


def check_interaction(provider: str, consumer: str, interaction: dict[str, Any],
                      contracts: Path | str | None = None) -> InteractionResult:
    """One interaction (recorded, or a live answer in its place) against the provider's
    contract."""
    return _Checker(provider, consumer, contracts).check(interaction)


class _Checker:
    def __init__(self, provider: str, consumer: str, contracts: Path | str | None) -> None:
        self.provider, self.consumer = provider, consumer
        self.directory = contracts_dir(contracts)
        self.used: set[str] = set()
        self._events: EventsContract | None = None
        self._http: list[ServiceContract] | None = None
        self._deliveries: dict[str, ServiceContract] | None = None

    @property
    def events(self) -> EventsContract:
        self.used.add(document_path(EVENTS, self.directory).name)
        if self._events is None:
            self._events = EventsContract.load(self.directory)
        return self._events

    def deliveries(self) -> dict[str, ServiceContract]:
        """A subscriber's contract: event type → its delivery (the ``webhooks`` section of
        webhooks.openapi.json, else the events contract's envelopes)."""
        from .subscriber import delivery_contracts

        if self._deliveries is None:
            self.used.add(document_path("webhooks", self.directory).name)
            self._deliveries = delivery_contracts("/", self.directory)
            if not load_document("webhooks", self.directory).get("webhooks"):
                self.used.add(document_path(EVENTS, self.directory).name)
        return self._deliveries

    def http(self, event: str = "") -> list[ServiceContract]:
        """The provider's contract (a subscriber: the delivery of ``event``)."""
        if self.provider == SUBSCRIBER:
            return [self.deliveries()[event]]
        self.used.add(document_path(self.provider, self.directory).name)
        if self._http is None:
            self._http = [ServiceContract.load(self.provider, self.directory)]
        return self._http

    def check(self, interaction: dict[str, Any]) -> InteractionResult:
        description = interaction.get("description", "")
        try:
            if interaction.get("type") == "Asynchronous/Messages":
                return self._message(description, interaction)
            return self._exchange(description, interaction)
        except ContractMissing as exc:
            return InteractionResult(description, "", (str(exc),))

    def _message(self, description: str, interaction: dict[str, Any]) -> InteractionResult:
        key = (interaction.get("metadata") or {}).get("routingKey", "")
        try:
            kind = self.events.event(key)
        except UnknownOperation as exc:
            return InteractionResult(description, key, (str(exc),))
        content = (interaction.get("contents") or {}).get("content")
        problems = self.events.checker.problems(kind.schema, content)
        problems += undocumented(self.events.checker, kind.schema, content)
        if self.consumer not in kind.consumers:
            problems.append(f"{self.consumer} is not a consumer of {key} "
                            f"(consumers: {', '.join(kind.consumers) or 'none'})")
        if self.provider not in kind.publishers:
            problems.append(f"{self.provider} does not publish {key} "
                            f"(publishers: {', '.join(kind.publishers) or 'none'})")
        return InteractionResult(description, key, tuple(problems))

    def _exchange(self, description: str, interaction: dict[str, Any]) -> InteractionResult:
        req, resp = interaction.get("request") or {}, interaction.get("response") or {}
        headers = {k.lower(): (v[0] if isinstance(v, list) else v)
                   for k, v in (req.get("headers") or {}).items()}
        body = (req.get("body") or {}).get("content", NO_BODY) if "body" in req else NO_BODY
        method, path = req.get("method", "GET"), req.get("path", "/")
        event = headers.get("x-sandbox-event", "") or (
            body.get("type", "") if isinstance(body, dict) else "")
        found = None
        if self.provider == SUBSCRIBER:
            known = self.deliveries()
            if event not in known:
                problem = (f"request: X-Sandbox-Event {event!r}: the deliveries' contract has "
                           f"no such webhook (it has: {', '.join(sorted(known))})")
                return InteractionResult(description, "", (problem,))
        for contract in self.http(event):
            if self.provider == SUBSCRIBER:
                op = contract.operations[0]
                if op.method == method.upper():
                    found = (contract, op, {})
                    break
                continue
            match = contract.find(method, path)
            if match:
                found = (contract, *match)
                break
        if found is None:
            return InteractionResult(description, "", (
                f"no operation {method} {path} in {self.provider}'s contract",))
        contract, op, params = found
        ex = Exchange(method, path, params, {k: list(v) if isinstance(v, list) else [v]
                                             for k, v in (req.get("query") or {}).items()},
                      headers, body, headers.get("content-type", "application/json"))
        status = int(resp.get("status", 200))
        problems = [f"request: {p}" for p in request_problems(contract, op, ex)]
        if needs_identity(op, headers) and status != 401:
            problems.append("request: without X-User-Id the provider answers 401")
        resp_headers = {k: (v[0] if isinstance(v, list) else v)
                        for k, v in (resp.get("headers") or {}).items()}
        resp_body = (resp.get("body") or {}).get("content", NO_BODY) if "body" in resp else NO_BODY
        problems += [f"response {status}: {p}" for p in
                     response_problems(contract, op, status, resp_headers, resp_body)]
        spec = op.response(status) or {}
        declared = {h.lower() for h in spec.get("headers") or {}}
        for name in resp_headers:
            if name.lower() not in declared and name.lower() not in _GENERIC_HEADERS:
                problems.append(f"response {status}: header {name}: not in the provider's "
                                "contract (the consumer relies on it)")
        found_schema = json_schema(spec.get("content"), resp_headers.get("Content-Type"))
        if found_schema is not None and resp_body is not NO_BODY:
            problems += [f"response {status}: {p}" for p in
                         undocumented(contract.checker, found_schema[1], resp_body)]
        return InteractionResult(description, op.key, tuple(problems))


_GENERIC_HEADERS = {"content-type", "cache-control", "www-authenticate", "retry-after"}


def undocumented(checker: SchemaChecker, schema: Any, value: Any, path: tuple = ()) -> list[str]:
    """Fields of ``value`` that ``schema`` does not document (the consumer saw them, so it
    may rely on them; a provider that dropped them breaks it)."""
    schema = checker.resolve(schema) if isinstance(schema, dict) else {}
    options = [checker.resolve(o) for w in ("anyOf", "oneOf", "allOf") for o in schema.get(w, [])]
    if isinstance(value, dict):
        props: dict[str, Any] = dict(schema.get("properties") or {})
        extra = schema.get("additionalProperties")
        for option in options:
            props.update(option.get("properties") or {})
            extra = extra if extra is not None else option.get("additionalProperties")
        if not props and not options and not schema.get("type"):
            return []  # an open schema ({}): nothing to compare
        out = []
        for key, sub in value.items():
            if key in props:
                out += undocumented(checker, props[key], sub, (*path, key))
            elif isinstance(extra, dict):
                out += undocumented(checker, extra, sub, (*path, key))
            elif extra is not True:
                out.append(f"{field_path((*path, key))}: not in the provider's schema "
                           "(the consumer relies on it)")
        return out
    if isinstance(value, list):
        items = schema.get("items") or next((o.get("items") for o in options if "items" in o), {})
        return [p for i, v in enumerate(value) for p in
                undocumented(checker, items, v, (*path, i))]
    return []
