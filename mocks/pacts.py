"""Pact v4 files from recorded interactions: ``mocks/pacts/<consumer>-<provider>.json``.

Deterministic: interactions sorted by description, keys sorted, no timestamps, so a
re-recording with the same tests and seed rewrites the same bytes. HTTP interactions
are ``Synchronous/HTTP``; events fed to a consumer are ``Asynchronous/Messages`` whose
metadata names the exchange and routing key.

>>> from mocks.recording import Interaction
>>> i = Interaction("monolith", "catalog", "t: GET /p → 200", "http",
...                 request={"method": "GET", "path": "/p"}, response={"status": 200})
>>> doc = pact_document("monolith", "catalog", [i])
>>> doc["metadata"]["pactSpecification"], doc["interactions"][0]["type"]
({'version': '4.0'}, 'Synchronous/HTTP')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .recording import Interaction

RECORD_COMMAND = "pytest scenarios/contract -p no:randomly --record-pacts"
EXCHANGE = "events"


def _body(content: Any, content_type: str = "application/json") -> dict[str, Any]:
    return {"content": content, "contentType": content_type, "encoded": False}


def _headers(headers: dict[str, str]) -> dict[str, list[str]]:
    return {k: [v] for k, v in sorted(headers.items())}


def interaction_json(i: Interaction) -> dict[str, Any]:
    """One interaction in Pact v4's shape (``key`` hashes its content)."""
    out: dict[str, Any] = {"description": i.description, "pending": False,
                           "providerStates": [{"name": s} for s in i.provider_states]}
    if i.kind == "http":
        req: dict[str, Any] = {"method": i.request["method"], "path": i.request["path"]}
        if i.request.get("query"):
            req["query"] = i.request["query"]
        if i.request.get("headers"):
            req["headers"] = _headers(i.request["headers"])
        if "body" in i.request:
            ctype = (i.request.get("headers") or {}).get("Content-Type", "application/json")
            req["body"] = _body(i.request["body"], ctype)
        resp: dict[str, Any] = {"status": i.response["status"]}
        headers = i.response.get("headers") or {}
        if headers:
            resp["headers"] = _headers(headers)
        if "body" in i.response:
            resp["body"] = _body(i.response["body"],
                                 headers.get("Content-Type", "application/json").split(";")[0])
        out.update(type="Synchronous/HTTP", request=req, response=resp)
    else:
        out.update(type="Asynchronous/Messages",
                   contents=_body(i.message["content"]),
                   metadata={"contentType": "application/json", "exchange": EXCHANGE,
                             "routingKey": i.message["routing_key"]})
    canonical = json.dumps(out, sort_keys=True, separators=(",", ":")).encode()
    out["key"] = hashlib.sha256(canonical).hexdigest()[:16]
    return out


def pact_document(consumer: str, provider: str, interactions: Iterable[Interaction]) -> dict[str, Any]:
    unique: dict[str, dict[str, Any]] = {}
    for i in interactions:
        unique.setdefault(i.description, interaction_json(i))
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [unique[d] for d in sorted(unique)],
        "metadata": {"pactSpecification": {"version": "4.0"},
                     "sandbox": {"recordedWith": RECORD_COMMAND}},
    }


def pact_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def pact_name(consumer: str, provider: str) -> str:
    return f"{consumer}-{provider}.json"


def write_pacts(interactions: Iterable[Interaction], directory: Path) -> list[Path]:
    """Rewrite the pact file of every consumer→provider pair among ``interactions``."""
    pairs: dict[tuple[str, str], list[Interaction]] = {}
    for i in interactions:
        pairs.setdefault((i.consumer, i.provider), []).append(i)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for (consumer, provider), items in sorted(pairs.items()):
        path = directory / pact_name(consumer, provider)
        path.write_text(pact_text(pact_document(consumer, provider, items)))
        written.append(path)
    return written


def load_pacts(directory: Path) -> list[dict[str, Any]]:
    """Every pact file of ``directory`` (sorted by name), parsed."""
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*-*.json"))]


def save_fragment(interactions: list[Interaction], path: Path) -> None:
    """One process's interactions (xdist workers), merged by the controller."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([i.__dict__ for i in interactions], sort_keys=True))


def load_fragments(directory: Path) -> list[Interaction]:
    out = []
    for path in sorted(directory.glob("*.json")):
        out += [Interaction(**raw) for raw in json.loads(path.read_text())]
    return out
