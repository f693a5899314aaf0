"""The package's conventions: its public API is what ``__all__`` says, and every module's
docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

import sandbox.load

ENGINE_MODULES = ["sandbox.load", "sandbox.load.schedule", "sandbox.load.journeys",
                  "sandbox.load.recorder", "sandbox.load.results", "sandbox.load.engine",
                  "sandbox.load.slo", "sandbox.load.scenario_loader", "sandbox.load.shop",
                  "sandbox.load.sandbox_run"]


def test_all_names_exist_and_come_from_their_modules() -> None:
    assert sorted(sandbox.load.__all__) == sorted(sandbox.load._WHERE)
    for name in sandbox.load.__all__:
        value = getattr(sandbox.load, name)
        assert value is not None
        home = importlib.import_module(f"sandbox.load.{sandbox.load._WHERE[name]}")
        assert getattr(home, name) is value
    with pytest.raises(AttributeError):
        _ = sandbox.load.no_such_name


def test_importing_the_package_costs_nothing_until_a_name_is_used() -> None:
    code = ("import sys, sandbox.load, sandbox.load.cli; "
            "print(sorted(m for m in ('httpx', 'hdrh', 'uvloop') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=30).stdout.strip()
    assert out == "[]"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_the_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)

    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)

    assert attempted > 0
    assert failed == 0
