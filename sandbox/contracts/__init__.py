"""Machine-readable contracts, generated from the code and committed in `mocks/contracts/`."""

from __future__ import annotations

from . import fastapi_services as _fastapi_services  # noqa: F401 - registers the FastAPI services
from . import flask_monolith as _flask_monolith  # noqa: F401 - registers `monolith`
from .registry import CONTRACTS, Contract, Document
from .store import ContractError, dumps, generate, generate_all, load, path_of, stale, write

__all__ = ["CONTRACTS", "Contract", "ContractError", "Document", "dumps", "generate",
           "generate_all", "load", "path_of", "stale", "write"]
