"""Chaos: steady traffic while faults are on, and the checks that prove the system
degraded the way it should and recovered without losing anything.

- ``traffic``: requests at a steady rate, each with a deadline, recorded as outcomes;
- ``order_flow``: the shop's order flow as a workload, and the audit that proves no
  accepted order was lost and none was charged twice;
- ``matrix``: the resiliency matrix (every link x fault) and its expected outcomes;
- ``scenario``, ``scenario_loader``, ``scenario_checks``, ``scenario_runner``: YAML chaos
  scenarios (model, loading with file:line errors, expectations, running with rollback);
- ``fault_specs``, ``fault_ledger``, ``sandbox_containers``: faults as values, applied and
  always undone (shared by scenarios and ``@pytest.mark.fault``).
"""
