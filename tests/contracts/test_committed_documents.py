"""The committed documents are what the code produces, and each is valid."""

import pytest

from sandbox import contracts
from sandbox.contracts.store import dumps

NAMES = sorted(contracts.CONTRACTS)


@pytest.fixture(scope="module")
def generated():
    return contracts.generate_all()


def test_every_document_of_the_task_is_registered():
    assert NAMES == ["auth", "catalog", "events", "monolith", "payments", "provider", "public",
                     "webhooks"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_document_matches_the_code(name, generated):
    path = contracts.path_of(name)
    committed = path.read_text(encoding="utf-8") if path.is_file() else ""
    assert committed == dumps(generated[name]), (
        f"mocks/contracts/{path.name} differs from what the code produces: "
        "run `sandbox contracts write` and commit it")


@pytest.mark.parametrize("name", NAMES)
def test_generated_document_is_valid(name, generated):
    contracts.validate(generated[name], contracts.CONTRACTS[name].kind, name)


def test_generation_is_deterministic(generated):
    again = contracts.generate_all()
    assert {n: dumps(d) for n, d in again.items()} == {n: dumps(d) for n, d in generated.items()}


@pytest.mark.parametrize("name", [n for n in NAMES if contracts.CONTRACTS[n].kind == "openapi"])
def test_every_operation_has_an_id_and_problem_errors(name, generated):
    ids = []
    for path, method, op in contracts.operations(generated[name]):
        ids.append(op["operationId"])
        for code, answer in op["responses"].items():
            if int(code) >= 400 and not (path.startswith("/health") or path == "/healthz"):
                assert list(answer["content"]) == ["application/problem+json"], (name, path, code)
                assert answer["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"}
    assert len(ids) == len(set(ids))
