"""Settings read from the environment: one reader of a port and of a positive number, whose
ValueError names the variable and a good value (a service's one-line start-up error).

>>> env_port({"P": "8080"}, "P", 80), env_positive({"N": "2_000"}, "N", 5)
(8080, 2000)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

N = TypeVar("N", int, float)


def env_port(environ: Mapping[str, str], name: str, default: int) -> int:
    """`name` as a TCP/UDP port (0: any free one), `default` when unset or empty."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"{name}={text!r} is not a port: set it to e.g. {default} "
                         "(0: any free port)")
    return int(text)


def env_positive(environ: Mapping[str, str], name: str, default: N) -> N:
    """`name` as a number above 0 of `default`'s type (`2_000` allowed), `default` when
    unset or empty."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = type(default)(text.replace("_", ""))
    except ValueError:
        value = type(default)(0)
    if value <= 0:
        raise ValueError(f"{name}={text!r} is not a positive number: set it to e.g. {default}")
    return value
