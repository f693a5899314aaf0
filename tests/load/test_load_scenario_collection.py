"""Latency YAML files as pytest collects them (pytester): each is one test marked latency
(deselected by default, as the project's pytest configuration says), and a malformed one
fails collection with ``file:line: reason``."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

GOOD = """\
scenario: steady
load:
  journeys: {browse: 1}
  phases:
    - {constant: 5/s, for: 5s}
expect:
  slo:
    - {p99: 1s}
"""


@pytest.fixture
def latency(pytester):
    folder = pytester.path / "scenarios" / "latency"
    folder.mkdir(parents=True)
    return folder


def test_each_file_is_one_latency_test(pytester, latency):
    (latency / "steady.yaml").write_text(GOOD)
    (pytester.path / "scenarios" / "e2e").mkdir()
    (pytester.path / "scenarios" / "e2e" / "data.yaml").write_text("not: [a scenario\n")
    result = pytester.runpytest("-p", "no:randomly", "--collect-only", "-q", "-m",
                                "latency and docker")
    result.stdout.fnmatch_lines(["scenarios/latency/steady.yaml::steady", "1 test collected*"])


def test_a_malformed_file_fails_collection_naming_file_line_and_reason(pytester, latency):
    (latency / "typo.yaml").write_text(GOOD.replace("{p99: 1s}", "{p99: 1s, windw: 5s}"))
    result = pytester.runpytest("-p", "no:randomly", "-m", "latency", "scenarios")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting scenarios/latency/typo.yaml*",
        ("scenarios/latency/typo.yaml:8: unknown key 'windw' in an objective (did you mean "
         "'window'?); use one of: *"),
    ])
    assert "Traceback" not in result.stdout.str()
