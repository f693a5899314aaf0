"""The committed pacts: current (re-recording gives the same bytes), and Pact v4 files
that pact-python's verifier (Pact's Rust core, through its FFI) reads and replays."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["PACT_DO_NOT_TRACK"] = "true"  # Pact's usage metrics would leave the machine
from pact import Verifier
from pact_stub_provider import stub_provider

from mocks.documents import PACTS_DIR
from mocks.pacts import RECORD_COMMAND

ROOT = Path(__file__).resolve().parents[2]
PACTS = sorted(PACTS_DIR.glob("*-*.json"))


def test_the_committed_pacts_are_what_the_contract_scenarios_record(tmp_path):
    out = tmp_path / "pacts"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios/contract", "-q", "-m", "not docker", "-p", "no:randomly",
         "-p", "no:cacheprovider", "--record-pacts", f"--pacts-dir={out}", "-x"],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    recorded = sorted(p.name for p in out.glob("*.json"))
    committed = sorted(p.name for p in PACTS)
    stale = sorted(set(recorded) ^ set(committed)) + [
        n for n in sorted(set(recorded) & set(committed))
        if not filecmp.cmp(out / n, PACTS_DIR / n, shallow=False)]
    assert not stale, (f"mocks/pacts/ is stale ({', '.join(stale)}): rewrite it with "
                       f"`{RECORD_COMMAND}` and commit the result")


def verify(pact_file: Path, served: dict) -> dict:
    """Pact's verifier on ``pact_file`` against a provider answering what ``served`` recorded."""
    pact = json.loads(pact_file.read_text())
    messages = {i["description"]: {"contents": json.dumps(i["contents"]["content"]).encode(),
                                   "metadata": i.get("metadata"),
                                   "content_type": "application/json"}
                for i in served["interactions"] if i["type"] == "Asynchronous/Messages"}
    with stub_provider(served) as (url, state):
        verifier = Verifier(pact["provider"]["name"], host="127.0.0.1")
        if state.http:
            verifier.add_transport(url=url)
        if messages:
            verifier.message_handler(messages)
        verifier.state_handler(state.set_state, teardown=True).add_source(pact_file)
        try:
            verifier.verify()
        except RuntimeError:
            pass  # the verifier's own verdict is in its results
    return verifier.results


@pytest.mark.parametrize("path", PACTS, ids=[p.name for p in PACTS])
def test_pact_pythons_verifier_reads_and_replays_every_interaction(path):
    pact = json.loads(path.read_text())
    results = verify(path, pact)
    assert results["result"] is True and not results["errors"], results["errors"]
    assert len(results["interactionResults"]) == len(pact["interactions"])
    assert pact["metadata"]["pactSpecification"] == {"version": "4.0"}


def test_pact_pythons_verifier_catches_an_answer_the_pact_does_not_expect(tmp_path):
    path = PACTS_DIR / "monolith-catalog.json"
    served = json.loads(path.read_text())
    expected = json.loads(path.read_text())
    http = next(i for i in expected["interactions"] if i["type"] == "Synchronous/HTTP"
                and i["response"]["status"] == 200)
    http["response"]["body"]["content"]["price_cents"] += 1
    changed = tmp_path / "monolith-catalog.json"
    changed.write_text(json.dumps(expected))
    results = verify(changed, served)
    assert results["result"] is False
    failed = [r for r in results["interactionResults"] if not r.get("success", True)]
    assert failed or results["errors"]
