"""The gateway's route table (compose/nginx/routes.yaml), its parser and the nginx maps
rendered from it (compose/nginx/routes.conf, committed)."""

from __future__ import annotations

import re

import pytest

from sandbox import route_table
from sandbox.contracts.gateway_routes import gateway_config
from sandbox.route_table import (
    NOT_ALLOWED,
    NOT_FOUND,
    PUBLIC,
    RouteTableError,
    load,
    parse,
    render_nginx,
)

# the issue-8 contract (resource:action)
PERMISSIONS = {
    "products:read", "products:write", "orders:read", "orders:write", "customers:read",
    "payments:read", "webhooks:read", "webhooks:write", "clients:read", "clients:write",
    "users:read", "users:write", "rbac:read", "rbac:write", "signing-keys:read",
    "signing-keys:write", "tokens:revoke", "audit:read"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def test_the_committed_nginx_maps_are_the_tables():
    assert route_table.NGINX_FILE.read_text() == render_nginx(load()), (
        "compose/nginx/routes.conf is stale: run `python -m sandbox.route_table`")
    assert route_table.main(["--check"]) == 0


def test_the_template_includes_the_maps_and_uses_them():
    template = (route_table.ROOT / "compose/nginx/gateway.conf.template").read_text()
    assert "include routes.conf;" in template
    for variable in ("$gw_access", "$gw_allow", "$required_permission"):
        assert variable in template


def test_every_permission_is_one_of_the_contract():
    assert load().permissions() <= PERMISSIONS


@pytest.mark.parametrize(("method", "path", "access"), [
    ("GET", "/v1/products", "products:read"), ("POST", "/v1/products", "products:write"),
    ("GET", "/v1/products/SKU-1", "products:read"), ("DELETE", "/v1/products/SKU-1", NOT_ALLOWED),
    ("POST", "/v1/orders", "orders:write"), ("GET", "/v1/orders/42", "orders:read"),
    ("GET", "/v1/orders", NOT_ALLOWED), ("GET", "/v1/orders/42/lines", NOT_FOUND),
    ("GET", "/v1/customers/me", "customers:read"), ("GET", "/v1/customers/other", NOT_FOUND),
    ("GET", "/v1/payments", "payments:read"),
    ("GET", "/v1/webhooks/subscriptions", "webhooks:read"),
    ("POST", "/v1/webhooks/subscriptions/1/secret", "webhooks:write"),
    ("GET", "/v1/admin/clients/c1", "clients:read"), ("POST", "/v1/admin/clients", "clients:write"),
    ("GET", "/v1/admin/clients", "clients:read"), ("DELETE", "/v1/admin/clients", NOT_ALLOWED),
    ("POST", "/v1/admin/clients/c1/keys/k1/rotate", "clients:write"),
    ("PATCH", "/v1/admin/users/1", "users:write"), ("GET", "/v1/admin/groups/1/groups", "rbac:read"),
    ("DELETE", "/v1/admin/roles/r", "rbac:write"), ("PUT", "/v1/admin/permissions/p", NOT_ALLOWED),
    ("PUT", "/v1/admin/roles/r/permissions/p", "rbac:write"),
    ("POST", "/v1/admin/signing-keys", NOT_ALLOWED),
    ("POST", "/v1/admin/signing-keys/rotate", "signing-keys:write"),
    ("POST", "/v1/admin/tokens/revoke", "tokens:revoke"), ("GET", "/v1/admin/audit", "audit:read"),
    ("POST", "/v1/admin/audit", NOT_ALLOWED), ("GET", "/v1/admin/nothing", NOT_FOUND),
    ("POST", "/v1/auth/token", PUBLIC), ("POST", "/v1/auth/refresh", PUBLIC),
    ("POST", "/v1/auth/logout", PUBLIC), ("GET", "/v1/auth/token", NOT_ALLOWED),
    ("GET", "/healthz", PUBLIC), ("GET", "/.well-known/jwks.json", PUBLIC),
    ("GET", "/v1", ""), ("GET", "/v1/", NOT_FOUND), ("GET", "/internal/verify", ""),
])
def test_the_table_says_what_each_route_needs(method, path, access):
    assert load().access(method, path) == access


def test_the_admin_paths_read_and_write_as_the_contract_says():
    table = load()
    for prefix, read, write in [("clients", "clients:read", "clients:write"),
                                ("users", "users:read", "users:write"),
                                ("roles", "rbac:read", "rbac:write"),
                                ("permissions", "rbac:read", "rbac:write"),
                                ("groups", "rbac:read", "rbac:write"),
                                ("signing-keys", "signing-keys:read", "signing-keys:write")]:
        # the listing reads; a path below the contract's own routes (`/**`) takes every
        # method, with the permission of its kind
        assert table.access("GET", f"/v1/admin/{prefix}") == read
        path = f"/v1/admin/{prefix}/x/y/z/w"
        assert table.access("GET", path) == read
        assert {table.access(m, path) for m in WRITES} == {write}


def test_each_entry_lands_on_a_gateway_location_that_checks_what_it_needs():
    """A public entry has its own location without auth_request; every other entry is
    proxied only after auth (API key + JWT + the permission)."""
    config = gateway_config()
    for route in load().routes:
        path = re.sub(r"\{[^}]+\}", "x-1", route.path.removesuffix("/**"))
        location = config.route_for(path)
        assert location is not None, f"{route.path}: no location of the template proxies it"
        public = set(route.methods.values()) == {PUBLIC}
        assert location.authenticated is not public, route.path
        if public and route.path != "/healthz":
            assert location.exact and location.rate_limit_zones, route.path
        if not public:
            assert "per_client" in location.rate_limit_zones, route.path


def test_the_nginx_map_regexes_are_the_parsers():
    text = render_nginx(load())
    regexes = re.findall(r'^\s+"~(\^[^"]*)"\s+"([^"]*)";', text, re.MULTILINE)
    by_path = {r.path: r.regex for r in load().routes}
    for regex, path in regexes:
        if path in by_path:
            assert by_path[path] == regex
    assert len([p for _, p in regexes if p in by_path]) == len(by_path)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "non-empty `routes:`"),
    ({"routes": [{"path": "/v1/x"}]}, "exactly `path:` and `methods:`"),
    ({"routes": [{"path": "v1/x", "methods": {"GET": "x:read"}}]}, "starts with /"),
    ({"routes": [{"path": "/v1/../x", "methods": {"GET": "x:read"}}]}, "neither a literal"),
    ({"routes": [{"path": "/v1/a b", "methods": {"GET": "x:read"}}]}, "neither a literal"),
    ({"routes": [{"path": "/v1/x", "methods": {"FETCH": "x:read"}}]}, "method 'FETCH'"),
    ({"routes": [{"path": "/v1/x", "methods": {"GET": "admin"}}]}, "must be a permission"),
    ({"routes": [{"path": "/v1/x", "methods": {"GET": "x:read"}},
                 {"path": "/v1/x", "methods": {"POST": "x:write"}}]}, "listed twice"),
])
def test_a_broken_table_is_refused_with_the_fix(data, message):
    with pytest.raises(RouteTableError, match=re.escape(message)):
        parse(data)


def test_the_first_matching_entry_decides():
    table = parse({"routes": [{"path": "/v1/a", "methods": {"POST": "a:write"}},
                              {"path": "/v1/a/**", "methods": {"GET": "a:read"}}]})
    assert table.access("GET", "/v1/a") == NOT_ALLOWED
    assert table.route_for("/v1/a").allow == "POST"
    assert table.access("GET", "/v1/a/b") == "a:read"
    assert table.access("GET", "/v1/ab") == NOT_FOUND
