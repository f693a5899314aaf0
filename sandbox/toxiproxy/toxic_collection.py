"""The toxics of one proxy: a chain per direction, applied to every live link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.toxiproxy import errors
from sandbox.toxiproxy.link import Link
from sandbox.toxiproxy.toxics import Toxic, attributes_of, build, lookup

STREAMS = ("upstream", "downstream")


@dataclass
class ToxicEntry:
    """A configured toxic (Toxiproxy's ToxicWrapper): the toxic and how it is applied."""

    name: str
    type: str
    stream: str
    toxicity: float
    toxic: Toxic

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": attributes_of(self.toxic),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def _toxicity(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise errors.BAD_REQUEST_BODY.joined(f"toxicity must be a number in 0..1, got {value!r}")
    return float(value)


def parse_toxic(body: Any) -> ToxicEntry:
    """A new toxic from its JSON object, with Toxiproxy's defaults and checks (in order)."""
    if not isinstance(body, dict):
        raise errors.BAD_REQUEST_BODY.joined("a toxic must be a JSON object")
    stream = body.get("stream") or "downstream"
    if stream not in STREAMS:
        raise errors.INVALID_STREAM
    type_name = body.get("type")
    if not isinstance(type_name, str):
        type_name = ""
    name = body.get("name") or f"{type_name}_{stream}"
    if not isinstance(name, str):
        raise errors.BAD_REQUEST_BODY.joined("name must be a string")
    cls = lookup(type_name)
    if cls is None:
        raise errors.INVALID_TOXIC_TYPE
    toxicity = _toxicity(body.get("toxicity", 1.0))
    try:
        toxic = build(cls, body.get("attributes"))
    except (TypeError, ValueError) as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None
    return ToxicEntry(name, type_name, stream, toxicity, toxic)


class ToxicCollection:
    """Toxics of a proxy and the links they apply to."""

    def __init__(self) -> None:
        self.chains: dict[str, list[ToxicEntry]] = {stream: [] for stream in STREAMS}
        self.links: set[Link] = set()

    def entries(self) -> list[ToxicEntry]:
        """All toxics, upstream ones first (the order Toxiproxy lists them in)."""
        return [entry for stream in STREAMS for entry in self.chains[stream]]

    def find(self, name: str) -> ToxicEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    def get(self, name: str) -> ToxicEntry:
        entry = self.find(name)
        if entry is None:
            raise errors.TOXIC_NOT_FOUND
        return entry

    def add(self, entry: ToxicEntry) -> ToxicEntry:
        if self.find(entry.name) is not None:
            raise errors.TOXIC_ALREADY_EXISTS
        self.chains[entry.stream].append(entry)
        for link in self._links(entry.stream):
            link.add_toxic(entry)
        return entry

    def update(self, name: str, body: Any) -> ToxicEntry:
        """Change attributes and toxicity; missing ones keep their value."""
        old = self.get(name)
        if not isinstance(body, dict):
            raise errors.BAD_REQUEST_BODY.joined("a toxic must be a JSON object")
        toxicity = _toxicity(body.get("toxicity", old.toxicity))
        try:
            toxic = build(type(old.toxic), body.get("attributes"), base=old.toxic)
        except (TypeError, ValueError) as exc:
            raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None
        new = ToxicEntry(old.name, old.type, old.stream, toxicity, toxic)
        chain = self.chains[old.stream]
        chain[chain.index(old)] = new
        for link in self._links(old.stream):
            link.update_toxic(new)
        return new

    def remove(self, name: str) -> None:
        entry = self.get(name)
        self.chains[entry.stream].remove(entry)
        for link in self._links(entry.stream):
            link.remove_toxic(name)

    def reset(self) -> None:
        for entry in self.entries():
            self.remove(entry.name)

    def attach(self, link: Link) -> None:
        """Start a new link with the current chain of its direction."""
        self.links.add(link)
        for entry in self.chains[link.direction]:
            link.add_toxic(entry)

    def detach(self, link: Link) -> None:
        self.links.discard(link)

    def _links(self, stream: str) -> list[Link]:
        return [link for link in self.links if link.direction == stream and not link.done]
