"""Where the contracts come from and go: the checkout's `services/`, `compose/`, `mocks/contracts/`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout this package lives in: the documents describe this checkout's code."""
CONTRACTS_DIR = ROOT / "mocks" / "contracts"
GATEWAY_TEMPLATE = ROOT / "compose" / "nginx" / "gateway.conf.template"
BROKER_DEFINITIONS = ROOT / "compose" / "rabbitmq" / "definitions.json"


def ensure_services_importable() -> None:
    """Put the checkout on `sys.path`, so `import services` finds its services' code."""
    if not (ROOT / "services" / "__init__.py").is_file():
        from sandbox.errors import SandboxError

        raise SandboxError(f"no services/ package beside {ROOT / 'sandbox'}",
                           "run the contracts commands from a checkout of the project")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
