"""A latency scenario run end to end in-process: the load, a fault put in place and taken
out on the load's clock (recorded links, no proxy), the verdicts and the outputs."""

import asyncio
import json
import threading

import httpx
import pytest

from sandbox.chaos.fault_ledger import FaultLedger
from sandbox.chaos.scenario import ScenarioError
from sandbox.load import journey
from sandbox.load.report_html import render_report
from sandbox.load.scenario_loader import parse_latency_scenario
from sandbox.load.scenario_runner import LatencyRunner

pytestmark = pytest.mark.timeout(90)


@journey("t-runner-get", weight=1)
async def runner_get(ctx):
    async with ctx.step("get"):
        ctx.expect(await ctx.http.get("/thing"), 200)


class RecordedLinks:
    """The proxy's link API, in memory: a fault on `catalog->postgres` slows the answers."""

    def __init__(self):
        self.faults: dict[str, object] = {}
        self.cleared = 0

    def proxies(self):
        return {"catalog->postgres": {}, "monolith->broker": {}}

    def add(self, link, fault, stream="downstream", toxicity=1.0):
        fault_id = f"{link}/{fault.kind}_{stream}"
        self.faults[fault_id] = fault
        return fault_id

    def remove(self, fault_id):
        self.faults.pop(fault_id)

    def clear(self):
        self.faults.clear()
        self.cleared += 1


class NoContainers:
    def services(self):
        return ["catalog"]

    def networks(self):
        return ["private"]


SCENARIO = """\
scenario: a slow database for a second
load:
  journeys: {t-runner-get: 1}
  phases:
    - {constant: 40/s, for: 5s}
steps:
  - wait: 1s
  - fault: catalog->postgres latency=300ms
  - wait: 2s
  - remove: catalog->postgres
expect:
  slo:
    - {journey: t-runner-get, p50: 30ms, outside: faults, settle: 0.5s}
    - {journey: t-runner-get, p50: 30ms, during: faults}
    - {error_ratio: 0%}
"""


def run(text: str, links: RecordedLinks):
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.06 if links.faults else 0.002)
        return httpx.Response(200)

    scenario = parse_latency_scenario(text, "s.yaml")
    ledger = FaultLedger(links, NoContainers())
    return LatencyRunner(scenario, ledger, "http://sut", transport=httpx.MockTransport(answer)).run()


def test_the_fault_window_is_measured_and_the_verdicts_differ_inside_and_out(tmp_path):
    links = RecordedLinks()
    outcome = run(SCENARIO, links)
    [fault] = outcome.faults
    assert fault.name == "catalog->postgres latency=300ms"
    assert 0.5 <= fault.start_s <= 1.6 and fault.end_s is not None
    assert 1.7 <= fault.end_s - fault.start_s <= 2.5
    outside, during, errors = outcome.verdicts
    assert outside.passed, outside.message
    assert not during.passed and during.value >= 60, during.message
    assert errors.passed
    assert outcome.failures == [during.message] and not outcome.passed
    assert links.faults == {} and links.cleared >= 1  # everything undone at the end
    summary_path, html_path = outcome.write(tmp_path, "slow-db")
    summary = json.loads(summary_path.read_text())
    assert summary["schema"] == "sandbox.load/1" and summary["faults"][0]["name"] == fault.name
    assert [slo["passed"] for slo in summary["slos"]] == [True, False, True]
    assert "catalog-&gt;postgres latency=300ms" in html_path.read_text()
    assert "FAIL" in outcome.table()
    assert render_report(summary)


def test_a_link_the_sandbox_lacks_fails_before_any_load_with_its_line():
    with pytest.raises(ScenarioError, match=r"^s\.yaml:8: no link named 'catalog->redis'"):
        run(SCENARIO.replace("catalog->postgres latency", "catalog->redis latency")
            .replace("remove: catalog->postgres", "remove: catalog->redis"), RecordedLinks())


def test_a_step_that_fails_is_said_and_the_faults_are_still_undone():
    class RefusingLinks(RecordedLinks):
        def remove(self, fault_id):
            raise RuntimeError("the proxy refused")

    links = RefusingLinks()
    outcome = run(SCENARIO, links)
    assert any("step at line 10 (remove: catalog->postgres)" in p and "the proxy refused" in p
               for p in outcome.problems), outcome.problems
    assert links.faults == {}  # cleared by the rollback anyway


def test_a_fault_whose_apply_answers_late_is_windowed_from_its_sending_and_said():
    class LateAnsweringLinks(RecordedLinks):
        """The fault takes effect at once; the proxy's answer comes 1.5 s later."""

        def add(self, link, fault, stream="downstream", toxicity=1.0):
            fault_id = super().add(link, fault, stream, toxicity)
            threading.Event().wait(1.5)
            return fault_id

    links = LateAnsweringLinks()
    outcome = run(SCENARIO, links)
    [fault] = outcome.faults
    assert 0.8 <= fault.start_s <= 1.3, fault  # when it was sent, not when it answered
    assert 2.8 <= fault.end_s <= 3.5, fault    # removed at 1 s + 2 s on the load's clock
    outside, during, _ = outcome.verdicts
    assert outside.passed, outside.message     # no slow moment is counted outside
    assert not during.passed
    [note] = outcome.notes
    assert note.startswith("fault: catalog->postgres latency=300ms took 1.") and "window" in note
    assert outcome.summary["notes"] == [note] and f"note: {note}" in outcome.table()
