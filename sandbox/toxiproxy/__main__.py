"""``python -m sandbox.toxiproxy --host 0.0.0.0 --port 8474 [--config populate.json]``.

``--config-env NAME`` reads the populate JSON from the environment variable NAME instead
(how the sandbox passes its links to the proxy's container).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from sandbox.toxiproxy import errors, logs
from sandbox.toxiproxy.logs import log
from sandbox.toxiproxy.server import ToxiproxyServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.toxiproxy",
        description="A server speaking Toxiproxy 2.x's REST API (JSON logs on stdout).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="API address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8474, help="API port; 0 picks a free one")
    parser.add_argument("--config", help="a populate JSON file of proxies to create at start")
    parser.add_argument(
        "--config-env", metavar="NAME", help="an environment variable holding populate JSON"
    )
    parser.add_argument("--log-level", default="info", choices=sorted(logs.LEVELS))
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    server = ToxiproxyServer()
    try:
        # like Toxiproxy: the config's proxies exist before the API answers, so a client
        # that sees the API up sees them too
        if args.config:
            await server.populate_file(args.config)
        if args.config_env:
            text = os.environ.get(args.config_env, "")
            await server.populate_text(text, f"${args.config_env}")
    except errors.ApiError as exc:
        log("config_failed", level="error", config=args.config or f"${args.config_env}",
            error=exc.message)
        await server.close()
        return 2
    await server.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()
    log("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure(args.log_level)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
