"""Toxic types by name: filled by ``Toxic.__init_subclass__``, read by the API."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.toxiproxy.gojson import GoType

if TYPE_CHECKING:
    from sandbox.toxiproxy.toxics.base import Toxic

_REGISTRY: dict[str, type[Toxic]] = {}


def register(type_name: str, cls: type[Toxic]) -> None:
    """Register a toxic class under its type name; a second class of the same name fails."""
    if type_name in _REGISTRY and _REGISTRY[type_name] is not cls:
        raise ValueError(f"toxic type {type_name!r} is already registered")
    _REGISTRY[type_name] = cls


def toxic_types() -> list[str]:
    """Every registered type name, sorted."""
    return sorted(_REGISTRY)


def lookup(type_name: str) -> type[Toxic] | None:
    return _REGISTRY.get(type_name)


def go_type(cls: type[Toxic]) -> GoType:
    """The Go struct Toxiproxy decodes this toxic's attributes into (for its error texts)."""
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    int_type = GoType("int64", cls.go_int)
    return GoType("struct", f"toxics.{cls.go_name}", dict.fromkeys(names, int_type),
                  struct_name=cls.go_name)


def build(cls: type[Toxic], attributes: Mapping[str, int], base: Toxic | None = None) -> Toxic:
    """A toxic of ``cls`` from decoded attributes, missing ones taken from ``base`` (or
    their default). Raises ValueError when the toxic's ``validate`` refuses them.

    >>> from sandbox.toxiproxy.toxics import LatencyToxic
    >>> build(LatencyToxic, {"latency": 100})
    LatencyToxic(latency=100, jitter=0)
    """
    values = dataclasses.asdict(base) if base is not None else {}  # type: ignore[call-overload]
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in attributes:
            values[field.name] = attributes[field.name]
    toxic = cls(**values)
    toxic.validate()
    return toxic


def attributes_of(toxic: Toxic) -> dict[str, Any]:
    """The JSON ``attributes`` object of a toxic."""
    return dataclasses.asdict(toxic)  # type: ignore[call-overload]
