"""The gateway's route table (compose/nginx/routes.yaml) covers the public contract: every
route and method of mocks/contracts/public.openapi.json has an entry that lists the method,
and the Allow header of the gateway's own 405 (`$gw_allow`, from the same entry) names it."""

from __future__ import annotations

import re

from sandbox import contracts
from sandbox.route_table import AUTHENTICATED, NOT_ALLOWED, NOT_FOUND, PUBLIC, load


def contract_methods() -> dict[str, set[str]]:
    by_path: dict[str, set[str]] = {}
    for path, method, _ in contracts.operations(contracts.load("public")):
        by_path.setdefault(path, set()).add(method.upper())
    return by_path


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-1", path)  # a concrete URI of the templated path


def test_every_public_route_and_method_has_an_entry_of_the_route_table():
    table = load()
    for path, methods in contract_methods().items():
        route = table.route_for(concrete(path))
        assert route is not None, f"{path}: no entry of compose/nginx/routes.yaml matches it"
        for method in methods:
            access = table.access(method, concrete(path))
            assert access not in (NOT_FOUND, NOT_ALLOWED), (
                f"{method} {path}: the route table's entry {route.path} does not list "
                f"{method}; add it to compose/nginx/routes.yaml")


def test_the_allow_map_names_every_method_of_the_contract():
    table = load()
    for path, methods in contract_methods().items():
        allow = {m.strip() for m in table.route_for(concrete(path)).allow.split(",")}
        assert methods <= allow, f"{path}: Allow {sorted(allow)} lacks {sorted(methods - allow)}"


def test_each_contract_path_has_its_own_entry_with_exactly_its_methods():
    """So the gateway's Allow is exact on every documented path (a `/**` entry only catches
    what a service adds below its prefix)."""
    table = load()
    for path, methods in contract_methods().items():
        route = table.route_for(concrete(path))
        assert not route.path.endswith("/**"), (
            f"{path} lands on {route.path}: give it an entry of its own in "
            "compose/nginx/routes.yaml, before the /** one")
        assert set(route.methods) == methods, (
            f"{path}: the table lists {sorted(route.methods)}, the contract {sorted(methods)}")


def test_only_the_contracts_public_routes_go_without_a_token():
    table = load()
    public = {r.path for r in table.routes if PUBLIC in r.methods.values()}
    assert public == {"/healthz", "/.well-known/jwks.json", "/v1/auth/token",
                      "/v1/auth/refresh", "/v1/auth/logout"}
    assert all(a != AUTHENTICATED for r in table.routes for a in r.methods.values()), (
        "every authenticated route of issue 8 names a permission")
