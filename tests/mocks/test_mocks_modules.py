"""Conventions of the mocks package: runnable docstring examples, the public API, one
plug-in per service with a contract, the gateway's verify call read from its template."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mocks
from mocks import SERVICES, MocksError
from mocks.documents import CONTRACTS_DIR
from mocks.nginx import TEMPLATE, verify_call
from mocks.plugins import ServicePlugin, plugin_for

MODULES = sorted(m.name for m in pkgutil.walk_packages(mocks.__path__, "mocks."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0


def test_the_public_api_is_all_of_all():
    for name in mocks.__all__:
        assert getattr(mocks, name) is not None


def test_every_service_has_a_plug_in_and_a_committed_contract():
    for name in SERVICES:
        plugin = plugin_for(name)
        assert plugin.base_url == f"http://{name}:8000"
        assert (CONTRACTS_DIR / f"{name}.openapi.json").exists()
        contract_ops = {op.key for op in mocks.ServiceMock(name).contract.operations}
        for coll in plugin.collections:
            named = {k for k in (coll.create, *coll.read, *coll.lists) if k}
            assert named <= contract_ops, f"{name}: {named - contract_ops} not in its contract"


def test_a_second_plug_in_with_a_taken_name_is_refused():
    with pytest.raises(MocksError, match="'catalog' exists already"):
        type("Again", (ServicePlugin,), {"name": "catalog", "base_url": "http://x"})


def test_the_verify_call_is_read_from_the_gateway_template(tmp_path):
    call = verify_call()
    assert "X-Api-Key" in call.client_headers and "X-User-Id" in call.cleared_headers
    broken = tmp_path / "gateway.conf.template"
    broken.write_text(TEMPLATE.read_text().replace("auth_request /_verify;", ""))
    with pytest.raises(MocksError, match="no auth_request"):
        verify_call(broken)
