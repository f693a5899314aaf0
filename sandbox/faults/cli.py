"""``sandbox fault add LINK FAULT... [--for 30s] | ls | rm ID | clear`` and
``sandbox fault kill|stop|start|restart|pause|unpause|partition|heal|throttle SERVICE``."""

from __future__ import annotations

import argparse
import json
import threading

from sandbox.faults.containers import ACTIONS, ContainerFaults
from sandbox.faults.links import LinkFaults
from sandbox.faults.spec import KINDS, parse_duration, parse_fault


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fault`` command group to the ``sandbox`` parser."""
    fault = subparsers.add_parser("fault", help="inject faults on links (through the proxy)")
    sub = fault.add_subparsers(dest="fault_command", required=True)
    add = sub.add_parser(
        "add", help="add a fault to a link",
        description=f"FAULT: down, or KIND=AMOUNT [key=value ...] with KIND one of "
        f"{', '.join(KINDS)}; e.g. latency=300ms jitter=50ms, timeout=2s, bandwidth=100KB",
    )
    add.add_argument("link", help="a link name, e.g. catalog->postgres (`sandbox status --links`)")
    add.add_argument("fault", nargs="+")
    add.add_argument("--stream", default="downstream", choices=("downstream", "upstream"))
    add.add_argument("--toxicity", type=float, default=1.0)
    add.add_argument("--for", dest="duration", help="remove it again after this long (e.g. 30s)")
    add.set_defaults(func=cmd_add)
    ls = sub.add_parser("ls", help="the faults in place")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_ls)
    rm = sub.add_parser("rm", help="remove one fault by id")
    rm.add_argument("id")
    rm.set_defaults(func=cmd_rm)
    clear = sub.add_parser("clear", help="remove every fault")
    clear.set_defaults(func=cmd_clear)
    for action in ACTIONS:
        one = sub.add_parser(action, help=f"{action} a service's container")
        one.add_argument("service")
        if action in ("partition", "heal"):
            one.add_argument("--network", default="private", help="default: private")
        if action == "throttle":
            one.add_argument("--cpus", type=float, help="e.g. 0.2 (a fifth of one core)")
            one.add_argument("--memory", help="e.g. 64m")
        one.set_defaults(func=cmd_container, action=action)


def _faults() -> LinkFaults:
    from sandbox.runtime import Sandbox

    return LinkFaults(Sandbox.attach().proxy_url)


def cmd_add(args: argparse.Namespace) -> int:
    fault = parse_fault(args.fault)
    duration = parse_duration(args.duration) if args.duration else None
    faults = _faults()
    fault_id = faults.add(args.link, fault, stream=args.stream, toxicity=args.toxicity)
    print(fault_id)
    if duration is None:
        return 0
    try:  # the fault goes, whatever ends the wait (its time, Ctrl-C, SIGTERM)
        threading.Event().wait(duration)
    finally:
        faults.remove(fault_id)
        print(f"removed {fault_id}")
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    rows = _faults().list()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'ID':<48} {'STREAM':<10} {'TOXICITY':>8}  ATTRIBUTES")
    for row in rows:
        attrs = ",".join(f"{k}={v}" for k, v in sorted(row["attributes"].items())) or "-"
        print(f"{row['id']:<48} {row['stream']:<10} {row['toxicity']:>8}  {attrs}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    _faults().remove(args.id)
    print(f"removed {args.id}")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    _faults().clear()
    print("every link enabled, every fault removed")
    return 0


def cmd_container(args: argparse.Namespace) -> int:
    from sandbox.runtime import Sandbox

    done = ContainerFaults(Sandbox.attach()).apply(
        args.action, args.service, network=getattr(args, "network", "private"),
        cpus=getattr(args, "cpus", None), memory=getattr(args, "memory", None),
    )
    print(done)
    return 0
