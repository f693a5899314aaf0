"""`python3 -m services.secrets_emulator.reseed NAME ...`: put the current content of
`/run/secrets/NAME` (the run's secret file, rewritten on the host by
`sandbox secrets rotate`) into the running emulator, as a rotation does in AWS. The value
never appears in a command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .seeding import seed_secrets


def main(argv: list[str]) -> int:
    directory = Path(os.environ.get("SANDBOX_SECRETS_DIR", "/run/secrets"))
    prefix = os.environ.get("SECRETS_PREFIX", "/sandbox/dev").rstrip("/")
    port = os.environ.get("SECRETS_EMULATOR_PORT", "5000")
    values = {}
    for name in argv:
        path = directory / name
        if ".." in Path(name).parts or not path.is_file():
            print(f"error: no secret file {name} -- fix: name an x-sandbox.secrets entry",
                  file=sys.stderr)
            return 2
        values[f"{prefix}/{name}"] = path.read_text()
    seed_secrets(f"http://127.0.0.1:{port}", values)
    print(f"reseeded {len(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
