"""The gateway's route table (`compose/nginx/routes.yaml`): method + path pattern -> access.

One parser for the table, and the nginx maps rendered from it (`compose/nginx/routes.conf`,
committed; `python -m sandbox.route_table` writes it, `--check` fails when it is stale):

- `$gw_route`   the table entry a normalized path (`$uri`) lands on: its pattern, `-` for a
                /v1/ path no entry matches (404, deny by default), "" outside the table;
- `$gw_access`  for "$gw_route $request_method": a permission, `authenticated`, `public`,
                `!404` (no entry), `!405` (the entry does not list the method), "" outside;
- `$gw_allow`   the entry's methods, for the Allow header of the gateway's 405.

>>> table = parse({"routes": [{"path": "/v1/orders/{id}", "methods": {"GET": "orders:read"}},
...                           {"path": "/v1/webhooks/**", "methods": {"POST": "webhooks:write"}}]})
>>> table.access("GET", "/v1/orders/42"), table.access("PUT", "/v1/orders/42")
('orders:read', '!405')
>>> table.access("POST", "/v1/webhooks"), table.access("POST", "/v1/webhooks/a/b")
('webhooks:write', 'webhooks:write')
>>> table.access("GET", "/v1/nothing"), table.access("GET", "/internal/x")
('!404', '')
>>> table.route_for("/v1/orders/42/items") is None
True
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TABLE_FILE = ROOT / "compose" / "nginx" / "routes.yaml"
NGINX_FILE = ROOT / "compose" / "nginx" / "routes.conf"
WRITE_COMMAND = "python -m sandbox.route_table"

PUBLIC, AUTHENTICATED = "public", "authenticated"
NOT_FOUND, NOT_ALLOWED = "!404", "!405"
DENIED_PREFIX = "/v1/"
"""Paths under this prefix that no entry matches are 404 (deny by default)."""

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_PERMISSION = re.compile(r"^[a-z][a-z-]*:[a-z][a-z-]*$")
_LITERAL = re.compile(r"^[A-Za-z0-9._~-]+$")
_PARAM = re.compile(r"^\{[A-Za-z_][A-Za-z0-9_]*\}$")


class RouteTableError(ValueError):
    """The table cannot be read; the message names the entry and the fix."""


@dataclass(frozen=True)
class Route:
    """One entry: a path pattern and the access each of its methods needs."""

    path: str
    methods: Mapping[str, str]
    regex: str
    """Anchored; the same text is a Python and a PCRE (nginx) regular expression."""

    def matches(self, path: str) -> bool:
        """True when the normalized `path` lands on this entry's pattern."""
        return re.fullmatch(self.regex, path) is not None

    @property
    def allow(self) -> str:
        """The Allow header of a 405 on this entry."""
        return ", ".join(sorted(self.methods, key=METHODS.index))


@dataclass(frozen=True)
class RouteTable:
    routes: tuple[Route, ...]

    def route_for(self, path: str) -> Route | None:
        """The first entry whose pattern matches `path` (nginx's map tries them in order)."""
        return next((r for r in self.routes if r.matches(path)), None)

    def access(self, method: str, path: str) -> str:
        """What the gateway's `$gw_access` map gives for `method path`."""
        route = self.route_for(path)
        if route is None:
            return NOT_FOUND if path.startswith(DENIED_PREFIX) else ""
        return route.methods.get(method, NOT_ALLOWED)

    def permissions(self) -> set[str]:
        """Every permission some route needs."""
        return {a for r in self.routes for a in r.methods.values()
                if a not in (PUBLIC, AUTHENTICATED)}


def pattern_regex(path: str) -> str:
    """`/v1/orders/{id}` -> `^/v1/orders/[^/]+$`; a trailing `/**` also matches the path itself.

    >>> pattern_regex("/.well-known/jwks.json"), pattern_regex("/v1/admin/users/**")
    ('^/\\\\.well-known/jwks\\\\.json$', '^/v1/admin/users(?:/.*)?$')
    """
    if not path.startswith("/") or path == "/":
        raise RouteTableError(f"path {path!r}: a pattern starts with / and names a route")
    parts = path[1:].split("/")
    tail = parts[-1] == "**"
    if tail:
        parts = parts[:-1]
    regex = ""
    for part in parts:
        if _PARAM.match(part):
            regex += "/[^/]+"
        elif _LITERAL.match(part) and part not in (".", ".."):
            regex += "/" + part.replace(".", r"\.")
        else:
            raise RouteTableError(f"path {path!r}: segment {part!r} is neither a literal "
                                  "([A-Za-z0-9._~-]), a {name}, nor a trailing **")
    if not regex:
        raise RouteTableError(f"path {path!r}: a /** pattern needs a prefix")
    return "^" + regex + ("(?:/.*)?" if tail else "") + "$"


def _access(path: str, method: str, access: Any) -> str:
    if method not in METHODS:
        raise RouteTableError(f"{path}: method {method!r} is not one of {', '.join(METHODS)}")
    if not isinstance(access, str) or not (access in (PUBLIC, AUTHENTICATED)
                                           or _PERMISSION.match(access)):
        raise RouteTableError(f"{path} {method}: access {access!r} must be a permission "
                              f"(resource:action), {AUTHENTICATED!r} or {PUBLIC!r}")
    return access


def parse(data: Any) -> RouteTable:
    """The table from its YAML document (a mapping with a `routes` list)."""
    entries = data.get("routes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RouteTableError("the table needs a non-empty `routes:` list")
    routes: list[Route] = []
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"path", "methods"}:
            raise RouteTableError(f"entry {entry!r}: write exactly `path:` and `methods:`")
        path, methods = entry["path"], entry["methods"]
        if not isinstance(path, str) or not isinstance(methods, dict) or not methods:
            raise RouteTableError(f"entry {entry!r}: `methods:` maps METHOD to access")
        if any(r.path == path for r in routes):
            raise RouteTableError(f"path {path!r} is listed twice: merge the entries")
        routes.append(Route(path, {str(m): _access(path, str(m), a) for m, a in methods.items()},
                            pattern_regex(path)))
    return RouteTable(tuple(routes))


def load(path: Path = TABLE_FILE) -> RouteTable:
    """The table of this checkout."""
    try:
        return parse(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise RouteTableError(f"{path.name}: not YAML ({exc})") from exc


def _quote(text: str) -> str:
    """An nginx string: patterns hold no quote, and nginx keeps `\\.` as it is."""
    return '"' + text + '"'


def render_nginx(table: RouteTable) -> str:
    """The nginx maps of the table (`routes.conf`), included at http{} level."""
    width = max(len(r.regex) for r in table.routes) + 5
    out = ["# Generated from routes.yaml by `" + WRITE_COMMAND + "`: do not edit.",
           "# Which entry a normalized path lands on (first match), what its methods need,",
           "# and the Allow header of its 405. See sandbox/route_table.py.",
           "map $uri $gw_route {",
           f"    {'default':<{width}} \"\";"]
    for route in table.routes:
        out.append(f"    {_quote('~' + route.regex):<{width}} {_quote(route.path)};")
    out.append(f"    {_quote('~^' + DENIED_PREFIX):<{width}} \"-\";    # deny by default")
    out += ["}", "", 'map "$gw_route $request_method" $gw_access {',
            f"    {'default':<{width}} {_quote(NOT_ALLOWED)};",
            f"    {_quote('~^ '):<{width}} \"\";        # outside the table",
            f"    {_quote('~^- '):<{width}} {_quote(NOT_FOUND)};"]
    for route in table.routes:
        for method in sorted(route.methods, key=METHODS.index):
            out.append(f"    {_quote(route.path + ' ' + method):<{width}} "
                       f"{_quote(route.methods[method])};")
    out += ["}", "", "map $gw_route $gw_allow {", f"    {'default':<{width}} \"\";"]
    for route in table.routes:
        out.append(f"    {_quote(route.path):<{width}} {_quote(route.allow)};")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write routes.conf from routes.yaml; with --check, exit 1 when it is stale."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        text = render_nginx(load())
    except RouteTableError as exc:
        print(f"error: {TABLE_FILE.name}: {exc}", file=sys.stderr)
        return 2
    current = NGINX_FILE.read_text(encoding="utf-8") if NGINX_FILE.exists() else ""
    if "--check" in args:
        if current != text:
            print(f"{NGINX_FILE.name} is stale: run `{WRITE_COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        NGINX_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {NGINX_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
