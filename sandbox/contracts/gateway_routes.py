"""The gateway's routes, read from its NGINX template: which paths go to which service.

Only what the public document needs: each `location` (exact or prefix) with the upstream
it proxies to (itself, or the named location its `try_files` hands over to), whether it
sits under `auth_request` (API key + JWT), its rate-limit zones, and the server's
`client_max_body_size`.

>>> conf = '''server { client_max_body_size 1m;
...   location = /v1/auth/token { limit_req zone=token_per_addr; proxy_pass http://$auth_upstream; }
...   location /v1/ { auth_request /_verify;
...     location /v1/orders { try_files /.verified @monolith; } }
...   location @monolith { limit_req zone=per_client; proxy_pass http://$monolith_upstream; } }'''
>>> [(r.path, r.exact, r.service, r.authenticated) for r in parse_routes(conf).routes]
[('/v1/auth/token', True, 'auth', False), ('/v1/orders', False, 'monolith', True)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .sources import GATEWAY_TEMPLATE

_TOKEN = re.compile(r"#[^\n]*|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[{};]|[^\s{};]+")
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)$")


@dataclass(frozen=True)
class GatewayRoute:
    """One `location` that proxies to a service."""

    path: str
    exact: bool
    service: str
    authenticated: bool
    rate_limit_zones: tuple[str, ...] = ()
    upstream_path: str | None = None
    """The service's path when `proxy_pass` names one (`/healthz` → `/health/ready`)."""

    def matches(self, path: str) -> bool:
        """True when a request for `path` (templated, e.g. `/v1/orders/{id}`) lands here."""
        return path == self.path if self.exact else path.startswith(self.path)


@dataclass
class GatewayConfig:
    routes: list[GatewayRoute] = field(default_factory=list)
    max_body_bytes: int | None = None
    denied_prefixes: list[str] = field(default_factory=list)

    def route_for(self, path: str) -> GatewayRoute | None:
        """NGINX's choice: an exact match, else the longest matching prefix."""
        exact = [r for r in self.routes if r.exact and r.matches(path)]
        if exact:
            return exact[0]
        prefixes = [r for r in self.routes if not r.exact and r.matches(path)]
        if any(path.startswith(p) for p in self.denied_prefixes):
            return None
        return max(prefixes, key=lambda r: len(r.path), default=None)


def _size(text: str) -> int:
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"unreadable size {text!r}")
    return int(found.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[
        found.group(2).lower()]


def parse_routes(text: str) -> GatewayConfig:
    """The first `server` block's proxied locations (the API server on port 8080)."""
    text = re.sub(r"\$\{(\w+)\}", r"\1", text)  # the entrypoint's ${PLACEHOLDERS}
    tokens = [t for t in _TOKEN.findall(text) if not t.startswith("#")]
    config = GatewayConfig()
    stack: list[dict] = []  # open blocks: {"kind", "args", "directives"}
    words: list[str] = []
    servers_seen = 0
    named: dict[str, list[list[str]]] = {}   # @name -> its directives
    handed_over: list[tuple[dict, list[dict]]] = []  # locations whose try_files names one
    for token in tokens:
        if token == "{":
            stack.append({"kind": words[0] if words else "", "args": words[1:], "directives": []})
            if stack[-1]["kind"] == "server":
                servers_seen += 1
            words = []
        elif token == ";":
            if stack and words:
                stack[-1]["directives"].append(words)
            if servers_seen == 1 and words and words[0] == "client_max_body_size" and \
                    [b["kind"] for b in stack] == ["server"]:
                config.max_body_bytes = _size(words[1])
            words = []
        elif token == "}":
            block = stack.pop()
            if servers_seen == 1 and block["kind"] == "location":
                if block["args"] and block["args"][-1].startswith("@"):
                    named[block["args"][-1]] = block["directives"]
                elif any(d[0] == "try_files" and d[-1].startswith("@")
                         for d in block["directives"]):
                    handed_over.append((block, list(stack)))
                else:
                    _add_location(config, block, stack)
            words = []
        else:
            words.append(token)
    for block, outer in handed_over:  # after auth, on to a named location (its proxy_pass)
        target = next(d[-1] for d in block["directives"] if d[0] == "try_files")
        _add_location(config, {**block, "directives": [*block["directives"],
                                                       *named.get(target, [])]}, outer)
    return config


def _add_location(config: GatewayConfig, block: dict, outer: list[dict]) -> None:
    args = block["args"]
    exact = bool(args) and args[0] == "="
    path = args[-1] if args else ""
    directives = {d[0]: d[1:] for d in block["directives"]}
    enclosing = [b for b in outer if b["kind"] == "location"]
    if any(d[0] == "deny" for b in [*enclosing, block] for d in b["directives"]):
        if "deny" in directives:
            config.denied_prefixes.append(path)
        return  # private routes (`allow <subnet>; deny all;`): not public
    upstream = next((re.match(r"http://\$(\w+)_upstream(/\S*)?$", d[1])
                     for d in block["directives"] if d[0] == "proxy_pass" and len(d) > 1), None)
    if not upstream or path.startswith("@") or "internal" in directives:
        return
    authenticated = any(d[0] == "auth_request" for b in [*enclosing, block]
                        for d in b["directives"])
    zones = tuple(sorted({d[1].split("=", 1)[1] for b in [*enclosing, block]
                          for d in b["directives"] if d[0] == "limit_req" and len(d) > 1
                          and d[1].startswith("zone=")}))
    config.routes.append(GatewayRoute(path, exact, upstream.group(1), authenticated, zones,
                                      upstream.group(2)))


def gateway_config() -> GatewayConfig:
    """The gateway's routes as this checkout configures them."""
    return parse_routes(GATEWAY_TEMPLATE.read_text(encoding="utf-8"))
