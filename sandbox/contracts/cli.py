"""``sandbox contracts write | diff [--base GIT_REF] | check``."""

from __future__ import annotations

import argparse
import sys

from .diff import Change, diff_documents
from .registry import CONTRACTS
from .store import ContractError, check_revision, generate_all, load, stale, write
from .validate import InvalidDocument, validate


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``contracts`` command group to the ``sandbox`` parser."""
    group = subparsers.add_parser("contracts", help="the API documents in mocks/contracts/")
    sub = group.add_subparsers(dest="contracts_command", required=True)
    sub.add_parser("write", help="rewrite every document from the code").set_defaults(
        func=cmd_write)
    diff = sub.add_parser("diff", help="breaking changes of the code's documents against git",
                          description="Compares the documents as committed at GIT_REF "
                          "(default HEAD) with what the code produces now; exits 1 when any "
                          "change is breaking.")
    diff.add_argument("--base", default="HEAD", metavar="GIT_REF",
                      help="the git revision to compare with (default: HEAD)")
    diff.set_defaults(func=cmd_diff)
    sub.add_parser("check", help="can-i-deploy: documents current, every consumer's pacts "
                   "valid against its provider's contract").set_defaults(func=cmd_check)
    verify = sub.add_parser("verify", help="replay every consumer's pacts against the running "
                            "providers (needs `sandbox up`)",
                            description="Sets up each interaction's provider state for real, "
                            "replays it from the consumer's container, drives order flows for "
                            "the events; exits 1 when any interaction fails.")
    verify.add_argument("--run", metavar="RUN_ID", help="the sandbox run (default: the "
                        "detached one `sandbox up` started)")
    verify.set_defaults(func=cmd_verify)


def _validated() -> dict[str, dict]:
    docs = generate_all()
    for name, doc in docs.items():
        try:
            validate(doc, CONTRACTS[name].kind, CONTRACTS[name].filename)
        except InvalidDocument as exc:
            raise ContractError(str(exc), "fix the code the document is generated from") from None
    return docs


def cmd_write(args: argparse.Namespace) -> int:
    _validated()
    changed = write()
    for path in changed:
        print(f"wrote {path.relative_to(path.parents[2]).as_posix()}")
    if not changed:
        print("every document is up to date")
    return 0


def changes_since(base: str) -> list[Change]:
    """Every change from the documents at git `base` to the code's documents now."""
    check_revision(base)
    changes: list[Change] = []
    for name, doc in _validated().items():
        try:
            old = load(name, ref=base)
        except ContractError as exc:
            if "is not in git revision" in exc.cause:
                changes.append(Change(False, name, f"new document (none at {base})"))
                continue
            raise
        changes.extend(diff_documents(old, doc, CONTRACTS[name].kind, name))
    return changes


def cmd_diff(args: argparse.Namespace) -> int:
    changes = changes_since(args.base)
    breaking = [c for c in changes if c.breaking]
    for change in breaking:
        print(f"BREAKING {change}")
    for change in changes:
        if not change.breaking:
            print(f"ok       {change}")
    print(f"{len(breaking)} breaking, {len(changes) - len(breaking)} non-breaking change(s) "
          f"against {args.base}", file=sys.stderr)
    return 1 if breaking else 0


def cmd_check(args: argparse.Namespace) -> int:
    """Can-i-deploy: the documents match the code, and every consumer's recorded
    interactions (``mocks/pacts/``) hold against its provider's committed contract."""
    from mocks.verify import static_check

    files = stale()
    rows = [("documents", "code", "mocks/contracts/*", "ok" if not files
             else f"stale: {', '.join(files)} (run `sandbox contracts write`)")]
    pairs = static_check()
    for pair in pairs:
        verdict = (f"ok ({len(pair.interactions)} interactions)" if pair.ok else
                   f"BROKEN: {len(pair.failures)} of {len(pair.interactions)} interactions")
        rows.append((pair.consumer, pair.provider, ", ".join(pair.contracts), verdict))
    widths = [max(len(r[i]) for r in [("CONSUMER", "PROVIDER", "CONTRACT", ""), *rows])
              for i in range(3)]
    print("  ".join(h.ljust(w) for h, w in zip(("CONSUMER", "PROVIDER", "CONTRACT"), widths))
          + "  VERDICT")
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[3])
    for pair in pairs:
        if not pair.ok:
            print(pair.summary())
    failed = bool(files) or not all(p.ok for p in pairs)
    print("cannot deploy: see above" if failed else "every consumer and provider agree",
          file=sys.stderr)
    return 1 if failed else 0


def live_table(pairs: list) -> list[str]:
    """The live verification's report: a row per pair, then each failure's first problem."""
    rows = [(p.consumer, p.provider, str(p.count("verified")), str(p.count("override")),
             str(p.count("not live")), str(p.count("failed"))) for p in pairs]
    head = ("CONSUMER", "PROVIDER", "LIVE", "OVERRIDE", "NOT LIVE", "FAILED")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in [head, *rows]]
    for pair in pairs:
        for result in pair.results:
            if result.outcome == "failed":
                lines.append(f"FAILED {pair.consumer} → {pair.provider}: "
                             f"{result.description}: {result.detail}")
    return lines


def cmd_verify(args: argparse.Namespace) -> int:
    """Every recorded pact against the live providers of the running sandbox."""
    from mocks.documents import PACTS_DIR
    from mocks.pacts import load_pacts
    from sandbox.runtime.engine import Sandbox

    from .live import verify_live
    from .live.gateway_system import GatewaySystem

    sandbox = Sandbox.attach(args.run)
    system = GatewaySystem(sandbox)
    try:
        pairs = verify_live(sandbox, system, load_pacts(PACTS_DIR),
                            progress=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        system.close()
    for line in live_table(pairs):
        print(line)
    failed = not all(p.ok for p in pairs)
    print("a provider breaks what its consumers recorded: see above" if failed else
          "every live provider keeps what its consumers recorded", file=sys.stderr)
    return 1 if failed else 0
