"""The toxics of one proxy: a chain per direction, applied to every live link."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sandbox.toxiproxy import errors, gojson
from sandbox.toxiproxy.link import Link
from sandbox.toxiproxy.toxics import Toxic, attributes_of, build, go_type, lookup

STREAMS = ("upstream", "downstream")
_NO_ATTRIBUTES = gojson.toxic_attributes("NoopToxic", [])


@dataclass
class ToxicEntry:
    """A configured toxic (Toxiproxy's ToxicWrapper): the toxic and how it is applied.
    ``stream`` is as the client wrote it (``"UPSTREAM"`` is kept); ``direction`` is it
    in lower case."""

    name: str
    type: str
    stream: str
    toxicity: gojson.Float32
    toxic: Toxic

    @property
    def direction(self) -> str:
        return self.stream.lower()

    def rolls_true(self) -> bool:
        """Whether a new connection gets this toxic (the toxicity roll)."""
        return random.random() < self.toxicity

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": attributes_of(self.toxic),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def _decode(value: Any, target: gojson.GoType) -> Any:
    try:
        return gojson.decode_value(value, target) or {}
    except gojson.GoJsonError as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None


def _build(cls: type[Toxic], attributes: dict[str, int], base: Toxic | None = None) -> Toxic:
    try:
        return build(cls, attributes, base)
    except (TypeError, ValueError) as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None


def parse_toxic(body: Any, existing: ToxicCollection | None = None) -> ToxicEntry:
    """A new toxic from its parsed JSON, with Toxiproxy's defaults and checks in its order:
    the body's types, the stream, the type, a free name (in ``existing``), the attributes.
    """
    wrapper = _decode(body, gojson.toxic_wrapper(_NO_ATTRIBUTES))
    stream = wrapper.get("stream", "downstream")
    if stream.lower() not in STREAMS:
        raise errors.INVALID_STREAM
    type_name = wrapper.get("type", "")
    name = wrapper.get("name") or f"{type_name}_{stream}"
    cls = lookup(type_name)
    if cls is None:
        raise errors.INVALID_TOXIC_TYPE
    if existing is not None and existing.find(name) is not None:
        raise errors.TOXIC_ALREADY_EXISTS
    attributes = _decode(body, gojson.toxic_create_attributes(go_type(cls))).get("attributes", {})
    toxicity = wrapper.get("toxicity", gojson.Float32(1.0))
    return ToxicEntry(name, type_name, stream, toxicity, _build(cls, attributes))


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
        self.chains[entry.direction].append(entry)
        for link in self._links(entry.direction):
            link.add_toxic(entry)
        return entry

    def update(self, name: str, body: Any) -> ToxicEntry:
        """Change attributes and toxicity (Toxiproxy's decoding); missing ones are kept."""
        old = self.get(name)
        cls = type(old.toxic)
        fields = _decode(body, gojson.toxic_update(go_type(cls)))
        toxic = _build(cls, fields.get("attributes", {}), base=old.toxic)
        new = ToxicEntry(old.name, old.type, old.stream, fields.get("toxicity", old.toxicity),
                         toxic)
        chain = self.chains[old.direction]
        chain[chain.index(old)] = new
        for link in self._links(old.direction):
            link.update_toxic(new)
        return new

    def remove(self, name: str) -> None:
        entry = self.get(name)
        self.chains[entry.direction].remove(entry)
        for link in self._links(entry.direction):
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
