"""One-line overrides of a mock's answer for one operation.

    catalog.route("GET /internal/products/{sku}").respond(503)
    catalog.route("GET /internal/products/{sku}", sku="NOPE").respond(404)
    catalog.route("GET /internal/products/{sku}").timeout()          # httpx.ReadTimeout
    catalog.route("GET /internal/products/{sku}").timeout("connect")  # httpx.ConnectTimeout
    catalog.route("GET /internal/products/{sku}").delay(0.5)         # then the usual answer
    catalog.route("GET /internal/products/{sku}").respond(200, json={...}, times=1)

Stubbed answers are checked against the contract like generated ones; a delay longer
than the client's read timeout ends in ``httpx.ReadTimeout`` after that timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .openapi import Operation
from .validation import NO_BODY


@dataclass
class Override:
    """What replaces (or delays) the answer of matching requests."""

    op: Operation
    params: dict[str, str]
    status: int | None = None
    body: Any = NO_BODY
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None          # "read" | "connect" | "connect-error"
    delay: float = 0.0
    times: int | None = None          # None: every matching request

    def matches(self, op: Operation, params: dict[str, str]) -> bool:
        return op.key == self.op.key and all(params.get(k) == v for k, v in self.params.items())

    def describe(self) -> str:
        """The provider state the consumer relied on, e.g. ``GET /p/{sku} answers 503``."""
        scope = "".join(f" for {k}={v}" for k, v in sorted(self.params.items()))
        if self.error:
            return f"{self.op.key}{scope} fails ({self.error})"
        if self.status is not None:
            return f"{self.op.key}{scope} answers {self.status}"
        return f"{self.op.key}{scope} is slow ({self.delay:g} s)"


class RouteOverride:
    """The handle ``mock.route(...)`` returns; each method adds one override."""

    def __init__(self, overrides: list[Override], op: Operation, params: dict[str, str]) -> None:
        self._overrides = overrides
        self._op = op
        self._params = params

    def _add(self, **kwargs: Any) -> RouteOverride:
        self._overrides.append(Override(self._op, dict(self._params), **kwargs))
        return self

    def respond(self, status: int = 200, json: Any = NO_BODY, *,
                headers: dict[str, str] | None = None, times: int | None = None) -> RouteOverride:
        """A fixed answer; without ``json``: generated for that status (a problem for errors)."""
        return self._add(status=status, body=json, headers=dict(headers or {}), times=times)

    def timeout(self, kind: str = "read", *, times: int | None = None) -> RouteOverride:
        """The call times out: ``"read"`` (httpx.ReadTimeout) or ``"connect"``."""
        if kind not in ("read", "connect"):
            raise ValueError(f"timeout kind {kind!r}: use 'read' or 'connect'")
        return self._add(error=kind, times=times)

    def unreachable(self, *, times: int | None = None) -> RouteOverride:
        """The connection is refused (httpx.ConnectError)."""
        return self._add(error="connect-error", times=times)

    def delay(self, seconds: float, *, times: int | None = None) -> RouteOverride:
        """Answer as usual after ``seconds`` (a ReadTimeout if the client gives up first)."""
        return self._add(delay=float(seconds), times=times)

    def reset(self) -> None:
        """Drop this operation's overrides (for these parameters)."""
        self._overrides[:] = [o for o in self._overrides
                              if not (o.op.key == self._op.key and o.params == self._params)]
