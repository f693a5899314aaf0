"""Machine-readable contracts, generated from the code and committed in `mocks/contracts/`.

One OpenAPI 3.1 document per service (`auth`, `monolith`, `catalog`, `payments`,
`webhooks`), the public API as the gateway exposes it (`public`), and AsyncAPI 3.0 for
the broker's events (`events`). `sandbox contracts write` rewrites them all;
`sandbox contracts diff` names the breaking changes against a git revision.

>>> from sandbox import contracts
>>> doc = contracts.load("catalog")                     # the committed document
>>> doc["paths"]["/v1/products/{sku}"]["get"]["operationId"]
'product_get'
>>> contracts.stale()                                   # files the code no longer matches
[]
"""

from __future__ import annotations

from . import asyncapi_events as _asyncapi_events  # noqa: F401 - registers `events`
from . import fastapi_services as _fastapi_services  # noqa: F401 - registers the FastAPI services
from . import flask_monolith as _flask_monolith  # noqa: F401 - registers `monolith`
from . import public as _public  # noqa: F401 - registers `public`
from .diff import Change, diff_asyncapi, diff_documents, diff_openapi, diff_schemas
from .openapi_shape import operations
from .registry import CONTRACTS, Contract, Document
from .sources import CONTRACTS_DIR
from .store import ContractError, dumps, generate, generate_all, load, path_of, stale, write
from .validate import validate, validate_asyncapi, validate_openapi

SERVICES = ("auth", "monolith", "catalog", "payments", "webhooks")
"""The services with an OpenAPI document of their own (container port 8000)."""

__all__ = [
    "CONTRACTS", "CONTRACTS_DIR", "SERVICES", "Change", "Contract", "ContractError", "Document",
    "diff_asyncapi", "diff_documents", "diff_openapi", "diff_schemas", "dumps", "generate",
    "generate_all", "load", "operations", "path_of", "stale", "validate", "validate_asyncapi",
    "validate_openapi", "write",
]
