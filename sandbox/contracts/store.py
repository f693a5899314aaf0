"""Reading, generating and writing the committed documents (deterministic JSON).

>>> dumps({"b": 1, "a": [2, 1]})
'{\\n  "a": [\\n    2,\\n    1\\n  ],\\n  "b": 1\\n}\\n'
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from sandbox.errors import SandboxError

from .registry import CONTRACTS, Contract, Document
from .sources import CONTRACTS_DIR, ROOT

WRITE_HINT = "run `sandbox contracts write` and commit mocks/contracts/"


class ContractError(SandboxError):
    """A contract that cannot be read, built or trusted."""


def dumps(doc: Any) -> str:
    """The committed form: keys sorted, indent 2, UTF-8 text, a trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def get(name: str) -> Contract:
    """The registered contract `name`, or a one-line error naming the valid ones."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise ContractError(f"no contract named {name!r}",
                            f"use one of {', '.join(sorted(CONTRACTS))}") from None


def path_of(name: str, directory: Path = CONTRACTS_DIR) -> Path:
    """The file of contract `name` (e.g. `mocks/contracts/catalog.openapi.json`)."""
    return directory / get(name).filename


def load(name: str, *, ref: str | None = None, directory: Path = CONTRACTS_DIR) -> Document:
    """The committed document `name`: the file in the checkout, or as of git `ref`."""
    if ref is None:
        path = path_of(name, directory)
        if not path.is_file():
            raise ContractError(f"{_rel(path)} does not exist", WRITE_HINT)
        text = path.read_text(encoding="utf-8")
        where = _rel(path)
    else:
        rel = path_of(name, directory).relative_to(ROOT).as_posix()
        text = git_show(ref, rel)
        where = f"{ref}:{rel}"
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractError(f"{where} is not JSON ({exc})", WRITE_HINT) from None


def check_revision(ref: str) -> None:
    """A one-line error unless `ref` names a commit of the checkout."""
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                           f"{ref}^{{commit}}"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ContractError(f"{ref!r} is not a git revision of this checkout",
                            "pass --base a branch, tag or commit (e.g. --base main)")


def git_show(ref: str, rel: str) -> str:
    """A file's text at a git revision of the checkout (an error naming the ref if absent)."""
    done = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{rel}"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ContractError(f"{rel} is not in git revision {ref!r}: "
                            f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}",
                            "name a commit that has the contracts (--base GIT_REF), or commit them")
    return done.stdout


def generate(name: str) -> Document:
    """The document `name` as the code produces it now."""
    return get(name).build()


def generate_all() -> dict[str, Document]:
    """Every document, by name, as the code produces it now."""
    return {name: generate(name) for name in sorted(CONTRACTS)}


def write(directory: Path = CONTRACTS_DIR) -> list[Path]:
    """Write every document; returns the files whose content changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, doc in generate_all().items():
        path = path_of(name, directory)
        text = dumps(doc)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale(directory: Path = CONTRACTS_DIR) -> list[str]:
    """The files (relative to the checkout) that differ from what the code produces."""
    out = []
    for name, doc in generate_all().items():
        path = path_of(name, directory)
        if not path.is_file() or path.read_text(encoding="utf-8") != dumps(doc):
            out.append(_rel(path))
    return out


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)
