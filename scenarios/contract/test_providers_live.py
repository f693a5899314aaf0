"""The recorded pacts replayed against the running providers (`sandbox contracts verify`):
a provider that drifts from what its consumers recorded fails here, not only the mocks."""

from __future__ import annotations

from typing import Any

import pytest

from mocks.documents import PACTS_DIR
from mocks.pacts import load_pacts
from sandbox.contracts.cli import live_table
from sandbox.contracts.live import verify_live
from sandbox.contracts.live.gateway_system import GatewaySystem
from sandbox.contracts.live.routes import OUTSIDE

pytestmark = [pytest.mark.docker]


def test_every_live_provider_keeps_what_its_consumers_recorded(sandbox: Any):
    system = GatewaySystem(sandbox)
    try:
        pairs = verify_live(sandbox, system, load_pacts(PACTS_DIR))
    finally:
        system.close()
    report = "\n".join(live_table(pairs))
    assert all(p.ok for p in pairs), report
    inside = [p for p in pairs if p.provider not in OUTSIDE]
    assert inside and all(p.count("verified") for p in inside), report
