"""The ``sandbox`` command: ``up | down | status | logs | trace | ssh | images | fault |
contracts | dashboard | load | secrets``.

Every ``SandboxError`` ends as one line on stderr and a non-zero exit; Ctrl-C and
SIGTERM during ``up`` tear the run down (exit 130 / 143).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

from sandbox.contracts.cli import register as register_contracts
from sandbox.dashboard.cli import register as register_dashboard
from sandbox.errors import SandboxError
from sandbox.faults.cli import register as register_faults
from sandbox.images.cli import register as register_images
from sandbox.load.cli import register as register_load
from sandbox.progress import ConsoleProgress
from sandbox.telemetry.cli import add_log_arguments, cmd_logs
from sandbox.telemetry.cli import register as register_telemetry


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _print_status(rows: list[dict[str, str]], run_id: str, env: str) -> None:
    print(f"run {run_id} (env {env})")
    widths = {k: max([len(k)] + [len(r[k]) for r in rows]) for k in ("service", "state", "health")}
    header = {"service": "SERVICE", "state": "STATE", "health": "HEALTH", "url": "URL"}
    for row in [header, *rows]:
        print("  ".join(row[k].ljust(widths[k]) for k in widths) + "  " + row["url"])


def _toxics_text(toxics: list[dict[str, Any]] | None) -> str:
    """``latency_downstream=latency/downstream(latency=300)`` per toxic, or ``-``."""
    parts = []
    for t in toxics or []:
        attrs = ",".join(f"{k}={v}" for k, v in sorted((t.get("attributes") or {}).items()))
        parts.append(f"{t.get('name')}={t.get('type')}/{t.get('stream')}({attrs})")
    return " ".join(parts) or "-"


def _print_links(links: list[dict[str, Any]], run_id: str) -> None:
    print(f"run {run_id}: {len(links)} links")
    rows = [
        {
            "name": str(link["name"]),
            "listen": str(link["listen"]),
            "upstream": str(link["upstream"]),
            "enabled": "yes" if link["enabled"] else "NO",
            "toxics": _toxics_text(link["toxics"]),
        }
        for link in links
    ]
    header = {"name": "LINK", "listen": "LISTEN", "upstream": "UPSTREAM", "enabled": "ENABLED",
              "toxics": "TOXICS"}
    widths = {k: max([len(header[k])] + [len(r[k]) for r in rows]) for k in header}
    for row in [header, *rows]:
        print("  ".join(row[k].ljust(widths[k]) for k in header).rstrip())


def cmd_up(args: argparse.Namespace) -> int:
    from sandbox.runtime import Sandbox

    mode = "refuse" if args.refuse else "reuse"
    sb = Sandbox.up(env=args.env, mode="detached", progress=ConsoleProgress(), if_running=mode)
    if sb.reused:
        print(f"the sandbox is already running (run {sb.run_id}); reusing it")
        why = sb.unlike_checkout()
        if why is not None:
            print(f"note: it is not what this checkout would start: {why}; to start this "
                  "checkout's, run `sandbox down` and then `sandbox up`", file=sys.stderr)
    _print_status(sb.status(), sb.run_id, sb.env)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from sandbox.runtime import Sandbox

    removed = Sandbox.down_project(progress=ConsoleProgress(), include_sessions=args.all)
    print(f"removed runs: {', '.join(removed)}" if removed else "nothing was running")
    return 0


def cmd_secrets_rotate(args: argparse.Namespace) -> int:
    from sandbox.runtime import Sandbox
    from sandbox.runtime.secret_rotation import rotate_secret

    sb = Sandbox.attach()
    rotation = rotate_secret(sb, args.name)
    print(f"rotated {rotation.name} in run {sb.run_id} (new value in .sandbox/runs/{sb.run_id}.json); "
          f"{rotation.picked_up}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from sandbox.runtime import Sandbox

    sb = Sandbox.attach()
    if args.links:
        links = sb.links()
        if args.json:
            print(json.dumps({"run_id": sb.run_id, "links": links}, indent=2))
        else:
            _print_links(links, sb.run_id)
        return 0
    rows = sb.status()
    if args.json:
        print(json.dumps({"run_id": sb.run_id, "env": sb.env, "services": rows}, indent=2))
    else:
        _print_status(rows, sb.run_id, sb.env)
    return 0


def cmd_ssh(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from sandbox.runtime import Sandbox
    from sandbox.runtime.ssh import BASTION, ssh_command
    from sandbox.topology import compose_file, load_topology

    sb = Sandbox.attach()
    topo = load_topology(compose_file(), {})
    reachable = sorted(
        name for name, svc in topo.services.items()
        if "SSH_AUTHORIZED_KEYS" in svc.environment and name != BASTION
    )
    if args.target == BASTION:
        raise SandboxError(
            "the bastion is a jump host only: it opens no shell and runs no command",
            f"reach a service through it: sandbox ssh {' | '.join(reachable)}",
        )
    if args.target not in reachable:
        raise SandboxError(
            f"service {args.target!r} has no SSH server",
            f"use one of {', '.join(reachable)} (through the bastion)",
        )
    key = Path(sb.state.ssh_private_key or "")
    argv = ssh_command(
        key, key.parent / "known_hosts", bastion_port=sb.host_port(BASTION, 22),
        target=args.target, command=args.command,
    )
    os.execvp(argv[0], argv)  # the terminal is ssh's from here on
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sandbox", description="The whole system in containers, on this machine."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole topology (detached)")
    up.add_argument("--env", choices=("dev", "test", "production"), default="dev")
    group = up.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="if running, use it (default)")
    group.add_argument("--refuse", action="store_true", help="if running, fail")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="remove every container, network and volume of it")
    down.add_argument(
        "--all", action="store_true",
        help="also remove runs still owned by a live process (a pytest session)",
    )
    down.set_defaults(func=cmd_down)
    status = sub.add_parser("status", help="services, state, health, host URLs (or --links)")
    status.add_argument("--json", action="store_true")
    status.add_argument(
        "--links", action="store_true",
        help="the links through the proxy: listen, upstream, enabled, toxics",
    )
    status.set_defaults(func=cmd_status)
    logs = sub.add_parser("logs", help="a service's output, a trace's lines (--trace ID), "
                          "or every container's (--all)")
    add_log_arguments(logs)
    logs.set_defaults(func=cmd_logs)
    ssh = sub.add_parser("ssh", help="an SSH session on a service, through the bastion (key only)")
    ssh.add_argument("target", nargs="?", default="monolith",
                     help="a service with an SSH server: monolith (default)")
    ssh.add_argument("command", nargs=argparse.REMAINDER, help="a command to run instead of a shell")
    ssh.set_defaults(func=cmd_ssh)
    register_images(sub)
    register_faults(sub)
    register_contracts(sub)
    register_telemetry(sub)
    register_dashboard(sub)
    register_load(sub)
    secrets = sub.add_parser("secrets", help="the running sandbox's secrets")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    rotate = secrets_sub.add_parser(
        "rotate", help="a new value for a secret the services re-read, in force within a "
        "stated bound", description="Generates a new value (by the secret's kind), puts it in "
        "the secrets emulator and the run's secret files, and says who picks it up and when.")
    rotate.add_argument("name", help="auth/admin_api_key, auth/admin_password or alerts/sink_token")
    rotate.set_defaults(func=cmd_secrets_rotate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sandbox`` script; returns the exit code."""
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except SandboxError as err:
        print(err.one_line(), file=sys.stderr)
        return err.exit_code
    except Terminated:
        print("error: terminated -- the run was torn down", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("error: interrupted -- the run was torn down", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
