"""`sandbox contracts write | diff | check` as a user runs them."""

import json
import subprocess

import pytest

from sandbox import contracts
from sandbox.cli import main
from sandbox.contracts import store


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The contracts directory redirected to a copy, so the checkout is never touched."""
    for name in contracts.CONTRACTS:
        src = contracts.path_of(name)
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(store, "CONTRACTS_DIR", tmp_path)
    monkeypatch.setattr(store.path_of, "__defaults__", (tmp_path,))
    monkeypatch.setattr(store.stale, "__defaults__", (tmp_path,))
    monkeypatch.setattr(store.write, "__defaults__", (tmp_path,))
    return tmp_path


def test_write_leaves_current_documents_alone(scratch, capsys):
    assert main(["contracts", "write"]) == 0
    assert "every document is up to date" in capsys.readouterr().out


def test_check_names_the_stale_file_and_the_command(scratch, capsys):
    (scratch / "catalog.openapi.json").write_text("{}\n")
    assert main(["contracts", "check"]) == 1
    out = capsys.readouterr().out
    assert "catalog.openapi.json" in out and "sandbox contracts write" in out
    assert main(["contracts", "write"]) == 0
    assert main(["contracts", "check"]) == 0


def test_diff_against_a_base_with_a_removed_field_exits_nonzero(monkeypatch, capsys):
    committed = contracts.load("catalog")
    now = json.loads(json.dumps(committed))
    del now["components"]["schemas"]["Product"]["properties"]["price_cents"]
    real = store.generate_all

    def generated():
        docs = real()
        docs["catalog"] = now
        return docs

    monkeypatch.setattr("sandbox.contracts.cli.generate_all", generated)
    monkeypatch.setattr("sandbox.contracts.cli.load",
                        lambda name, ref=None: contracts.load(name))
    monkeypatch.setattr("sandbox.contracts.cli.check_revision", lambda ref: None)
    assert main(["contracts", "diff"]) == 1
    out = capsys.readouterr().out
    assert ("BREAKING catalog GET /v1/products/{sku}: response 200 field 'price_cents' removed"
            in out)


def test_diff_with_an_unknown_base_is_one_line_naming_the_ref(capsys):
    assert main(["contracts", "diff", "--base", "no-such-ref-xyz"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no-such-ref-xyz" in err and "fix:" in err


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([__import__("sys").executable, "-m", "sandbox.contracts", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "write" in done.stdout and "diff" in done.stdout


def test_check_fails_when_a_provider_drops_what_a_consumer_relies_on(tmp_path, monkeypatch, capsys):
    """The can-i-deploy table: catalog's contract loses `price_cents`, the monolith's pact
    (it prices orders with it) no longer holds, and `check` exits 1 naming the pair."""
    import functools
    import json
    import shutil

    import mocks.verify
    from sandbox.contracts import CONTRACTS_DIR

    drifted = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, drifted)
    doc = json.loads((drifted / "catalog.openapi.json").read_text())
    product = doc["components"]["schemas"]["Product"]
    product["properties"].pop("price_cents")
    product["required"].remove("price_cents")
    (drifted / "catalog.openapi.json").write_text(json.dumps(doc))
    monkeypatch.setattr(mocks.verify, "static_check",
                        functools.partial(mocks.verify.static_check, contracts=drifted))
    assert main(["contracts", "check"]) == 1
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.split()[:2] == ["monolith", "catalog"]]
    assert "BROKEN" in row and "price_cents" in out
