"""The webhooks document's `webhooks` section (OpenAPI 3.1): what the worker POSTs to subscribers.

Everything in it is read from the webhook gateway's code, not written by hand:

    which event types      the `webhooks` queue's bindings (compose/rabbitmq/definitions.json)
                           matched against the payload models, keeping those that name the
                           customer (`store.OWNER_FIELD`): only those become deliveries
    the headers            what `delivery.build_request` sends, each described below; a header
                           it sends that is not described here (or the reverse) stops the build
    the body               the event's envelope (`services/platform/events.envelope_model`)
    the answers            `delivery.attempt` asked about every status 200-599 (in-process,
                           nothing is sent): those it counts as delivered, the rest retried

One webhook per event type, named by it (what `X-Sandbox-Event` says). Signed by the
Standard Webhooks specification: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .asyncapi_events import REF_TEMPLATE, consumers, payload_models
from .registry import Document
from .sources import BROKER_DEFINITIONS, ensure_services_importable

BODY_HEADER = "Content-Type"
"""Said by the request body's media type (OpenAPI ignores a `Content-Type` parameter)."""
EVENT_HEADER = "X-Sandbox-Event"
SAMPLE_DELIVERY = "00000000-0000-4000-8000-000000000000"
SAMPLE_TRACE = "0" * 32
SAMPLE_SECRET = "whsec_" + "A" * 43 + "="
STATUSES = range(200, 600)

@dataclass(frozen=True)
class DeliveryHeader:
    """How the section describes one header the worker sends."""

    description: str
    schema: dict[str, Any] | None = None
    """None: the header's one value, the one `build_request` sends (a `const`)."""


SIGNATURE_PATTERN = r"^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$"
HEADERS: dict[str, DeliveryHeader] = {
    EVENT_HEADER: DeliveryHeader("the event type, the body's `type`: which webhook this is"),
    "webhook-id": DeliveryHeader(
        "Standard Webhooks: the delivery's id, the same on every retry of it (a subscriber "
        "dedupes on it; the body's `id` is the event's)", {"type": "string", "format": "uuid"}),
    "webhook-timestamp": DeliveryHeader(
        "Standard Webhooks: when this attempt was signed, integer seconds since the epoch; a "
        "subscriber refuses one more than 5 minutes away from its clock (a replay)",
        {"type": "string", "pattern": "^[0-9]{1,12}$"}),
    "webhook-signature": DeliveryHeader(
        "Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>."
        "<body>`, keyed with the subscription's own secret (the bytes of its `whsec_` base64); "
        "during a secret rotation's overlap one signature per valid secret, space-separated, "
        "the new one first (the `standardwebhooks` library verifies it)",
        {"type": "string", "pattern": SIGNATURE_PATTERN}),
    "X-Trace-Id": DeliveryHeader(
        "the W3C trace id of the work that made the event (32 hex digits), sent when the "
        "event has one", {"type": "string", "pattern": "^[0-9a-f]{32}$"}),
    "User-Agent": DeliveryHeader("the webhook gateway's worker"),
}
"""Every header `delivery.build_request` sends but `Content-Type` (the body's media type)."""


def delivered_types(definitions: Mapping[str, Any]) -> dict[str, type]:
    """Event type → payload model, for every type the worker can deliver."""
    ensure_services_importable()
    from services.webhooks.store import OWNER_FIELD
    from services.webhooks.worker import QUEUE

    models = payload_models()
    routed = consumers(dict(definitions), list(models)).get(QUEUE, {}).get("types", [])
    return {t: models[t][1] for t in routed
            if (field := models[t][1].model_fields.get(OWNER_FIELD)) and field.is_required()}


def sent_headers(event_type: str, *, trace_id: str | None) -> dict[str, str]:
    """The headers `build_request` sends with a delivery of `event_type`."""
    from services.webhooks.delivery import build_request

    event = {"id": SAMPLE_DELIVERY, "type": event_type, "occurred_at": "2026-01-01T00:00:00Z",
             "data": {}, **({"trace_id": trace_id} if trace_id else {})}
    return build_request(SAMPLE_DELIVERY, event, SAMPLE_SECRET)[1]


def delivered_statuses() -> dict[int, bool]:
    """Status → whether `delivery.attempt` counts a subscriber's answer with it as delivered."""
    import httpx

    from services.webhooks.delivery import attempt

    async def probe() -> dict[int, bool]:
        transport = httpx.MockTransport(lambda r: httpx.Response(int(r.url.path[1:])))
        async with httpx.AsyncClient(transport=transport) as client:
            outcomes = await asyncio.gather(*(
                attempt(client, f"http://subscriber.invalid/{status}", b"{}", {})
                for status in STATUSES))
        return {status: ok for status, (ok, _, _) in zip(STATUSES, outcomes, strict=True)}

    return asyncio.run(probe())


def responses(delivered: Mapping[int, bool]) -> dict[str, Any]:
    """`NXX` for a status class wholly delivered, the code for a lone one, the rest `default`.

    410 is described on its own: it disables the subscription.

    >>> sorted(responses({s: 200 <= s < 300 for s in range(200, 600)}))
    ['2XX', '410', 'default']
    >>> sorted(responses({s: s in (200, 201) for s in range(200, 600)}))
    ['200', '201', '410', 'default']
    """
    from services.webhooks.delivery import GONE, MAX_ATTEMPTS, TIMEOUT_S, backoff_ceiling

    ok = {"description": "delivered: the answer's body is not read"}
    out: dict[str, Any] = {}
    for first in range(200, 600, 100):
        codes = [s for s in range(first, first + 100) if s in delivered]
        if codes and all(delivered[s] for s in codes):
            out[f"{first // 100}XX"] = ok
        else:
            out.update({str(s): ok for s in codes if delivered[s]})
    if not delivered.get(GONE, False):
        out[str(GONE)] = {"description": (
            "Gone: not delivered, and the subscription is disabled: nothing more is sent to it, "
            "this delivery and its pending ones are dead")}
    waits = ", ".join(f"{backoff_ceiling(n):g}" for n in range(1, MAX_ATTEMPTS))
    out["default"] = {"description": (
        f"not delivered, as is no answer within {TIMEOUT_S:g} s (a redirect is not followed): "
        f"retried after a random wait (full jitter) of up to {waits} s, then dead (the "
        f"dead-letter state, `GET /v1/webhooks/deliveries?status=dead`) after {MAX_ATTEMPTS} "
        "attempts")}
    return out


def parameters(event_type: str) -> tuple[list[dict[str, Any]], str]:
    """The header parameters of a delivery of `event_type`, and its body's media type."""
    full = sent_headers(event_type, trace_id=SAMPLE_TRACE)
    least = sent_headers(event_type, trace_id=None)
    undescribed = sorted(set(full) - set(HEADERS) - {BODY_HEADER})
    unsent = sorted(set(HEADERS) - set(full))
    if undescribed or unsent:
        raise ValueError(
            "services/webhooks/delivery.build_request and sandbox/contracts/webhook_deliveries.py "
            f"disagree: sent but not described {undescribed}, described but not sent {unsent}; "
            "describe each header the worker sends in HEADERS")
    params = []
    for name in sorted(set(full) - {BODY_HEADER}):
        header = HEADERS[name]
        schema = header.schema or {"type": "string", "const": full[name]}
        params.append({"name": name, "in": "header", "required": name in least,
                       "description": header.description, "schema": schema})
    return params, full[BODY_HEADER].split(";")[0].strip()


def webhooks_section(definitions: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the `webhooks` section, the schemas its bodies refer to)."""
    from services.platform.events import envelope_model

    answers = responses(delivered_statuses())
    hooks: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for event_type, model in delivered_types(definitions).items():
        envelope = envelope_model(model)
        schema = envelope.model_json_schema(ref_template=REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[envelope.__name__] = schema
        params, media = parameters(event_type)
        summary = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        hooks[event_type] = {"post": {
            "operationId": "deliver_" + re.sub(r"[^A-Za-z0-9]+", "_", event_type),
            "summary": f"{event_type}: {summary}".rstrip(": "),
            "description": (f"POSTed to every subscription of the event's `{_owner()}` whose "
                            f"patterns match `{event_type}`, through the egress proxy."),
            "parameters": params,
            "requestBody": {"required": True, "description": (
                "the event's envelope as the broker carried it, as compact JSON with sorted "
                "keys: the bytes the signature signs, after `<webhook-id>.<webhook-timestamp>.`"),
                "content": {media: {"schema": {"$ref": REF_TEMPLATE.format(
                    model=envelope.__name__)}}}},
            "responses": answers,
        }}
    return hooks, schemas


def _owner() -> str:
    from services.webhooks.store import OWNER_FIELD

    return OWNER_FIELD


def with_deliveries(doc: Document, definitions_path: Path = BROKER_DEFINITIONS) -> Document:
    """`doc` (the webhooks service's document) with its `webhooks` section and their schemas."""
    definitions = json.loads(definitions_path.read_text(encoding="utf-8"))
    hooks, schemas = webhooks_section(definitions)
    known = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.items():
        if name in known and known[name] != schema:
            raise ValueError(f"schema {name!r} of the deliveries' bodies clashes with the "
                             "webhooks API's own: rename one of the models")
        known[name] = schema
    doc["components"]["schemas"] = dict(sorted(known.items()))
    doc["webhooks"] = hooks
    return doc
