"""The gateway's own 405 (nginx answers TRACE itself) names the route's methods in Allow:
its `$allowed_methods` map must say what the public contract says, route by route."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox import contracts

TEMPLATE = Path(__file__).resolve().parents[2] / "compose/nginx/gateway.conf.template"
ENTRY = re.compile(r'^\s*("?)(?P<key>[^"\s]+)\1\s+"(?P<methods>[^"]*)";\s*$')


def allowed_methods_map() -> dict[str, set[str]]:
    text = TEMPLATE.read_text()
    block = re.search(r"map \$uri \$allowed_methods \{(?P<body>.*?)\n\}", text, re.DOTALL)
    assert block, "gateway.conf.template has no `map $uri $allowed_methods` block"
    entries = {}
    for line in block["body"].splitlines():
        match = ENTRY.match(line)
        if match and match["key"] != "default":
            entries[match["key"]] = {m.strip() for m in match["methods"].split(",") if m.strip()}
    return entries


def methods_for(uri: str, entries: dict[str, set[str]]) -> set[str]:
    if uri in entries:
        return entries[uri]
    for key, methods in entries.items():
        if key.startswith("~") and re.search(key[1:], uri):
            return methods
    return set()


def test_every_public_route_has_its_methods_in_the_gateways_allow_map():
    entries = allowed_methods_map()
    by_path: dict[str, set[str]] = {}
    for path, method, _ in contracts.operations(contracts.load("public")):
        by_path.setdefault(path, set()).add(method.upper())
    for path, methods in by_path.items():
        uri = re.sub(r"\{[^}]+\}", "x-1", path)  # a concrete URI of the templated path
        assert methods_for(uri, entries) == methods, (
            f"{path}: the contract has {sorted(methods)}, the gateway's Allow map "
            f"{sorted(methods_for(uri, entries))}; fix `map $uri $allowed_methods` in "
            "compose/nginx/gateway.conf.template")
    assert len(entries) == len(by_path), "the Allow map names a route the contract lacks"
