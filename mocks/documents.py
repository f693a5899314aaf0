"""Where the contract documents live, and reading them.

The documents are generated from the services' code and committed in ``mocks/contracts/``
(``<service>.openapi.json``, ``public.openapi.json``, ``events.asyncapi.json``). Set
``SANDBOX_CONTRACTS_DIR`` (or pass ``directory=``) to read another copy.

>>> document_path("catalog").name
'catalog.openapi.json'
>>> document_path("events").name
'events.asyncapi.json'
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from .errors import ContractMissing

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
PACTS_DIR = Path(__file__).resolve().parent / "pacts"
EVENTS = "events"


def contracts_dir(directory: Path | str | None = None) -> Path:
    """The folder of the contract documents (argument, then ``SANDBOX_CONTRACTS_DIR``)."""
    if directory is not None:
        return Path(directory)
    return Path(os.environ.get("SANDBOX_CONTRACTS_DIR") or CONTRACTS_DIR)


def document_path(name: str, directory: Path | str | None = None) -> Path:
    """``<name>.openapi.json``, or ``events.asyncapi.json`` for the broker's events."""
    suffix = "asyncapi" if name == EVENTS else "openapi"
    return contracts_dir(directory) / f"{name}.{suffix}.json"


def load_document(name: str, directory: Path | str | None = None) -> dict[str, Any]:
    """The parsed document; ContractMissing (one line naming the fix) when absent."""
    path = document_path(name, directory)
    return _load(str(path), path.stat().st_mtime_ns if path.exists() else 0)


@functools.lru_cache(maxsize=64)
def _load(path: str, _mtime: int) -> dict[str, Any]:
    file = Path(path)
    if not file.exists():
        raise ContractMissing(
            f"{file.name} not found in {file.parent}: contracts are generated from the "
            "services' code into mocks/contracts/ (or point SANDBOX_CONTRACTS_DIR at a copy)")
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise ContractMissing(f"{file} is not JSON ({exc}): regenerate it") from exc


def resolve_ref(document: dict[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` of a non-schema object (parameter, response, request body)."""
    depth = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 16:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        depth += 1
    return node
