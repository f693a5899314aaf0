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
