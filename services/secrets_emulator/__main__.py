"""`python3 -m services.secrets_emulator`: serve on :5000, then seed the run's secrets."""

from __future__ import annotations

import os
import sys
import threading
import time

from services.platform.logging import configure_logging, get_logger

from .seeding import read_seed_dir, seed_secrets
from .server import make_emulator_server


def main() -> int:
    """Start the server, seed the files of `SANDBOX_SECRETS_DIR` through it, serve until killed."""
    started = time.monotonic()
    configure_logging("secrets", os.environ.get("LOG_LEVEL", "INFO"))
    log = get_logger()
    try:
        seed = read_seed_dir(os.environ.get("SANDBOX_SECRETS_DIR", "/run/secrets"),
                             os.environ.get("SECRETS_PREFIX", "/sandbox/dev"))
    except (ValueError, OSError) as exc:
        log.error("secrets.seed_invalid", error=str(exc))
        return 2
    host = os.environ.get("SECRETS_EMULATOR_HOST", "0.0.0.0")
    port = int(os.environ.get("SECRETS_EMULATOR_PORT", "5000"))
    server, ready = make_emulator_server(host, port)
    thread = threading.Thread(target=server.serve_forever, name="secrets-emulator", daemon=True)
    thread.start()
    log.info("secrets.listening", host=host, port=server.server_address[1],
             seconds=round(time.monotonic() - started, 3))
    try:
        count = seed_secrets(f"http://127.0.0.1:{server.server_address[1]}", seed)
    except Exception as exc:  # any failure here makes the emulator useless
        log.exception("secrets.seed_failed", error=str(exc))
        server.shutdown()
        return 1
    ready.mark_seeded(seed)
    log.info("secrets.seeded", count=count, names=sorted(seed),
             seconds=round(time.monotonic() - started, 3))
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
