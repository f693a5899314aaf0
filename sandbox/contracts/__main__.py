"""``python -m sandbox.contracts write | diff [--base GIT_REF] | check``."""

from __future__ import annotations

import argparse
import sys

from sandbox.errors import SandboxError

from .cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.contracts")
    register(parser.add_subparsers(dest="command", required=True))
    # `contracts` is the only command here: `python -m sandbox.contracts write` means it
    args = parser.parse_args(["contracts", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except SandboxError as err:
        print(err.one_line(), file=sys.stderr)
        return err.exit_code


if __name__ == "__main__":
    sys.exit(main())
