"""Toxic types by name: filled by ``Toxic.__init_subclass__``, read by the API."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"attribute {name} must be a number, got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"attribute {name} must be an integer, got {value!r}")
    return int(value)


def build(cls: type[Toxic], attributes: Any, base: Toxic | None = None) -> Toxic:
    """A toxic of ``cls`` from JSON attributes, missing ones taken from ``base`` (or 0).

    Raises TypeError or ValueError on bad attributes.

    >>> from sandbox.toxiproxy.toxics import LatencyToxic
    >>> build(LatencyToxic, {"latency": 100})
    LatencyToxic(latency=100, jitter=0)
    """
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, Mapping):
        raise TypeError("attributes must be an object")
    values = dataclasses.asdict(base) if base is not None else {}  # type: ignore[call-overload]
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in attributes:
            values[field.name] = _as_int(field.name, attributes[field.name])
    toxic = cls(**values)
    toxic.validate()
    return toxic


def attributes_of(toxic: Toxic) -> dict[str, Any]:
    """The JSON ``attributes`` object of a toxic."""
    return dataclasses.asdict(toxic)  # type: ignore[call-overload]
