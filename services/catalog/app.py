"""catalog HTTP API: products (public reads cached in Redis, admin writes) and internal reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.platform.app import ResourcesDep, answers, create_app
from services.platform.health import redis_check
from services.platform.identity import IdentityDep
from services.platform.integers import WholeNumber
from services.platform.logging import get_logger
from services.platform.problem import ProblemError
from services.platform.resources import Resources
from services.platform.text import STORABLE_TEXT

from . import cache as cache_mod
from . import store

log = get_logger()


class ProductIn(BaseModel):
    """Body of POST /v1/products."""

    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200, pattern=STORABLE_TEXT)
    price_cents: WholeNumber = Field(ge=0, le=100_000_000)
    stock: WholeNumber = Field(ge=0, le=10_000_000)


class Product(BaseModel):
    """A product as catalog answers it."""

    sku: str
    name: str
    price_cents: int = Field(ge=0)
    stock: int = Field(ge=0)


class ProductPage(BaseModel):
    """Answer of GET /v1/products: products in sku order."""

    items: list[Product]
    limit: int
    offset: int


async def setup(res: Resources) -> None:
    client = cache_mod.connect(res.settings, res.secrets.get("cache/password"))
    res.extra["redis"] = client
    res.extra["cache"] = cache_mod.ProductCache(client)
    res.checks["cache"] = redis_check(client)


app = create_app("catalog", setup=setup)


async def read_product(res: Resources, sku: str) -> dict[str, Any]:
    """A product from the cache, else the database (then cached); 404 problem if absent."""
    product_cache: cache_mod.ProductCache = res.extra["cache"]
    cached = await product_cache.get(sku)
    if cached is not None:
        return cached
    async with res.pool.connection() as conn:
        product = await store.get_product(conn, sku)
    if product is None:
        raise ProblemError(404, "Not Found", f"no product {sku!r}")
    await product_cache.put(product)
    return product


@app.get("/v1/products", response_model=None, responses=answers(ProductPage, 422))
async def products_list(
    identity: IdentityDep, res: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> dict[str, Any]:
    async with res.pool.connection() as conn:
        items = await store.list_products(conn, limit, offset)
    return {"items": items, "limit": limit, "offset": offset}


# how long the gateway may keep a product's answer (compose/nginx: its cache of product
# reads), and past that how long it may serve it while one request asks again; the worker
# purges the entry when it changes the stock
PRODUCT_CACHE_CONTROL = "max-age=1, stale-while-revalidate=1"


@app.get("/v1/products/{sku}", response_model=None, responses=answers(Product, 404))
async def product_get(sku: Annotated[str, Path(max_length=64, pattern=STORABLE_TEXT)],
                      identity: IdentityDep,
                      res: ResourcesDep) -> JSONResponse:
    return JSONResponse(await read_product(res, sku),
                        headers={"Cache-Control": PRODUCT_CACHE_CONTROL})


@app.post("/v1/products", status_code=201, response_model=None,
          responses=answers(Product, 403, 409, 422, status=201))
async def product_create(body: ProductIn, identity: IdentityDep,
                         res: ResourcesDep) -> JSONResponse:
    identity.require_role("admin")
    async with res.pool.connection() as conn:
        product = await store.insert_product(conn, body.sku, body.name, body.price_cents,
                                             body.stock)
    if product is None:
        raise ProblemError(409, "Conflict", f"product {body.sku!r} exists")
    await res.extra["cache"].invalidate(body.sku)
    log.info("product.created", sku=body.sku, by=identity.user_id)
    return JSONResponse(product, status_code=201)


@app.get("/internal/products/{sku}", response_model=None, responses=answers(Product, 404))
async def internal_product_get(sku: str, res: ResourcesDep) -> dict[str, Any]:
    return await read_product(res, sku)
