"""A latency scenario against the running sandbox: clients and products of its own, the
run, and its outputs (what `sandbox load run` and the pytest scenarios share).

>>> outcome, summary, report = run_on_sandbox(scenario, Sandbox.attach())  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.chaos.fault_ledger import FaultLedger
from sandbox.load.latency_scenario import LatencyScenario
from sandbox.load.scenario_runner import LatencyOutcome, LatencyRunner
from sandbox.load.scheduler import LoadProgress
from sandbox.load.shop import prepare_shop

REPORTS = Path("reports") / "latency"
# arrivals a second per enrolled client: each journey sends up to two requests at once
# and the gateway limits a client to 100 requests a second
PER_CLIENT_RATE = 40.0


def clients_for(scenario: LatencyScenario) -> int:
    """Enough enrolled clients that the per-client rate limit stays out of the way.

    >>> from sandbox.load.latency_scenario import LoadSpec
    >>> from sandbox.load.schedule import Plan, Ramp
    >>> clients_for(LatencyScenario("s", "s.yaml", LoadSpec({"browse": 1}, Plan(Ramp(10, 400, 30)))))
    10
    """
    plan = scenario.load.plan
    peak = max(plan.target_rate(t / 10) for t in range(int(plan.duration_s * 10)))
    return max(4, math.ceil(peak / PER_CLIENT_RATE))


def run_on_sandbox(scenario: LatencyScenario, sandbox: Any, folder: Path = REPORTS,
                   progress: Callable[[LoadProgress], None] | None = None,
                   baseline: dict[str, Any] | None = None,
                   say: Callable[[str], None] | None = None,
                   ) -> tuple[LatencyOutcome, Path, Path]:
    """Run ``scenario`` through the sandbox's gateway; returns the outcome and the paths
    of its summary (JSON) and its report (HTML) in ``folder``."""
    gateway = sandbox.url("gateway")
    clients = clients_for(scenario)
    if say is not None:
        say(f"enrolling {clients} clients and making the scenario's products")
    shop = prepare_shop(gateway, sandbox.secret("auth/admin_api_key"),
                        sandbox.secret("auth/admin_password"), clients=clients)
    runner = LatencyRunner(scenario, FaultLedger.for_sandbox(sandbox), gateway, shop.data_for,
                           progress=progress)
    outcome = runner.run()
    summary, report = outcome.write(folder, scenario.slug, baseline)
    return outcome, summary, report
