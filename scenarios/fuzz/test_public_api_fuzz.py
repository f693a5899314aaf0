"""Fuzzing: every operation of the public API, through the gateway, with schemathesis.

Its default checks and more (`--checks all`: no server error, status codes, content types,
headers and bodies as documented, invalid data rejected, valid data accepted, auth not
ignored, an undeclared method answered 405 with `Allow`, ...), with all its phases
(explicit examples, coverage of the schema's edges, random fuzzing, and stateful
sequences following the links between operations), ``SANDBOX_FUZZ_EXAMPLES``
examples per operation (50 by default: about 5 minutes on 2 cores), as the admin (every operation open), from a fixed seed
(``SANDBOX_FUZZ_SEED``) so a failure replays. Subscriber URLs are pointed at the
harness's own subscriber (``fuzz_hooks``): no fuzzed host is ever resolved or reached.

The run's reports (JUnit, JSON) are kept in ``reports/fuzz/`` when that folder can be made.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox import contracts

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "50"))
SEED = int(os.environ.get("SANDBOX_FUZZ_SEED", "20261202"))
RUN_TIMEOUT_S = 840


def schemathesis_run(contract: Path, base_url: str, headers: dict[str, str],
                     report_dir: Path, subscriber: str) -> subprocess.CompletedProcess[str]:
    """``st run`` as a user runs it, on the committed public contract."""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file",
               str(HERE / "schemathesis.toml"), "run", str(contract), "--url", base_url,
               "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
               "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "1",
               "--request-timeout", "15", "--report", "junit,json",
               "--report-dir", str(report_dir)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = {**os.environ, "SANDBOX_FUZZ_SUBSCRIBER": subscriber, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)


def report_dir(tmp_path: Path) -> Path:
    wanted = ROOT / "reports" / "fuzz"
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        return wanted
    except OSError:
        return tmp_path


# operations schemathesis.toml leaves out of the run (`enabled = false`), each with its reason
DISABLED = [line for line in (Path(__file__).parent / "schemathesis.toml").read_text().split(
    "[[operations]]") if "enabled = false" in line]


@pytest.mark.timeout(900)  # the run's own bound is RUN_TIMEOUT_S; on 2 cores it takes minutes
def test_every_public_operation_answers_within_its_contract(
        sandbox: Any, admin_client: Any, gateway_url: str, webhook_subscriber: Any,
        tmp_path: Path) -> None:
    contract = contracts.path_of("public")
    reports = report_dir(tmp_path)
    for old in reports.glob("*"):
        old.unlink()
    headers = {"X-Api-Key": admin_client.credentials.api_key,
               "Authorization": f"Bearer {admin_client.token}"}
    done = schemathesis_run(contract, gateway_url, headers, reports, webhook_subscriber.url)
    summary = done.stdout[-6000:]
    assert done.returncode == 0, f"schemathesis found failures (reports in {reports}):\n{summary}"
    [report] = reports.glob("json-*.json")
    run = json.loads(report.read_text())
    declared = contracts.operations(contracts.load("public"))
    operations = run["operations"]
    assert operations["tested"] == len(declared) - len(DISABLED), operations
    assert not operations["skipped"], operations
    assert not operations["errored"] and not run["test_cases"]["errored"], run["test_cases"]
    assert run["test_cases"]["generated"] >= 10 * len(declared), run["test_cases"]
    ran = {name: phase["status"] for name, phase in run["phases"].items()}
    assert ran == {"examples": ran["examples"], "coverage": "success", "fuzzing": "success",
                   "stateful": "success"}, ran
