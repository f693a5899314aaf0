"""A link fault as QA writes it on the command line, turned into a Toxiproxy toxic.

The first ``key=value`` names the fault and its main amount; later ones are extra
attributes. Durations take ``ms`` or ``s``; rates ``KB`` (per second); sizes bytes.

>>> parse_fault(["latency=300ms", "jitter=50ms"])
Fault(kind='latency', attributes={'latency': 300, 'jitter': 50})
>>> parse_fault(["bandwidth=100KB"])
Fault(kind='bandwidth', attributes={'rate': 100})
>>> parse_fault(["down"])
Fault(kind='down', attributes={})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.errors import SandboxError

# fault kind -> (toxic type, the attribute its amount sets, unit of that amount)
KINDS: dict[str, tuple[str, str, str]] = {
    "latency": ("latency", "latency", "ms"),
    "bandwidth": ("bandwidth", "rate", "KB"),
    "slow_close": ("slow_close", "delay", "ms"),
    "timeout": ("timeout", "timeout", "ms"),
    "reset_peer": ("reset_peer", "timeout", "ms"),
    "slicer": ("slicer", "average_size", "bytes"),
    "limit_data": ("limit_data", "bytes", "bytes"),
}
EXTRA_UNITS = {"jitter": "ms", "size_variation": "bytes", "delay": "us"}
USAGE = f"write e.g. `latency=300ms jitter=50ms`, `timeout=2s` or `down`; kinds: {', '.join([*KINDS, 'down'])}"


class FaultSpecError(SandboxError):
    pass


@dataclass(frozen=True)
class Fault:
    """``kind`` is a toxic type, or ``down`` (the link refuses connections)."""

    kind: str
    attributes: dict[str, int] = field(default_factory=dict)


def parse_amount(text: str, unit: str, where: str) -> int:
    """``300ms`` -> 300, ``2s`` -> 2000 (unit ms); ``100KB`` -> 100 (unit KB); ``64`` -> 64."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not m:
        raise FaultSpecError(f"{where}: {text!r} is not an amount", USAGE)
    number, suffix = float(m.group(1)), m.group(2).lower()
    scale = {
        "ms": {"": 1, "ms": 1, "s": 1000},
        "us": {"": 1, "us": 1, "ms": 1000, "s": 1_000_000},
        "KB": {"": 1, "kb": 1, "mb": 1024},
        "bytes": {"": 1, "b": 1, "kb": 1024, "mb": 1024 * 1024},
    }[unit]
    if suffix not in scale:
        raise FaultSpecError(f"{where}: unknown unit {suffix!r} in {text!r}", USAGE)
    return round(number * scale[suffix])


def parse_fault(words: list[str]) -> Fault:
    """Parse ``["latency=300ms", "jitter=50ms"]`` (see the module doc)."""
    if not words:
        raise FaultSpecError("no fault given", USAGE)
    head, *rest = words
    if head == "down":
        if rest:
            raise FaultSpecError(f"`down` takes no attributes (got {' '.join(rest)})", USAGE)
        return Fault("down")
    name, _, amount = head.partition("=")
    if name not in KINDS or not amount:
        raise FaultSpecError(f"unknown fault {head!r}", USAGE)
    toxic, main, unit = KINDS[name]
    attributes = {main: parse_amount(amount, unit, name)}
    for word in rest:
        key, _, value = word.partition("=")
        if not value:
            raise FaultSpecError(f"{word!r} is not key=value", USAGE)
        attributes[key] = parse_amount(value, EXTRA_UNITS.get(key, "bytes"), key)
    return Fault(toxic, attributes)


def parse_duration(text: str) -> float:
    """``30s`` -> 30.0, ``500ms`` -> 0.5 (the ``--for`` option)."""
    return parse_amount(text, "ms", "--for") / 1000
