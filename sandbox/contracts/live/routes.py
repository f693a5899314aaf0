"""How a consumer reaches its provider in the running sandbox, and a replay along it.

A recorded request is sent from the consumer's own container to the address that
consumer is configured with (its link through the proxy), so the live check travels the
path the real calls travel, private routes included: they answer only inside the
private network, and that is where the consumer is.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

CURL_TIMEOUT_S = 10


class Exec(Protocol):
    def exec(self, service: str, cmd: list[str]) -> tuple[int, str]: ...


@dataclass(frozen=True)
class Route:
    """From ``container``, the provider is at ``base`` (shell syntax: it may name the
    container's environment)."""

    container: str
    base: str


# consumer → provider: where the consumer's calls go
ROUTES: dict[tuple[str, str], Route] = {
    ("monolith", "catalog"): Route("monolith", "$CATALOG_URL"),
    ("gateway", "auth"): Route("gateway", "http://$AUTH_UPSTREAM"),
}

# pairs whose provider is not part of the system
OUTSIDE = {"subscriber": "a customer's endpoint, outside the system: the deliveries are "
                         "judged against the webhooks section and by the e2e webhook tests"}


@dataclass(frozen=True)
class LiveAnswer:
    status: int
    headers: dict[str, str]   # names as sent; the last value of a repeated header
    body: Any                 # parsed JSON, the text, or None when empty

    def header(self, name: str) -> str | None:
        lower = {k.lower(): v for k, v in self.headers.items()}
        return lower.get(name.lower())


class ReplayFailed(RuntimeError):
    """The request could not be sent, or the answer not read."""


def curl_command(route: Route, request: dict[str, Any], headers: dict[str, str]) -> str:
    """The shell command that sends ``request`` along ``route`` and prints the answer."""
    path = request.get("path", "/")
    query = request.get("query") or {}
    if query:
        path += "?" + urlencode([(k, v) for k, vs in query.items()
                                 for v in (vs if isinstance(vs, list) else [vs])])
    parts = ["curl", "-sS", "-i", "-m", str(CURL_TIMEOUT_S), "-X",
             shlex.quote(request.get("method", "GET"))]
    for name, value in headers.items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = (request.get("body") or {}).get("content") if "body" in request else None
    if body is not None:
        text = body if isinstance(body, str) else json.dumps(body)
        parts += ["--data-binary", shlex.quote(text)]
    parts.append(f'"{route.base}"{shlex.quote(path)}')
    return " ".join(parts)


def parse_answer(raw: str) -> LiveAnswer:
    """curl -i's output: the status line, headers, a blank line, the body."""
    text = raw.replace("\r\n", "\n")
    while text.startswith("HTTP/") and " 100 " in text.split("\n", 1)[0]:
        text = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise ReplayFailed(f"no HTTP answer: {raw.strip()[:200]!r}") from None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    parsed: Any = body or None
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if body and "json" in content_type:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body
    return LiveAnswer(status, headers, parsed)


def replay(sandbox: Exec, route: Route, request: dict[str, Any],
           headers: dict[str, str]) -> LiveAnswer:
    """Send ``request`` (a pact request) with ``headers`` along ``route``."""
    code, out = sandbox.exec(route.container, ["sh", "-c", curl_command(route, request, headers)])
    if code != 0:
        raise ReplayFailed(f"curl in {route.container} exited {code}: {out.strip()[:200]}")
    return parse_answer(out)
