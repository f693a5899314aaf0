"""Open-loop load: plans of arrivals, journeys as async functions, latencies as HdrHistograms.

- ``schedule``: ``Plan`` of phases (``Constant``, ``Ramp``, ``Steps``) and its arrivals;
- ``journeys``: the extension point, ``@journey(name, weight)`` on ``async def f(ctx)``;
- ``scheduler``: one process's open-loop scheduler (intended starts, dropped arrivals);
- ``engine``: ``run_load``, in this process or in several;
- ``recorder``: per (journey, step) and window histograms and counts, mergeable;
- ``results``: ``LoadResult``, for the SLO judge, and its ``sandbox.load/1`` summary.

The names below are imported when first used (the ``sandbox`` command imports this
package for ``sandbox load`` and must not pay for httpx and HdrHistogram otherwise).

>>> from sandbox.load import Constant, Plan
>>> plan = Plan(Constant(rate=10, duration_s=1))
>>> len(list(plan.arrivals()))
10
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "LoadEngineFailed": "engine", "run_load": "engine",
    "REGISTRY": "journeys", "Journey": "journeys", "JourneyAlreadyRegistered": "journeys",
    "JourneyContext": "journeys", "JourneyFailed": "journeys", "JourneyMix": "journeys",
    "UnknownJourney": "journeys", "error_kind": "journeys", "journey": "journeys",
    "registered": "journeys",
    "Counts": "recorder", "Recorder": "recorder", "new_histogram": "recorder",
    "percentiles_ms": "recorder",
    "SCHEMA": "results", "LoadResult": "results", "Overhead": "results",
    "Constant": "schedule", "Phase": "schedule", "Plan": "schedule", "Ramp": "schedule",
    "Steps": "schedule",
    "LoadProgress": "scheduler",
}

__all__ = [
    "REGISTRY",
    "SCHEMA",
    "Constant",
    "Counts",
    "Journey",
    "JourneyAlreadyRegistered",
    "JourneyContext",
    "JourneyFailed",
    "JourneyMix",
    "LoadEngineFailed",
    "LoadProgress",
    "LoadResult",
    "Overhead",
    "Phase",
    "Plan",
    "Ramp",
    "Recorder",
    "Steps",
    "UnknownJourney",
    "error_kind",
    "journey",
    "new_histogram",
    "percentiles_ms",
    "registered",
    "run_load",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sandbox.load' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sandbox.load.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
