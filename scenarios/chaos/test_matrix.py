"""The resiliency matrix: every link x {latency, down, timeout, reset_peer} under steady
order traffic; the expected outcomes are the data of ``matrix.yaml``.

For each cell: the order flow answers 201 first (steady state); traffic starts at the
matrix's rate; the fault goes on for its duration, then off. Then:

- every flow answered within its deadline, and every answer that is not 2xx is a 503 or
  504 application/problem+json (never a bare 500, never a hang);
- the flows that ran entirely while the fault was on answered only the cell's statuses;
- within ``recovery`` of the fault's removal, the flow answered 201 again (five in a row)
  and a new token could be issued (auth's own path, which the gateway's cache of
  verified tokens may hide from the flow);
- every order answered 201 ended ``paid`` within ``settle``, charged exactly once.

Long (about twenty minutes): deselected from the default run, selected with ``-m matrix``
(CI runs it as its own step).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.gateway_client import Credentials, GatewayClient, enrol
from fixtures.waiting import EventuallyTimeout, eventually
from sandbox.chaos.matrix import Cell, check_covers, load_matrix
from sandbox.chaos.order_flow import accepted_orders, audit_orders, order_sender
from sandbox.chaos.scenario_checks import check_deadlines, check_statuses
from sandbox.chaos.traffic import Outcome, SteadyTraffic, between

pytestmark = [pytest.mark.docker, pytest.mark.chaos, pytest.mark.matrix]

MATRIX_FILE = Path(__file__).with_name("matrix.yaml")
MATRIX = load_matrix(MATRIX_FILE)
BEFORE_S = 1.0            # traffic before the fault goes on
RECOVERED_AFTER = 5       # consecutive 201 flows that count as recovered


def recovered_since(outcomes: list[Outcome], since: float) -> float | None:
    """Start of the run of RECOVERED_AFTER consecutive 201s after ``since`` (by start time)."""
    run_start, run = None, 0
    for o in sorted((o for o in outcomes if o.started >= since), key=lambda o: o.started):
        if o.status == 201:
            run_start = o.started if run == 0 else run_start
            run += 1
            if run >= RECOVERED_AFTER:
                return run_start
        else:
            run_start, run = None, 0
    return None


def summary(outcomes: list[Outcome], t0: float) -> str:
    return "; ".join(f"+{o.started - t0:.1f}s {o.describe()}" for o in outcomes)


@dataclass(frozen=True)
class CellRun:
    outcomes: list[Outcome]
    fault_on: float     # when the fault was in place
    fault_ends: float   # when its removal began
    fault_off: float    # when it was removed
    recovered: float    # when the system had recovered (NaN: not within the bound)

    @property
    def recovery_s(self) -> float:
        return self.recovered - self.fault_off


def run_cell(cell: Cell, sandbox: Any, send: Any, probe: Callable[[], object]) -> CellRun:
    """Traffic, the fault on then off, then wait for recovery: RECOVERED_AFTER flows in a
    row answer 201, and ``probe`` (something the flows may not touch, such as issuing a
    token) succeeds, both within the matrix's recovery bound."""
    pause = threading.Event()
    traffic = SteadyTraffic(send, MATRIX.rate, MATRIX.deadline).start()
    recovered = None
    try:
        pause.wait(BEFORE_S)
        with sandbox.faults.inject(cell.link, cell.fault):
            fault_on = time.monotonic()
            pause.wait(cell.fault_for)
            # what is held flows on as soon as the fault goes: flows that end after this
            # instant may have been released by the removal itself
            fault_ends = time.monotonic()
        fault_off = time.monotonic()
        limit = fault_off + MATRIX.recovery
        while recovered is None and time.monotonic() < limit:
            pause.wait(0.25)
            recovered = recovered_since(list(traffic.outcomes), fault_off)
        if recovered is not None:
            try:
                eventually(probe, timeout=max(0.0, limit - time.monotonic()), interval=0.25)
                recovered = max(recovered, time.monotonic())
            except EventuallyTimeout:
                recovered = None
    finally:
        outcomes = traffic.stop()
    return CellRun(outcomes, fault_on, fault_ends, fault_off,
                   recovered if recovered is not None else float("nan"))


@pytest.fixture(scope="module")
def matrix_customer(admin_client: Any) -> tuple[Credentials, str]:
    """One enrolled client and one product with stock for every cell of the run."""
    credentials = enrol(admin_client, f"matrix-{uuid.uuid4().hex[:8]}")
    product = admin_client.post("/v1/products", json={
        "sku": f"M-{uuid.uuid4().hex[:12].upper()}", "name": "matrix product",
        "price_cents": 100, "stock": 1_000_000,
    })
    assert product.status_code == 201, product.text
    return credentials, product.json()["sku"]


@pytest.fixture
def matrix_client(matrix_customer: tuple[Credentials, str], gateway_url: str) -> Iterator[Any]:
    """The run's customer with a token fresh for this cell (none expires mid-cell)."""
    client = GatewayClient(gateway_url, matrix_customer[0])
    _ = client.token
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def order_flow(matrix_client: Any, matrix_customer: tuple[Credentials, str]) -> Any:
    """A sender of the order flow on the run's product."""
    return order_sender(matrix_client, matrix_customer[1], MATRIX.deadline)


def test_the_matrix_covers_every_link_of_the_topology(sandbox):
    check_covers(MATRIX, [link["name"] for link in sandbox.links()], MATRIX_FILE)


@pytest.mark.parametrize("cell", MATRIX.cells(), ids=lambda cell: cell.id)
def test_cell(cell, sandbox, matrix_client, order_flow, link_faults, record_property):
    # steady state: the flow answers 201 before anything is broken
    status, _, body = order_flow()
    assert status == 201, f"steady state: the order flow answered {status} {body}"

    run = run_cell(cell, sandbox, order_flow, probe=matrix_client.fetch_token)
    outcomes = run.outcomes
    t0 = outcomes[0].started if outcomes else run.fault_on
    seen = summary(outcomes, t0)
    # every flow within its deadline; every answer 201, or a 503/504 problem+json
    failures = [*check_deadlines(outcomes, MATRIX.deadline, t0),
                *check_statuses(outcomes, (201, 503, 504), t0)]
    assert not failures, f"{'; '.join(failures)} -- flows: {seen}"
    during = between(outcomes, run.fault_on, run.fault_ends)
    assert during, f"no flow ran entirely while the fault was on: {seen}"
    unexpected = check_statuses(during, cell.statuses, t0)
    assert not unexpected, (
        f"while {cell.link} had {cell.fault_name}: {'; '.join(unexpected)} -- flows: {seen}"
    )
    assert not math.isnan(run.recovered), (
        f"not recovered within {MATRIX.recovery:g} s of removing the fault ({RECOVERED_AFTER} "
        f"flows in a row answering 201, then a new token issued): {seen}"
    )

    audit = audit_orders(matrix_client, accepted_orders(outcomes), timeout=MATRIX.settle)
    assert audit.clean, audit.describe()
    record_property("flows", len(outcomes))
    record_property("statuses_during_fault", sorted({o.status for o in during}))
    record_property("recovery_s", round(run.recovery_s, 2))
    record_property("settled_s", round(audit.seconds, 2))
    print(f"{cell.id}: {len(outcomes)} flows, statuses during the fault "
          f"{sorted({o.status for o in during})}, recovered {run.recovery_s:.1f} s after "
          f"removal; {audit.describe()}")
