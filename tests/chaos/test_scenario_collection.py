"""YAML scenarios as pytest collects and runs them (pytester): a malformed file fails
collection with ``file:line: reason``; the matrix is not a scenario; a scenario runs as
one test against the links' proxy (the project's own, on 127.0.0.1), with the gateway
client and the product faked in a conftest."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.faults.links import LinkFaults
from tests.toxiproxy.netutil import proxy_with_links

pytest_plugins = ["pytester"]

FAKE = (Path(__file__).parent / "chaos_fake_sandbox.py").read_text(encoding="utf-8")
LINKS = ("catalog->postgres", "gateway->catalog")

CONFTEST = """
import uuid
import pytest

class Answer:
    def __init__(self, status, body):
        self.status_code, self._body = status, body
        self.headers = {"content-type": "application/json"}

    def json(self):
        return self._body

class Gateway:
    def post(self, url, json=None, timeout=None):
        return Answer(201, {"id": str(uuid.uuid4()), "status": "pending"})

    def get(self, url, params=None, timeout=None):
        if url == "/v1/payments":
            return Answer(200, {"items": [{"order_id": params["order_id"]}]})
        return Answer(200, {"status": "paid", "items": []})

@pytest.fixture
def enrolled_client():
    return Gateway()

@pytest.fixture
def product_factory():
    return lambda **fields: {"sku": "SKU-1", **fields}
"""

GOOD = """\
scenario: a slow catalog
steady_state:
  - get: /v1/products
steps:
  - traffic: 10/s
  - fault: catalog->postgres latency=100ms
  - fault: {service: catalog, action: pause}
  - wait: 300ms
expect:
  recovery: 2s
  nothing_lost: 2s
"""


@pytest.fixture
def proxy(tmp_path):
    with proxy_with_links(tmp_path, LINKS) as server:
        yield LinkFaults(server.url)


@pytest.fixture
def project(pytester, monkeypatch, proxy) -> Path:
    pytester.makepyfile(chaos_fake_sandbox=FAKE)
    pytester.makeconftest(CONFTEST)
    log = pytester.path / "calls.log"
    log.touch()
    monkeypatch.setenv("FAKE_SANDBOX_LOG", str(log))
    monkeypatch.setenv("FAKE_PROXY_URL", proxy._base)
    monkeypatch.setenv("SANDBOX_FACTORY", "chaos_fake_sandbox:ChaosFakeSandbox")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    pytester.syspathinsert()
    chaos = pytester.path / "scenarios" / "chaos"
    chaos.mkdir(parents=True)
    return chaos


def test_a_malformed_scenario_fails_collection_naming_file_line_and_reason(pytester, project):
    (project / "typo.yaml").write_text("scenario: s\nsteps:\n  - wait: 1s\n  - faults: a->b down\n")
    (project / "ok.yaml").write_text(GOOD)
    result = pytester.runpytest("-p", "no:randomly", "scenarios")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting scenarios/chaos/typo.yaml*",
        ("scenarios/chaos/typo.yaml:4: unknown step 'faults' in steps (did you mean 'fault'?); "
         "use one of: traffic, fault, remove, clear, wait"),
    ])
    assert "Traceback" not in result.stdout.str()


def test_only_scenario_files_are_collected_each_one_chaos_test(pytester, project):
    (project / "slow.yaml").write_text(GOOD)
    (project / "matrix.yaml").write_text("links: {}\n")  # the resiliency matrix: not a scenario
    (pytester.path / "scenarios" / "e2e").mkdir()
    (pytester.path / "scenarios" / "e2e" / "data.yaml").write_text("not: [a scenario\n")
    result = pytester.runpytest("-p", "no:randomly", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios/chaos/slow.yaml::slow", "1 test collected*"])
    result = pytester.runpytest("-p", "no:randomly", "--collect-only", "-q", "-m", "chaos and docker")
    result.stdout.fnmatch_lines(["scenarios/chaos/slow.yaml::slow", "1 test collected*"])


def test_a_scenario_runs_as_one_test_and_leaves_no_fault_behind(pytester, project, proxy):
    (project / "slow.yaml").write_text(GOOD)
    result = pytester.runpytest("-p", "no:randomly", "-rA", "scenarios")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["scenario 'a slow catalog': held",
                                 "*fault: catalog->postgres/latency_downstream",
                                 "*fault: pause catalog", "*rolled back: every link cleared"])
    assert proxy.list() == []
    log = (pytester.path / "calls.log").read_text().splitlines()
    assert log == ["up", "pause catalog", "unpause catalog", "down"]


def test_a_link_the_live_proxy_lacks_fails_the_scenario_at_its_line(pytester, project, proxy):
    (project / "redis.yaml").write_text(GOOD.replace("catalog->postgres", "catalog->redis"))
    result = pytester.runpytest("-p", "no:randomly", "scenarios")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([("scenarios/chaos/redis.yaml:6: no link named 'catalog->redis'; "
                                  "use one of: catalog->postgres, gateway->catalog*")])
    assert proxy.list() == []
